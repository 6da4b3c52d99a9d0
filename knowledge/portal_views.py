"""The portal's knowledge pages for end users: search and categories, an article with helpful / not helpful, the
suggestions shown while a title is typed on the report page, and "This solved it" (a report not sent)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.numbering import normalise_number
from core.views_helpers import run_service

from . import services
from .forms import VoteForm
from .models import PREFIX, Article, ArticleCategory, ArticleVote
from .search import search, suggest

FROM_REPORT = "report"


def _readable(request):
    """What this person may read on the portal: live articles only, staff included (drafts stay on the desk)."""
    return Article.objects.visible_to(request.user).live()


def _get_article(request, number):
    return get_object_or_404(_readable(request).select_related("published_revision", "category"),
                             number=normalise_number(PREFIX, number))


@login_required
@require_GET
def home(request):
    text = request.GET.get("q", "").strip()[:200]
    category = request.GET.get("category", "")
    articles = _readable(request).select_related("published_revision").defer("search_vector")
    if category.isascii() and category.isdigit():
        articles = articles.filter(category_id=int(category))
    articles = search(articles, text) if text else articles.order_by("-helpful_count", "-view_count", "-id")
    page = Paginator(articles, 20).get_page(request.GET.get("page"))
    categories = ArticleCategory.objects.filter(pk__in=_readable(request).values("category_id"))
    return render(request, "knowledge/portal_home.html", {
        "page": page, "q": text, "categories": categories, "category": category})


@login_required
@require_GET
def article(request, number):
    found = _get_article(request, number)
    services.record_view(found, user=request.user)
    found.refresh_from_db(fields=["view_count", "helpful_count", "not_helpful_count"])
    my_vote = ArticleVote.objects.filter(article=found, user=request.user).values_list("helpful", flat=True).first()
    return render(request, "knowledge/portal_article.html", {
        "article": found, "revision": found.published_revision, "my_vote": my_vote,
        "from_report": request.GET.get("from") == FROM_REPORT, "typed": request.GET.get("q", "")[:200]})


@login_required
@require_POST
def vote(request, number):
    found = _get_article(request, number)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the article helped."))
        return redirect("knowledge-portal:article", number=found.number)
    result, _status = run_service(request, lambda: services.vote(found, user=request.user,
                                                                 helpful=form.cleaned_data["helpful"]))
    if result is not None:
        messages.success(request, _("Thank you for your feedback."))
    return redirect("knowledge-portal:article", number=found.number)


@login_required
@require_POST
def solved(request, number):
    """ "This solved it" from the report page: counted, and no incident is raised."""
    found = _get_article(request, number)
    result, _status = run_service(request, lambda: services.record_deflection(
        found, user=request.user, query=request.POST.get("q", "")))
    if result is None:
        return redirect("knowledge-portal:article", number=found.number)
    messages.success(request, _("Glad it is solved. Your report was not sent."))
    return redirect("portal:home")


@login_required
@require_GET
def suggestions(request):
    """The partial the report page asks for while the title is typed."""
    text = (request.GET.get("title") or request.GET.get("q") or "").strip()[:200]
    articles = suggest(_readable(request).select_related("published_revision").only(
        "number", "helpful_count", "published_revision", "published_revision__title"), text) if len(text) >= 2 else []
    for found in articles:
        found.url_query = urlencode({"from": FROM_REPORT, "q": text})
    return render(request, "knowledge/partials/suggestions.html", {"articles": articles, "q": text})
