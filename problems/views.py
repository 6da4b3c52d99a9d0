"""Desk pages for problems: the list, the problem page and its actions, raising one from an incident, candidates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmdb.models import ConfigurationItem
from core.decorators import staff_required
from core.numbering import normalise_number
from core.views_helpers import run_service
from incidents.models import Incident
from records.links import links_of
from records.timeline import timeline_of

from . import services, trends
from .choices import CandidateState, ProblemAction
from .figures import linked_incidents, problem_figures
from .filtersets import ProblemFilterSet
from .forms import NoteForm, ProblemActionForm, ProblemCreateForm, ProblemEditForm, RaiseFromIncidentForm
from .models import Problem, ProblemCandidate
from .workflow import WORKFLOW

# Actions that bring fields of their own: a form each on the page; the others are one-click buttons.
FORM_ACTIONS = {
    ProblemAction.ROOT_CAUSE_FOUND: ("root_cause", "cause_category", "workaround"),
    ProblemAction.RESOLVE: ("fix_description", "resolve_incidents", "note"),
    ProblemAction.CLOSE: ("review_notes",),
}


def _get_problem(request, number):
    """A problem the user may see; anyone else (an end user) gets 404, as for a record that does not exist."""
    queryset = Problem.objects.visible_to(request.user).select_related(
        "requester", "service", "category", "assignment_group", "assignee")
    return get_object_or_404(queryset, number=normalise_number("PRB", number))


@staff_required
@require_GET
def problem_list(request):
    filterset = ProblemFilterSet(request.GET or None, queryset=Problem.objects.visible_to(request.user)
                                 .select_related("assignment_group", "assignee")
                                 .defer("search_vector", "internal_search_vector"), request=request)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    return render(request, "problems/list.html", {"filter": filterset, "page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = ProblemCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result, status = run_service(request, lambda: services.create_problem(actor=request.user,
                                                                                  **form.cleaned_data), form=form)
            if result is not None:
                messages.success(request, _("Problem %(number)s raised.") % {"number": result.number})
                return redirect("problems:detail", number=result.number)
    return render(request, "problems/create.html", {"form": form}, status=status)


def _detail_context(request, problem, forms):
    actions = WORKFLOW.allowed_actions(request.user, problem)
    action_forms = [(action, ProblemAction(action).label,
                     forms.get(action) or ProblemActionForm(initial={"action": action, "version": problem.version}),
                     FORM_ACTIONS[action]) for action in actions if action in FORM_ACTIONS]
    return {
        "problem": problem,
        "simple_actions": [(a, ProblemAction(a).label) for a in actions if a not in FORM_ACTIONS],
        "action_forms": action_forms,
        "notes": problem.comments.select_related("author"),
        "incidents": linked_incidents(problem).select_related("assignee").order_by("-created_at")[:100],
        "cis": problem.ci_links.select_related("configuration_item"),
        "links": links_of(problem, request.user),
        "timeline": timeline_of(problem, request.user),
        "figures": problem_figures(problem),
        "note_form": forms.get("note") or NoteForm(),
    }


@login_required
@require_GET
def detail(request, number):
    problem = _get_problem(request, number)
    return render(request, "problems/detail.html", _detail_context(request, problem, {}))


def _render_detail(request, problem, status, forms=None):
    problem.refresh_from_db()
    return render(request, "problems/detail.html", _detail_context(request, problem, forms or {}), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, number):
    problem = _get_problem(request, number)
    form = ProblemEditForm(request.POST or None, instance=problem, initial={"version": problem.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
            result, status = run_service(request, lambda: services.update_problem(
                Problem.objects.get(pk=problem.pk), actor=request.user, version=form.cleaned_data["version"],
                **changes), form=form)
            if result is not None:
                messages.success(request, _("Problem %(number)s updated.") % {"number": problem.number})
                return redirect("problems:detail", number=problem.number)
    return render(request, "problems/edit.html", {"problem": problem, "form": form}, status=status)


@login_required
@require_POST
def action(request, number):
    problem = _get_problem(request, number)
    form = ProblemActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _render_detail(request, problem, 400)
    data = form.cleaned_data
    result, status = run_service(request, lambda: services.take_action(
        problem, data["action"], actor=request.user, version=data["version"], **form.options()), form=form)
    if result is None:
        return _render_detail(request, problem, status, forms={data["action"]: form})
    problem, report = result
    messages.success(request, _("%(number)s is now %(state)s.") % {"number": problem.number,
                                                                     "state": problem.get_state_display()})
    if report and report["resolved"]:
        messages.success(request, _("Resolved incidents: %(numbers)s.") % {"numbers": ", ".join(report["resolved"])})
    if report and report["failed"]:
        messages.warning(request, _("Not resolved: %(list)s.") % {
            "list": "; ".join(f"{number} ({reason})" for number, reason in report["failed"])})
    return redirect("problems:detail", number=problem.number)


@login_required
@require_POST
def note(request, number):
    problem = _get_problem(request, number)
    form = NoteForm(request.POST)
    status = 400
    if form.is_valid():
        result, status = run_service(request, lambda: services.add_note(problem, actor=request.user,
                                                                        body=form.cleaned_data["body"]), form=form)
        if result is not None:
            messages.success(request, _("Note added."))
            return redirect("problems:detail", number=problem.number)
    return _render_detail(request, problem, status, forms={"note": form})


@login_required
@require_POST
def link_incident(request, number):
    problem = _get_problem(request, number)
    wanted = normalise_number("INC", request.POST.get("incident", ""))
    incident = Incident.objects.visible_to(request.user).filter(number=wanted).first()
    if incident is None:
        messages.error(request, _("No such incident."))
        return _render_detail(request, problem, 400)
    result, status = run_service(request, lambda: services.link_incidents(problem, actor=request.user,
                                                                          incidents=[incident]) or True)
    if result is None:
        return _render_detail(request, problem, status)
    messages.success(request, _("%(number)s linked.") % {"number": incident.number})
    return redirect("problems:detail", number=problem.number)


@login_required
@require_POST
def link_ci(request, number):
    problem = _get_problem(request, number)
    name = request.POST.get("configuration_item", "").strip()
    item = ConfigurationItem.objects.visible_to(request.user).filter(name__iexact=name).first() if name else None
    if item is None:
        messages.error(request, _("No such configuration item."))
        return _render_detail(request, problem, 400)
    result, status = run_service(request, lambda: services.link_configuration_items(
        problem, actor=request.user, items=[item]) or True)
    if result is None:
        return _render_detail(request, problem, status)
    messages.success(request, _("%(name)s linked.") % {"name": item.name})
    return redirect("problems:detail", number=problem.number)


@staff_required
@require_http_methods(["GET", "POST"])
def raise_from_incident(request, incident_number):
    """An agent raises a problem from an incident page; the incident is linked as caused by it."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user),
                                 number=normalise_number("INC", incident_number))
    form = RaiseFromIncidentForm(request.POST or None, initial={"title": incident.title})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result, status = run_service(request, lambda: services.raise_problem(
                actor=request.user, source="incident", incidents=[incident], **form.cleaned_data), form=form)
            if result is not None:
                messages.success(request, _("Problem %(number)s raised from %(incident)s.")
                                 % {"number": result.number, "incident": incident.number})
                return redirect("problems:detail", number=result.number)
    return render(request, "problems/raise.html", {"incident": incident, "form": form}, status=status)


@staff_required
@require_GET
def candidates(request):
    state = request.GET.get("state") or CandidateState.PROPOSED
    if state not in CandidateState.values:
        state = CandidateState.PROPOSED
    rows = ProblemCandidate.objects.filter(state=state).select_related("problem").prefetch_related("incidents")
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(request, "problems/candidates.html", {
        "page": page, "state": state, "states": CandidateState.choices, "may_decide": trends.may_decide(request.user)})


@staff_required
@require_POST
def decide_candidate(request, pk, decision):
    if decision not in ("accept", "dismiss"):
        raise Http404
    candidate = get_object_or_404(ProblemCandidate, pk=pk)
    if decision == "accept":
        result, status = run_service(request, lambda: trends.accept_candidate(candidate, actor=request.user))
        if result is not None:
            messages.success(request, _("Problem %(number)s raised.") % {"number": result.problem.number})
            return redirect("problems:detail", number=result.problem.number)
    else:
        result, status = run_service(request, lambda: trends.dismiss_candidate(candidate, actor=request.user))
        if result is not None:
            messages.success(request, _("Candidate dismissed."))
    return redirect("problems:candidates")
