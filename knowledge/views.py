"""Desk pages of the knowledge base: the article list, an article with its review actions and revisions, writing and
editing, and the incident page's panel (suggested articles; "Make an article" from a resolution)."""

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.decorators import staff_required
from core.numbering import normalise_number
from core.views_helpers import run_service
from incidents.models import Incident

from . import services
from .choices import ArticleAction, ArticleState, Audience
from .filtersets import ArticleFilterSet
from .forms import ArticleActionForm, ArticleForm
from .models import PREFIX, Article
from .search import suggest
from .workflow import allowed_actions

PANEL_SUGGESTIONS = 5


def _visible(request):
    return Article.objects.visible_to(request.user)


def _get_article(request, number):
    return get_object_or_404(_visible(request).select_related("category", "owner", "drafted_by", "reviewer"),
                             number=normalise_number(PREFIX, number))


@staff_required
@require_GET
def article_list(request):
    filterset = ArticleFilterSet(request.GET, queryset=_visible(request).select_related("category").defer(
        "search_vector", "symptoms", "cause", "solution"), request=request)
    articles = filterset.qs if filterset.is_valid() else _visible(request).none()
    page = Paginator(articles, 25).get_page(request.GET.get("page"))
    return render(request, "knowledge/list.html", {"filterset": filterset, "page": page},
                  status=200 if filterset.is_valid() else 400)


def _form_data(form):
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


@staff_required
@require_http_methods(["GET", "POST"])
def article_create(request):
    form = ArticleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            article, status = run_service(request, lambda: services.create_article(actor=request.user,
                                                                                   **_form_data(form)), form=form)
            if article is not None:
                messages.success(request, _("%(number)s was saved as a draft.") % {"number": article.number})
                return redirect("knowledge:detail", number=article.number)
    return render(request, "knowledge/edit.html", {"form": form}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request, number):
    article = _get_article(request, number)
    initial = {"title": article.title, "symptoms": article.symptoms, "cause": article.cause,
               "solution": article.solution, "category": article.category, "tags": ", ".join(article.tags),
               "audience": article.audience, "organisations": list(article.organisations.all()),
               "version": article.version}
    form = ArticleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = _form_data(form)
            result, status = run_service(request, lambda: services.update_article(
                article, actor=request.user, version=form.cleaned_data["version"],
                organisations=data.pop("organisations"), **data), form=form)
            if result is not None:
                messages.success(request, _("%(number)s was saved.") % {"number": result.number})
                return redirect("knowledge:detail", number=result.number)
    return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=status)


def _detail_context(request, article, action_form=None):
    revisions = list(article.revisions.select_related("author", "approved_by"))
    shown = None
    wanted = request.GET.get("revision", "")
    if wanted.isascii() and wanted.isdigit():
        shown = next((r for r in revisions if r.revision == int(wanted)), None)
    return {
        "article": article, "revisions": revisions, "shown": shown or article,
        "showing_revision": shown is not None,
        "actions": allowed_actions(request.user, article),
        "action_labels": dict(ArticleAction.choices),
        "action_form": action_form or ArticleActionForm(),
        "organisations": list(article.organisations.all()) if article.audience == Audience.ORGANISATIONS else [],
        "recent_deflections": article.deflections.select_related("user")[:10],
    }


@staff_required
@require_GET
def article_detail(request, number):
    article = _get_article(request, number)
    return render(request, "knowledge/detail.html", _detail_context(request, article))


@staff_required
@require_POST
def article_action(request, number):
    article = _get_article(request, number)
    form = ArticleActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return render(request, "knowledge/detail.html", _detail_context(request, article, form), status=400)
    data = form.cleaned_data
    action, version = data["action"], data["version"]
    calls = {
        ArticleAction.SUBMIT: lambda: services.submit_article(article, actor=request.user, reviewer=data["reviewer"],
                                                              version=version),
        ArticleAction.REJECT: lambda: services.reject_article(article, actor=request.user, reason=data["reason"],
                                                              version=version),
    }
    call = calls.get(action) or (lambda: services.ACTIONS[action](article, actor=request.user, version=version))
    result, status = run_service(request, call, form=form)
    if result is None:
        return render(request, "knowledge/detail.html", _detail_context(request, article, form), status=status)
    messages.success(request, _("%(number)s is now %(state)s.") % {"number": result.number,
                                                                      "state": result.get_state_display()})
    return redirect("knowledge:detail", number=result.number)


def _get_incident(request, number):
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("category"),
                             number=normalise_number("INC", number))


@staff_required
@require_POST
def from_incident(request, number):
    incident = _get_incident(request, number)
    article, status = run_service(request, lambda: services.article_from_incident(incident, actor=request.user))
    if article is None:
        return redirect("incidents:detail", number=incident.number)
    messages.success(request, _("Draft %(number)s was made from %(incident)s.")
                     % {"number": article.number, "incident": incident.number})
    return redirect("knowledge:edit", number=article.number)


@staff_required
@require_POST
def from_known_error(request, number):
    """ "Make an article" on a known error's page: a draft from its symptoms, root cause and workaround."""
    known_error = get_object_or_404(apps.get_model("known_errors", "KnownError").objects.visible_to(request.user),
                                    number=normalise_number("KE", number))
    article, status = run_service(request, lambda: services.article_from_known_error(known_error, request.user))
    if article is None:
        return redirect("known_errors:detail", number=known_error.number)
    messages.success(request, _("Draft %(number)s was made from %(incident)s.")
                     % {"number": article.number, "incident": known_error.number})
    return redirect("knowledge:edit", number=article.number)


@staff_required
@require_GET
def incident_panel(request, number):
    """Articles matching the incident's title (and its category's name), each with a button that puts its link into
    the reply; and the article made from this incident, or the button that makes one."""
    incident = _get_incident(request, number)
    words = incident.title
    articles = suggest(_visible(request).exclude(state=ArticleState.RETIRED).defer("search_vector"), words,
                       limit=PANEL_SUGGESTIONS)
    made = _visible(request).filter(source_record=incident.number).only("number", "title", "state").first()
    can_make = made is None and bool(incident.resolved_at) and bool((incident.resolution_notes or "").strip())
    return render(request, "knowledge/partials/incident_panel.html", {
        "incident": incident, "articles": articles, "made": made, "can_make": can_make})


