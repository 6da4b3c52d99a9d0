"""Every state change of a problem, one function each; pages, the API, the trend candidates and other practices (a
major incident's review calls raise_problem) call only these. Built on the records' service kit: a transaction, the
row locked, the version checked, the audit context set, record_changed sent."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from core.exceptions import Conflict, ServiceError
from core.roles import is_staff_member
from core.textsearch import search_vector
from incidents.choices import OPEN_STATES as INCIDENT_OPEN_STATES
from incidents.choices import Impact, ResolutionCode, Urgency
from incidents.models import Incident, PriorityMatrixEntry
from records import services as records_services
from records.links import add_link, linked_ids
from records.models import LinkType
from records.numbering import next_numbers
from records.timeline import record_event

from .choices import FINAL_STATES, CauseCategory, ProblemAction, ProblemSource, ProblemState
from .models import Problem, ProblemComment, ProblemConfigurationItem

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "description", "service", "category", "impact", "urgency", "assignment_group", "assignee",
                   "cause_category", "root_cause", "analysis_notes", "workaround", "fix_description", "review_notes")


def _check_staff(actor, message=None):
    if actor is None or not is_staff_member(actor):
        raise PermissionDenied(message or _("Only service desk staff may work on problems."))


def refresh_search(problem_id):
    """Rebuild a problem's search vectors from its texts and conversation (English + Chinese, core.textsearch)."""
    problem = Problem.objects.get(pk=problem_id)
    notes = ProblemComment.objects.filter(problem_id=problem_id).values_list("body", flat=True)
    Problem.objects.filter(pk=problem_id).update(
        search_vector=search_vector(*problem.searchable_texts()),
        internal_search_vector=search_vector(problem.analysis_notes, *notes))


def _check_choices(impact, urgency, source):
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = _("Choose an impact.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if source not in ProblemSource.values:
        errors["source"] = _("Choose where the problem comes from.")
    if errors:
        raise ValidationError(errors)


def create_problem(*, actor, title, description="", source=ProblemSource.MANUAL, service=None, category=None,
                   impact=Impact.MODERATE, urgency=Urgency.MEDIUM, assignment_group=None, incidents=()):
    """Record a new problem (staff), linking the incidents it causes (each "caused by" this problem)."""
    _check_staff(actor, _("Only service desk staff may raise a problem."))
    _check_choices(impact, urgency, source)
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the problem a title.")})
    group = assignment_group or (service.support_group if service else None)
    problem = Problem(title=title.strip()[:200], description=description or "", requester=actor, source=source,
                      service=service, category=category, impact=impact, urgency=urgency, assignment_group=group,
                      state=ProblemState.NEW)
    problem.priority = PriorityMatrixEntry.priority_for(impact, urgency)
    problem.full_clean(exclude=["number", "version"])
    with transaction.atomic(), records_services.audit(actor, "create"):
        problem.number = next_numbers(Problem, 1)[0]
        problem.save()
        for incident in incidents:
            add_link(incident, LinkType.CAUSED_BY, problem, actor=actor)
        refresh_search(problem.pk)
    return problem


def raise_problem(*, actor, title, description="", source="manual", incidents=(), service=None, category=None):
    """Raise a problem from incidents (by hand, from an incident, a major incident's review or a trend); each given
    incident is linked as caused by it. The contract other practices call: keep this signature."""
    incidents = list(incidents)
    if incidents and service is None:
        service = incidents[0].service
    if incidents and category is None:
        category = incidents[0].category
    return create_problem(actor=actor, title=title, description=description, source=source, incidents=incidents,
                          service=service, category=category)


def link_incidents(problem, *, actor, incidents):
    """Link more incidents as caused by this problem."""
    _check_staff(actor)
    with transaction.atomic():
        for incident in incidents:
            add_link(incident, LinkType.CAUSED_BY, problem, actor=actor)


def update_problem(problem, *, actor, version, **changes):
    """Change the problem's fields (not its state); agents write analysis notes, leads and problem managers too.
    Priority follows impact × urgency through the incidents' matrix."""
    _check_staff(actor, _("Only service desk staff may edit a problem."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if "cause_category" in changes and changes["cause_category"] not in ("", *CauseCategory.values):
        raise ValidationError({"cause_category": _("Choose a cause category.")})
    with transaction.atomic():
        with records_services.changing(problem, actor=actor, action="update", version=version) as change:
            problem = change.record
            if problem.state in FINAL_STATES:
                raise Conflict(_("A closed or cancelled problem cannot be edited."), state=problem.state)
            for name, value in changes.items():
                setattr(problem, name, value)
            problem.priority = PriorityMatrixEntry.priority_for(problem.impact, problem.urgency)
            problem.full_clean(exclude=["number"])
        refresh_search(problem.pk)
    return problem


def _move(problem, action, *, actor, version, apply=None, **fields):
    """The shared part of every lifecycle action: the table's checks on the locked row (409 with the legal actions,
    403 for the wrong actor), the fields the action brings, then `apply(problem)` (may answer the target state)."""
    with transaction.atomic():
        with records_services.transition(problem, action, actor=actor, version=version) as change:
            problem = change.record
            for name, value in fields.items():
                if value is not None:
                    setattr(problem, name, value.strip() if isinstance(value, str) else value)
            target = apply(problem) if apply else None
            if target is not None:
                problem.state = target
        if fields:
            refresh_search(problem.pk)
    return problem


def investigate_problem(problem, *, actor, version=None):
    """Identification → control: root cause analysis starts (the actor becomes the assignee if there is none)."""
    def apply(problem):
        if problem.assignee_id is None:
            problem.assignee = actor
    return _move(problem, ProblemAction.INVESTIGATE, actor=actor, version=version, apply=apply)


def record_root_cause(problem, *, actor, version=None, root_cause=None, cause_category=None, workaround=None):
    """Control → error control: the root cause is known (and classified); the fix is being made."""
    def apply(problem):
        errors = {}
        if not problem.root_cause.strip():
            errors["root_cause"] = _("Describe the root cause.")
        if problem.cause_category not in CauseCategory.values:
            errors["cause_category"] = _("Choose a cause category.")
        if errors:
            raise ValidationError(errors)
    return _move(problem, ProblemAction.ROOT_CAUSE_FOUND, actor=actor, version=version, apply=apply,
                 root_cause=root_cause, cause_category=cause_category, workaround=workaround)


def resolve_problem(problem, *, actor, version=None, fix_description=None, resolve_incidents=False, note=""):
    """The fix is in. With `resolve_incidents`, each open linked incident is resolved through the incident's own
    service (its SLA clocks stop, its requester is mailed, its history records it) with `note` as the public word;
    those that cannot be (changed meanwhile, already closed) are reported, not fatal. Returns (problem, report):
    report = {"resolved": [numbers], "failed": [(number, reason)]}."""
    from incidents.services import resolve_incident

    note = (note or "").strip()
    if resolve_incidents and not note:
        raise ValidationError({"note": _("Write the note the requesters of the incidents will read.")})

    def apply(problem):
        if not problem.fix_description.strip():
            raise ValidationError({"fix_description": _("Describe the fix.")})
        problem.resolved_at = timezone.now()
    problem = _move(problem, ProblemAction.RESOLVE, actor=actor, version=version, apply=apply,
                    fix_description=fix_description)
    report = {"resolved": [], "failed": []}
    if resolve_incidents:
        ids = list(linked_ids(problem, LinkType.CAUSED_BY, "incident", inverse=True))
        for incident in Incident.objects.filter(pk__in=ids, state__in=INCIDENT_OPEN_STATES).order_by("pk"):
            try:
                resolve_incident(incident, actor=actor, resolution_code=ResolutionCode.SOLVED,
                                 resolution_notes=note, comment=note)
                report["resolved"].append(incident.number)
            except (ServiceError, ValidationError, PermissionDenied) as exc:
                reason = getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [])) or str(exc)
                report["failed"].append((incident.number, str(reason)))
        if report["resolved"]:
            with transaction.atomic():
                record_event(problem, "problem_incidents_resolved", actor=actor,
                             count=len(report["resolved"]), numbers=", ".join(report["resolved"]))
    return problem, report


def close_problem(problem, *, actor, version=None, review_notes=None):
    """Closure after the review (004): the review notes are required."""
    def apply(problem):
        if not problem.review_notes.strip():
            raise ValidationError({"review_notes": _("Write the review before closing the problem.")})
        problem.closed_at = timezone.now()
    return _move(problem, ProblemAction.CLOSE, actor=actor, version=version, apply=apply, review_notes=review_notes)


def reopen_problem(problem, *, actor, version=None):
    """The fix did not hold: back to error control if the root cause is known, to investigation otherwise."""
    def apply(problem):
        problem.resolved_at = None
        return ProblemState.ERROR_CONTROL if problem.root_cause.strip() else ProblemState.INVESTIGATING
    return _move(problem, ProblemAction.REOPEN, actor=actor, version=version, apply=apply)


def cancel_problem(problem, *, actor, version=None):
    def apply(problem):
        problem.closed_at = timezone.now()
    return _move(problem, ProblemAction.CANCEL, actor=actor, version=version, apply=apply)


# The service of each action and the fields it takes, for channels that name the action as data (the API, forms).
ACTIONS = {
    ProblemAction.INVESTIGATE: (investigate_problem, ()),
    ProblemAction.ROOT_CAUSE_FOUND: (record_root_cause, ("root_cause", "cause_category", "workaround")),
    ProblemAction.RESOLVE: (resolve_problem, ("fix_description", "resolve_incidents", "note")),
    ProblemAction.CLOSE: (close_problem, ("review_notes",)),
    ProblemAction.REOPEN: (reopen_problem, ()),
    ProblemAction.CANCEL: (cancel_problem, ()),
}


def take_action(problem, action, *, actor, version=None, **options):
    """Take `action` (named as data) through its own service; answers (problem, report or None)."""
    if action not in ACTIONS:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    service, takes = ACTIONS[action]
    result = service(problem, actor=actor, version=version,
                     **{name: options[name] for name in takes if options.get(name) is not None})
    return result if isinstance(result, tuple) else (result, None)


def add_note(problem, *, actor, body):
    """A note in the problem's conversation (problems are staff-only: every entry is internal to the desk)."""
    _check_staff(actor)
    if not (body or "").strip():
        raise ValidationError({"body": _("Write something before sending.")})
    with transaction.atomic(), records_services.audit(actor, "internal_note"):
        problem = records_services.lock(problem)
        if problem.state in FINAL_STATES:
            raise Conflict(_("A closed or cancelled problem cannot be changed."), state=problem.state)
        comment = ProblemComment.objects.create(problem=problem, author=actor, body=body.strip(), is_internal=True)
        refresh_search(problem.pk)
    return comment


def link_configuration_items(problem, *, actor, items):
    """Record CIs the problem affects; already-linked ones stay as they are. Returns the ids added."""
    _check_staff(actor)
    ids = {getattr(item, "pk", item) for item in items}
    if not ids:
        raise ValidationError({"configuration_items": _("Choose at least one configuration item.")})
    visible = set(ConfigurationItem.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if visible != ids:
        raise ValidationError({"configuration_items": _("No such configuration item: %(ids)s.")
                               % {"ids": ", ".join(str(i) for i in sorted(ids - visible))}})
    with transaction.atomic(), records_services.audit(actor, "link_ci"):
        problem = records_services.lock(problem)
        if problem.state in FINAL_STATES:
            raise Conflict(_("A closed or cancelled problem cannot be changed."), state=problem.state)
        have = set(problem.ci_links.values_list("configuration_item_id", flat=True))
        ProblemConfigurationItem.objects.bulk_create([
            ProblemConfigurationItem(problem=problem, configuration_item_id=pk, added_by=actor)
            for pk in sorted(ids - have)])
    return sorted(ids - have)
