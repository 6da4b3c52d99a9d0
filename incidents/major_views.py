"""Desk pages of major incidents: the panel on the incident page (loaded by htmx), the major incident's own page
(the panel with its timeline, where a refused form shows its errors), its actions, and the list of ongoing major
incidents and proposals. Every change goes through incidents.major."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.decorators import staff_required
from core.roles import is_lead
from core.views_helpers import run_service
from records.timeline import timeline_of

from . import major
from .choices import OPEN_STATES, State
from .major_forms import AttachChildForm, DeclareMajorForm, MajorReviewForm, StakeholderUpdateForm
from .models import Incident, MajorIncident, MajorStatus
from .views import _get_incident


def _context(request, incident, forms=None):
    forms = forms or {}
    process = MajorIncident.objects.filter(incident=incident).select_related("manager", "declared_by").first()
    return {
        "incident": incident,
        "process": process,
        "is_lead": is_lead(request.user),
        "may_run": major._may_run(request.user, incident),
        "declared": process is not None and process.status in (MajorStatus.ACTIVE, MajorStatus.REVIEWED),
        "proposed": process is not None and process.status == MajorStatus.PROPOSED and not incident.is_major,
        "timeline": timeline_of(incident, request.user) if incident.is_major or process else [],
        "children": list(major.children_of(incident).select_related("requester")) if incident.is_major else [],
        "reviewable": incident.is_major and incident.state == State.RESOLVED and process is not None
        and process.status == MajorStatus.ACTIVE,
        # Prefixed: the incident page around the panel has its own "body" and "version" fields.
        "declare_form": forms.get("declare") or DeclareMajorForm(prefix="declare",
                                                                 initial={"version": incident.version}),
        "update_form": forms.get("update") or StakeholderUpdateForm(prefix="update"),
        "attach_form": forms.get("attach") or AttachChildForm(prefix="attach", user=request.user),
        "review_form": forms.get("review") or MajorReviewForm(prefix="review", initial={"version": incident.version}),
    }


@staff_required
@require_GET
def panel(request, number):
    incident = _get_incident(request, number)
    return render(request, "incidents/partials/major_panel.html", _context(request, incident))


@staff_required
@require_GET
def page(request, number):
    return _page(request, number)


def _page(request, number, status=200, forms=None):
    incident = _get_incident(request, number)
    return render(request, "incidents/major.html", _context(request, incident, forms), status=status)


def _done(request, number, text):
    messages.success(request, text)
    return redirect("incidents:detail", number=number)


@staff_required
@require_POST
def declare(request, number):
    incident = _get_incident(request, number)
    form = DeclareMajorForm(request.POST, prefix="declare")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        result, status = run_service(request, lambda: major.declare_major(
            incident, actor=request.user, manager=data["manager"], version=data["version"], summary=data["summary"]),
            form=form)
        if result is not None:
            return _done(request, number, _("%(number)s is now a major incident.") % {"number": incident.number})
    return _page(request, number, status=status, forms={"declare": form})


@staff_required
@require_POST
def dismiss(request, number):
    incident = _get_incident(request, number)
    result, status = run_service(request, lambda: major.dismiss_proposal(incident, actor=request.user))
    if result is not None:
        return _done(request, number, _("The major-incident proposal was dismissed."))
    return _page(request, number, status=status)


@staff_required
@require_POST
def update(request, number):
    incident = _get_incident(request, number)
    form = StakeholderUpdateForm(request.POST, prefix="update")
    status = 400
    if form.is_valid():
        result, status = run_service(request, lambda: major.post_update(
            incident, actor=request.user, body=form.cleaned_data["body"]), form=form)
        if result is not None:
            return _done(request, number, _("Update sent to the requesters of %(number)s and its child incidents.")
                         % {"number": incident.number})
    return _page(request, number, status=status, forms={"update": form})


@staff_required
@require_POST
def attach(request, number):
    incident = _get_incident(request, number)
    form = AttachChildForm(request.POST, prefix="attach", user=request.user)
    status = 400
    if form.is_valid():
        child = form.cleaned_data["child"]
        result, status = run_service(request, lambda: major.attach_to_major(incident, child, actor=request.user),
                                     form=form)
        if result is not None:
            return _done(request, number, _("%(child)s attached to %(number)s.")
                         % {"child": child.number, "number": incident.number})
    return _page(request, number, status=status, forms={"attach": form})


@staff_required
@require_POST
def review(request, number):
    incident = _get_incident(request, number)
    form = MajorReviewForm(request.POST, prefix="review")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        result, status = run_service(request, lambda: major.review_major(
            incident, actor=request.user, review=data["review"], version=data["version"]), form=form)
        if result is not None:
            return _done(request, number, _("Review recorded; the major incident may now be closed."))
    return _page(request, number, status=status, forms={"review": form})


@staff_required
@require_GET
def major_list(request):
    """Ongoing major incidents and the proposals waiting for a lead."""
    ongoing = list(Incident.objects.visible_to(request.user).filter(is_major=True, state__in=OPEN_STATES)
                   .select_related("service", "major__manager").order_by("-created_at"))
    counts = {}
    for parent_id in Incident.objects.filter(parent_id__in=[i.pk for i in ongoing]).values_list("parent_id", flat=True):
        counts[parent_id] = counts.get(parent_id, 0) + 1
    for incident in ongoing:
        incident.child_count = counts.get(incident.pk, 0)
    proposals = (MajorIncident.objects.filter(status=MajorStatus.PROPOSED, incident__is_major=False,
                                              incident__state__in=OPEN_STATES,
                                              incident__in=Incident.objects.visible_to(request.user))
                 .select_related("incident__service").order_by("-proposed_at"))
    return render(request, "incidents/major_list.html", {"ongoing": ongoing, "proposals": proposals})
