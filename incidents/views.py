"""Agent desk pages for incidents: the queue, the incident page and its actions, logging a call."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.forms import ModelChoiceField
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.decorators import admin_required, staff_required
from core.idempotency import idempotent_form_post
from core.models import AssignmentGroup, User
from core.numbering import normalise_number
from core.ratelimit import limit_creations
from core.views_helpers import run_service
from records.effort import log_time

from . import services, workflow
from .attachments import download_response
from .choices import Action, Impact, Priority, Urgency
from .forms import CommentForm, IncidentCreateForm, IncidentEditForm, MergeForm, TransitionForm
from .history import incident_history
from .models import Incident, IncidentAttachment, IncidentComment, PriorityMatrixEntry

WORDED_ACTIONS = {
    Action.PEND_USER: gettext_lazy("Question for the requester"),
    Action.REOPEN: gettext_lazy("Why is it reopened?"),
}


def _visible(request):
    return Incident.objects.visible_to(request.user)


def _get_incident(request, number):
    return get_object_or_404(
        _visible(request).select_related(
            "requester", "organisation", "logged_by", "category__parent", "service", "assignment_group", "assignee",
            "parent", "duplicate_of",
        ),
        number=normalise_number("INC", number),
    )


@staff_required
@require_GET
def detail(request, number):
    return _render_detail(request, number)


def _render_detail(request, number, status=200, forms=None):
    incident = _get_incident(request, number)
    return render(request, "incidents/detail.html", _detail_context(request, incident, forms or {}), status=status)


def _detail_context(request, incident, forms):
    attachments = list(IncidentAttachment.objects.filter(incident=incident).select_related("uploaded_by"))
    comments = list(IncidentComment.objects.filter(incident=incident).select_related("author"))
    by_comment = {}
    for attachment in attachments:
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    for comment in comments:
        comment.files = by_comment.get(comment.pk, [])
    related = list(
        Incident.objects.filter(Q(parent=incident) | Q(duplicate_of=incident)).only(
            "number", "title", "state", "parent_id", "duplicate_of_id"
        )
    )
    actions = workflow.allowed_actions(request.user, incident)
    return {
        "incident": incident,
        "comments": comments,
        "incident_files": by_comment.get(None, []),
        "children": [i for i in related if i.parent_id == incident.pk],
        "duplicates": [i for i in related if i.duplicate_of_id == incident.pk],
        "actions": actions,
        # The one-click buttons, (action, label); assign and resolve have their own forms.
        "simple_actions": [(a, Action(a).label) for a in actions if a not in (Action.ASSIGN, Action.RESOLVE)
                           and a not in WORDED_ACTIONS],
        # Actions that need words to the requester: a form each, with its question.
        "worded_actions": [
            (a, Action(a).label, WORDED_ACTIONS[a], forms.get(a) or TransitionForm(initial={"action": a}))
            for a in actions if a in WORDED_ACTIONS
        ],
        "comment_form": forms.get("comment") or CommentForm(),
        "resolve_form": forms.get("resolve") or TransitionForm(initial={"action": Action.RESOLVE}),
        "merge_form": forms.get("merge") or MergeForm(),
        "can_merge": workflow.LEAD in workflow.actor_kinds(request.user, incident),
    }


@staff_required
@require_GET
def history(request, number):
    incident = _get_incident(request, number)
    return render(request, "incidents/partials/history.html", {"events": incident_history(incident, request.user)})


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request, number):
    incident = _get_incident(request, number)
    form = IncidentEditForm(request.POST or None, instance=incident, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        result, status = run_service(
            request,
            lambda: services.update_incident(incident, actor=request.user, version=form.cleaned_data["version"],
                                             **changes),
            form=form,
        )
        if result is not None:
            messages.success(request, _("Incident %(number)s updated.") % {"number": incident.number})
            return redirect("incidents:detail", number=incident.number)
    elif request.method == "POST":
        status = 400
    return render(request, "incidents/edit.html", {"incident": incident, "form": form}, status=status)


def _active_group(value):
    """The active group a raw id (form data, query string) names; None for anything else, never an error."""
    try:
        return ModelChoiceField(AssignmentGroup.objects.filter(is_active=True), required=False).clean(value)
    except ValidationError:
        return None


@staff_required
@require_http_methods(["GET", "POST"])
def assign(request, number):
    incident = _get_incident(request, number)
    # The assignee list follows the group chosen (htmx reloads it when the group changes).
    chosen = request.POST.get("assignment_group") or request.GET.get("assignment_group") or incident.assignment_group_id
    group = _active_group(chosen)
    form = TransitionForm(request.POST or None, initial={
        "action": Action.ASSIGN, "version": incident.version, "assignment_group": getattr(group, "pk", None),
        "assignee": incident.assignee_id if group and group.pk == incident.assignment_group_id else None,
    })
    form.fields["assignee"].queryset = group.members.filter(is_active=True) if group else User.objects.none()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            result, status = run_service(request, lambda: services.transition_incident(
                incident, Action.ASSIGN, actor=request.user, version=data["version"],
                assignment_group=data["assignment_group"], assignee=data["assignee"],
                comment=data["comment"]), form=form)
            if result is not None:
                messages.success(request, _("Incident %(number)s assigned.") % {"number": incident.number})
                return redirect("incidents:detail", number=incident.number)
        else:
            status = 400
    return render(request, "incidents/assign.html", {"incident": incident, "form": form}, status=status)


@staff_required
@require_POST
def transition(request, number):
    incident = _get_incident(request, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():  # say why: the resolve form shows its own errors, the action buttons have no place
        if request.POST.get("action") == "resolve":
            return _render_detail(request, number, status=400, forms={"resolve": form})
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _render_detail(request, number, status=400)
    data = form.cleaned_data
    result, status = run_service(request, lambda: services.transition_incident(
        incident, data["action"], actor=request.user, version=data["version"],
        resolution_code=data["resolution_code"], resolution_notes=data["resolution_notes"],
        comment=data["comment"]), form=form)
    if result is None:
        forms = {data["action"]: form} if data["action"] in ("resolve", *WORDED_ACTIONS) else {}
        return _render_detail(request, number, status=status, forms=forms)
    messages.success(request, _("%(number)s is now %(state)s.") % {"number": result.number,
                                                                      "state": result.get_state_display()})
    return redirect("incidents:detail", number=number)


@staff_required
@require_POST
def comment(request, number):
    incident = _get_incident(request, number)
    form = CommentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        result, status = run_service(request, lambda: _comment_with_time(incident, request.user, data), form=form)
        if result is not None:
            messages.success(request, _("Internal note added.") if data["internal"] else _("Reply sent."))
            return redirect("incidents:detail", number=number)
    return _render_detail(request, number, status=status, forms={"comment": form})


def _comment_with_time(incident, actor, data):
    """The reply or note and the time spent on it, in one transaction: a refused time entry keeps no reply."""
    with transaction.atomic():
        comment = services.add_comment(incident, actor=actor, body=data["body"], internal=data["internal"],
                                       attachments=data["attachments"])
        if data.get("minutes"):
            log_time(incident, actor=actor, minutes=data["minutes"], comment=comment)
    return comment


@staff_required
@require_POST
def merge(request, number):
    incident = _get_incident(request, number)
    form = MergeForm(request.POST)
    status = 400
    if form.is_valid():
        target = _visible(request).filter(number=form.cleaned_data["into"].strip().upper()).first()
        if target is None:
            form.add_error("into", _("No such incident."))
        else:
            result, status = run_service(
                request, lambda: services.merge_incident(incident, into=target, actor=request.user), form=form
            )
            if result is not None:
                messages.success(request, _("Merged into %(number)s.") % {"number": target.number})
                return redirect("incidents:detail", number=target.number)
    return _render_detail(request, number, status=status, forms={"merge": form})


@staff_required
@require_http_methods(["GET", "POST"])
@idempotent_form_post("incidents.desk.create")  # outermost: a replay answers before the rate limit counts it
@limit_creations
def create(request):
    form = IncidentCreateForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            result, status = run_service(request, lambda: services.create_incident(actor=request.user, **data),
                                         form=form)
            if result is not None:
                messages.success(request, _("Incident %(number)s logged.") % {"number": result.number})
                return redirect("incidents:detail", number=result.number)
    return render(request, "incidents/create.html", {"form": form}, status=status)


@require_GET
def attachment_download(request, pk):
    """Files go through here so visibility (and internal notes) are checked; never served from MEDIA_URL."""
    attachment = get_object_or_404(IncidentAttachment.objects.visible_to(request.user), pk=pk)
    return download_response(attachment)


@admin_required
@require_http_methods(["GET", "POST"])
def priority_matrix(request):
    cells = {(e.impact, e.urgency): e for e in PriorityMatrixEntry.objects.all()}
    if request.method == "POST":
        wanted, errors = {}, []
        for impact in Impact.values:
            for urgency in Urgency.values:
                raw = request.POST.get(f"cell_{impact}_{urgency}")
                if raw is None:
                    continue
                if raw not in {str(p) for p in Priority.values}:
                    errors.append(f"cell_{impact}_{urgency}")
                else:
                    wanted[(impact, urgency)] = int(raw)
        if errors:  # refuse the whole form: a matrix half-saved would be worse than none
            messages.error(request, _("Invalid priority in: %(cells)s") % {"cells": ", ".join(errors)})
            return redirect("incidents:priority-matrix")
        changed = services.save_priority_matrix(wanted, actor=request.user)
        messages.success(request, _("Priority matrix saved (%(n)d cells changed).") % {"n": changed})
        return redirect("incidents:priority-matrix")
    rows = [
        {"impact": label, "cells": [
            (f"cell_{impact}_{urgency}", getattr(cells.get((impact, urgency)), "priority", None))
            for urgency in Urgency.values
        ]}
        for impact, label in Impact.choices
    ]
    return render(request, "incidents/priority_matrix.html",
                  {"rows": rows, "urgencies": Urgency.choices, "priorities": Priority.choices})
