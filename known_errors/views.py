"""Desk pages for known errors: the searchable list, a known error's page and its actions, the create/edit form, and
the panel of matching known errors on the incident page. Staff only: anyone else gets a 404, as for the API."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.numbering import normalise_number
from core.roles import is_staff_member
from core.views_helpers import run_service
from incidents.models import Incident
from records.links import links_of

from . import services
from .choices import Action
from .filtersets import KnownErrorFilterSet
from .forms import KnownErrorForm, initial_of
from .matching import matching_known_errors
from .models import KnownError
from .workflow import WORKFLOW

PAGE_SIZE = 25


def staff_or_404(view):
    """Known errors do not exist for anyone but staff (a 404, never a 403 that would say they do)."""
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


def _get(request, number):
    return get_object_or_404(KnownError.objects.visible_to(request.user).select_related("service", "category",
                                                                                        "requester"),
                             number=normalise_number("KE", number))


@staff_or_404
@require_GET
def known_error_list(request):
    queryset = KnownError.objects.visible_to(request.user).select_related("service", "category").defer(
        "search_vector", "internal_search_vector", "symptoms", "root_cause", "workaround", "description")
    filterset = KnownErrorFilterSet(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "known_errors/list.html", {"filter": filterset, "page": page,
                                                      "query": query.urlencode()})


def _problem_from(request, number):
    """The problem `number` names, when the problems app is installed and the user may see it; else None."""
    kind = services.problem_kind()
    if kind is None or not number:
        return None
    return kind.model.objects.visible_to(request.user).filter(number=normalise_number(kind.prefix, number)).first()


def _prefill_from(problem):
    return {"title": problem.title, "symptoms": getattr(problem, "description", ""),
            "root_cause": getattr(problem, "root_cause", ""), "service": getattr(problem, "service_id", None),
            "category": getattr(problem, "category_id", None), "problem": problem.number}


@staff_or_404
@require_http_methods(["GET", "POST"])
def create(request):
    problem = _problem_from(request, request.POST.get("problem") or request.GET.get("problem"))
    initial = _prefill_from(problem) if problem is not None else {}
    form = KnownErrorForm(request.POST or None, initial=initial, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            result, status = run_service(request, lambda: services.create_known_error(
                actor=request.user, title=data["title"], symptoms=data["symptoms"], root_cause=data["root_cause"],
                workaround=data["workaround"], service=data["service"], category=data["category"],
                configuration_items=data["configuration_items"], problem=problem), form=form)
            if result is not None:
                messages.success(request, _("Known error %(number)s written.") % {"number": result.number})
                return redirect("known_errors:detail", number=result.number)
    return render(request, "known_errors/form.html", {"form": form, "problem": problem}, status=status)


@staff_or_404
@require_GET
def detail(request, number):
    return _render_detail(request, _get(request, number))


def _render_detail(request, known_error, status=200):
    links = links_of(known_error, request.user)
    context = {
        "known_error": known_error,
        "actions": [(a, Action(a).label) for a in WORKFLOW.allowed_actions(request.user, known_error)],
        "incident_links": [(label, other) for _link, label, other in links if other.kind().key == "incident"],
        "other_links": [(label, other, _desk_url(other)) for _link, label, other in links
                        if other.kind().key != "incident"],
        "cis": list(known_error.configuration_items.all()),
    }
    return render(request, "known_errors/detail.html", context, status=status)


def _desk_url(record):
    try:
        return reverse(record.kind().desk_url, args=[record.number])
    except NoReverseMatch:
        return None


@staff_or_404
@require_http_methods(["GET", "POST"])
def edit(request, number):
    known_error = _get(request, number)
    form = KnownErrorForm(request.POST or None, initial=initial_of(known_error), user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in services.EDITABLE_FIELDS}
            result, status = run_service(request, lambda: services.update_known_error(
                known_error, actor=request.user, version=data["version"], **changes), form=form)
            if result is not None:
                messages.success(request, _("Known error %(number)s updated.") % {"number": known_error.number})
                return redirect("known_errors:detail", number=known_error.number)
    return render(request, "known_errors/form.html", {"form": form, "known_error": known_error}, status=status)


@staff_or_404
@require_POST
def transition(request, number):
    known_error = _get(request, number)
    action = request.POST.get("action", "")
    service = services.ACTIONS.get(action)
    if service is None:
        messages.error(request, _("Unknown action %(action)s.") % {"action": action})
        return _render_detail(request, known_error, status=400)
    result, status = run_service(request, lambda: service(known_error, actor=request.user,
                                                          version=request.POST.get("version") or None))
    if result is None:
        return _render_detail(request, _get(request, number), status=status)
    messages.success(request, _("%(number)s is now %(state)s.") % {"number": result.number,
                                                                      "state": result.get_state_display()})
    return redirect("known_errors:detail", number=result.number)


# --- the incident page's panel (loaded and refreshed by htmx) --------------------------------------------------------

def _incident(request, number):
    return get_object_or_404(Incident.objects.visible_to(request.user), number=normalise_number("INC", number))


def _render_panel(request, incident, status=200):
    matches = matching_known_errors(incident, request.user)
    linked = set(services.linked_known_error_ids(incident))
    for known_error in matches:
        known_error.is_linked = known_error.pk in linked
    return render(request, "known_errors/partials/incident_panel.html",
                  {"incident": incident, "matches": matches}, status=status)


@staff_or_404
@require_GET
def incident_panel(request, incident_number):
    return _render_panel(request, _incident(request, incident_number))


@staff_or_404
@require_POST
def link_incident(request, incident_number, number):
    incident = _incident(request, incident_number)
    known_error = _get(request, number)
    result, status = run_service(request, lambda: services.link_to_incident(known_error, incident,
                                                                            actor=request.user))
    if result is not None:
        messages.success(request, _("%(incident)s linked to %(known_error)s.")
                         % {"incident": incident.number, "known_error": known_error.number})
    if not request.htmx:
        return redirect("incidents:detail", number=incident.number)
    return _render_panel(request, incident, status=200 if result is not None else status)
