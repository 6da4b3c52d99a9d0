"""Every state change of an incident, one function each. Pages, API, e-mail intake and tasks call only these.

Each runs in a transaction, locks the row, checks the version and the actor, records the audit context (pghistory
triggers write the trail), and writes side effects to the outbox (core.outbox), sent after commit.
"""

from datetime import timedelta

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbox
from core.exceptions import Conflict
from core.roles import is_admin, is_lead, is_staff_member
from core.textsearch import search_vector
from records import services as records_services
from records.timeline import record_event

from . import signals, workflow
from .attachments import check_upload, safe_filename, sniff_content_type
from .choices import FINAL_STATES, OPEN_STATES, Action, Channel, Impact, Priority, ResolutionCode, State, Urgency
from .models import (
    Incident,
    IncidentAttachment,
    IncidentComment,
    MajorIncident,
    MajorStatus,
    PriorityMatrixEntry,
    next_numbers,
)
from .workflow import WORKFLOW

# Actions that need words to the requester, kept as a public reply: what the desk waits for, why it is reopened.
WORDS_REQUIRED = {
    Action.PEND_USER: gettext_lazy("Write the question the requester should answer."),
    Action.REOPEN: gettext_lazy("Say why the incident is reopened."),
}
EDITABLE_FIELDS = ("title", "description", "category", "service", "impact", "urgency", "is_major", "parent")


_audit = records_services.audit
_save = records_services.save


def _after_commit_mail(incident_id, kind, comment_id=None):
    """The requester's mail, written to the outbox in this transaction and sent once it commits (core.outbox): a
    broker that is away neither fails the change nor loses the mail."""
    outbox.enqueue("incidents.notifications.send_incident_mail",
                   {"incident_id": incident_id, "kind": kind, "comment_id": comment_id},
                   key=f"incident-mail:{incident_id}:{kind}:{comment_id or ''}")


def refresh_search(incident_id):
    """Rebuild the stored search vectors of one incident from its title, description and conversation."""
    incident = Incident.objects.only("title", "description", "number").get(pk=incident_id)
    public, internal = [], []
    for body, is_internal in IncidentComment.objects.filter(incident_id=incident_id).values_list("body", "is_internal"):
        (internal if is_internal else public).append(body)
    Incident.objects.filter(pk=incident_id).update(
        search_vector=search_vector(incident.number, incident.title, incident.description, *public),
        internal_search_vector=search_vector(*internal),
    )


def _store_attachments(incident, uploads, actor, comment=None):
    for upload in uploads:
        IncidentAttachment.objects.create(
            incident=incident, comment=comment, file=upload, filename=safe_filename(upload.name),
            content_type=sniff_content_type(upload),
            size=upload.size, uploaded_by=actor,
        )


def _check_uploads(uploads):
    for upload in uploads:
        check_upload(upload)


def create_incident(*, actor, title, description="", requester=None, channel=Channel.PORTAL, category=None,
                    service=None, impact=Impact.MINOR, urgency=Urgency.MEDIUM, assignment_group=None,
                    is_major=False, attachments=()):
    """Record a new incident. End users report for themselves; agents may log one on behalf of a caller."""
    staff = is_staff_member(actor)
    requester = requester or actor
    if requester.pk != actor.pk and not staff:
        raise PermissionDenied(_("Only service desk staff may log an incident for someone else."))
    if not staff:
        # The one rule for every channel (portal, API, e-mail): what only the desk decides is ignored when an end user
        # sends it; their report starts at minor impact and the desk assesses it (priority follows from that).
        assignment_group, is_major = None, False
        if impact in Impact.values:  # an impossible impact is still refused below, naming the field
            impact = Impact.MINOR
        if channel not in (Channel.PORTAL, Channel.API, Channel.EMAIL):
            channel = Channel.PORTAL
    _check_uploads(attachments)
    group = assignment_group or (service.support_group if service else None) or (
        category.default_group if category else None
    )
    incident = Incident(
        title=title, description=description, requester=requester, organisation=requester.organisation,
        logged_by=actor, channel=channel, category=category, service=service, impact=impact, urgency=urgency,
        is_major=is_major, assignment_group=group, state=State.ASSIGNED if group else State.NEW,
    )
    incident.priority = PriorityMatrixEntry.priority_for(impact, urgency)
    incident.full_clean(exclude=["number", "version"])
    with transaction.atomic(), _audit(actor, "create"):
        incident.number = next_numbers(1)[0]
        incident.save()
        signals.send_created(incident)
        _store_attachments(incident, attachments, actor)
        refresh_search(incident.pk)
        _after_commit_mail(incident.pk, "acknowledgement")
    return incident


def _check_parent(incident, parent):
    if parent is None:
        return
    if parent.pk == incident.pk:
        raise ValidationError({"parent": _("An incident cannot be its own parent.")})
    if parent.state in FINAL_STATES:
        raise ValidationError({"parent": _("The parent incident is already closed.")})
    ancestor, seen = parent, set()
    while ancestor.parent_id and ancestor.pk not in seen:
        seen.add(ancestor.pk)
        if ancestor.parent_id == incident.pk:
            raise ValidationError({"parent": _("This link would make a loop of parent incidents.")})
        ancestor = ancestor.parent


def update_incident(incident, *, actor, version, **changes):
    """Change the record's fields (not its state). Priority follows impact × urgency through the matrix."""
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may edit an incident."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    with transaction.atomic():
        with records_services.changing(incident, actor=actor, action="update", version=version) as change:
            incident = change.record
            if incident.state in FINAL_STATES:
                raise Conflict(_("A closed or cancelled incident cannot be edited."))
            if "parent" in changes:
                _check_parent(incident, changes["parent"])
            # Making an incident major (or no longer major) is a lead's decision, as declaring one is (incidents.major).
            if "is_major" in changes and bool(changes["is_major"]) != incident.is_major and \
                    workflow.LEAD not in workflow.actor_kinds(actor, incident):
                raise PermissionDenied(_("Only a team lead may declare a major incident."))
            for name, value in changes.items():
                setattr(incident, name, value)
            incident.priority = PriorityMatrixEntry.priority_for(incident.impact, incident.urgency)
            incident.full_clean(exclude=["number"])
        if {"title", "description"} & set(changes):
            refresh_search(incident.pk)
    return incident


def _check_assignment(incident, actor, group, assignee):
    if group is None:
        raise ValidationError({"assignment_group": _("Choose the group to assign to.")})
    if not group.is_active:
        raise ValidationError({"assignment_group": _("This group is no longer active.")})
    if assignee is not None:
        if not assignee.is_active or not group.members.filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": _("The assignee must be an active member of the group.")})
    taken_from_someone = incident.assignee_id and incident.assignee_id not in (actor.pk, getattr(assignee, "pk", None))
    if taken_from_someone and workflow.LEAD not in workflow.actor_kinds(actor, incident):
        raise PermissionDenied(_("Only a team lead may reassign an incident someone else is working on."))


def _desk_word(incident, actor, comment, now):
    """A public word from the desk answers the requester: it restarts the progress-update clock (first response too)."""
    if comment.strip() and _is_desk_word(incident, actor):
        incident.requester_updated_at = now
        if incident.first_response_at is None:
            incident.first_response_at = now


def _move(incident, action, *, actor, version, comment="", apply=None):
    """The shared part of every lifecycle action, on the records' kit: the table's checks on the locked row (409 with
    the legal actions, 403 for the wrong actor), the words the action needs, then `apply(incident, now)` (which may
    answer the target state where the table leaves it open), the first acknowledgement, the desk's word to the
    requester kept as a public reply, and the requester's mail."""
    comment = comment or ""
    with transaction.atomic():
        with records_services.transition(incident, action, actor=actor, version=version) as change:
            incident = change.record
            if action in WORDS_REQUIRED and not comment.strip():
                raise ValidationError({"comment": str(WORDS_REQUIRED[action])})
            now = timezone.now()
            target = apply(incident, now) if apply else None
            if target is not None:
                incident.state = target
            if action in ACKNOWLEDGING and incident.acknowledged_at is None:
                incident.acknowledged_at = now
            _desk_word(incident, actor, comment, now)
        if comment.strip():
            _add_comment_row(incident, actor, comment, internal=False)
        if action in MAILED_ACTIONS:
            _after_commit_mail(incident.pk, f"state:{action}:{incident.version}")
    return incident


# Resolving straight from new (first-contact resolution) acknowledges the incident as well.
ACKNOWLEDGING = frozenset({Action.ASSIGN, Action.TAKE, Action.START, Action.RESOLVE})
MAILED_ACTIONS = frozenset({Action.RESOLVE, Action.REOPEN, Action.CLOSE, Action.CANCEL, Action.PEND_USER})


def assign_incident(incident, *, actor, assignment_group=None, assignee=None, version=None, comment=""):
    """Give the incident to a group (and, optionally, one of its members)."""
    def apply(incident, now):
        group = assignment_group or incident.assignment_group
        _check_assignment(incident, actor, group, assignee)
        incident.assignment_group, incident.assignee = group, assignee
    return _move(incident, Action.ASSIGN, actor=actor, version=version, comment=comment, apply=apply)


def _take(incident, actor):
    # Checked before the group may change below: taking it into one's own group is still taking it.
    if incident.assignee_id and incident.assignee_id != actor.pk and \
            workflow.LEAD not in workflow.actor_kinds(actor, incident):
        raise PermissionDenied(_("Only a team lead may reassign an incident someone else is working on."))
    if not incident.assignment_group_id or not incident.assignment_group.members.filter(pk=actor.pk).exists():
        group = actor.assignment_groups.filter(is_active=True).order_by("name").first()
        if group is None:
            raise ValidationError({"assignment_group": _("You are not a member of any assignment group.")})
        incident.assignment_group = group
    incident.assignee = actor


def take_incident(incident, *, actor, version=None, comment=""):
    """The agent takes the incident for themselves (into one of their groups) and starts work on it."""
    return _move(incident, Action.TAKE, actor=actor, version=version, comment=comment,
                 apply=lambda incident, now: _take(incident, actor))


def start_incident(incident, *, actor, version=None, comment=""):
    """Start work on an incident assigned to the group (the agent becomes its assignee)."""
    return _move(incident, Action.START, actor=actor, version=version, comment=comment,
                 apply=lambda incident, now: _take(incident, actor))


def pend_incident_on_user(incident, *, actor, comment, version=None):
    """Wait for the requester's answer to `comment` (a public reply); the SLA clocks pause."""
    return _move(incident, Action.PEND_USER, actor=actor, version=version, comment=comment)


def pend_incident_on_supplier(incident, *, actor, version=None, comment=""):
    return _move(incident, Action.PEND_SUPPLIER, actor=actor, version=version, comment=comment)


def resume_incident(incident, *, actor, version=None, comment=""):
    return _move(incident, Action.RESUME, actor=actor, version=version, comment=comment)


def resolve_incident(incident, *, actor, resolution_code="", resolution_notes="", version=None, comment=""):
    """Record how the incident was resolved; the requester confirms (close) or reopens within the window."""
    def apply(incident, now):
        errors = {}
        if resolution_code not in ResolutionCode.values:
            errors["resolution_code"] = _("Choose a resolution code.")
        if not (resolution_notes or "").strip():
            errors["resolution_notes"] = _("Describe how the incident was resolved.")
        if errors:
            raise ValidationError(errors)
        incident.resolution_code, incident.resolution_notes = resolution_code, resolution_notes.strip()
        incident.resolved_at = now
        if incident.first_response_at is None:
            incident.first_response_at = now
    return _move(incident, Action.RESOLVE, actor=actor, version=version, comment=comment, apply=apply)


def _set_closed(incident, now):
    incident.closed_at = now


def _close(incident, now):
    from .major import check_may_close  # a major incident closes only after its review

    check_may_close(incident)
    _set_closed(incident, now)


def close_incident(incident, *, actor, version=None, comment=""):
    return _move(incident, Action.CLOSE, actor=actor, version=version, comment=comment, apply=_close)


def cancel_incident(incident, *, actor, version=None, comment=""):
    return _move(incident, Action.CANCEL, actor=actor, version=version, comment=comment, apply=_set_closed)


def reopen_incident(incident, *, actor, comment, version=None):
    """Reopen a resolved incident, saying why (a public reply); it goes back to whoever worked on it."""
    def apply(incident, now):
        _check_reopen_window(incident, actor)
        return _reopen(incident)
    return _move(incident, Action.REOPEN, actor=actor, version=version, comment=comment, apply=apply)


# The service of each action, for the channels that name the action as data (the action endpoint, bulk changes).
ACTIONS = {
    Action.ASSIGN: (assign_incident, ("assignment_group", "assignee")),
    Action.TAKE: (take_incident, ()),
    Action.START: (start_incident, ()),
    Action.PEND_USER: (pend_incident_on_user, ()),
    Action.PEND_SUPPLIER: (pend_incident_on_supplier, ()),
    Action.RESUME: (resume_incident, ()),
    Action.RESOLVE: (resolve_incident, ("resolution_code", "resolution_notes")),
    Action.CLOSE: (close_incident, ()),
    Action.REOPEN: (reopen_incident, ()),
    Action.CANCEL: (cancel_incident, ()),
}


def transition_incident(incident, action, *, actor, version=None, comment="", **options):
    """Take `action` (named as data) through its own service: `options` are the fields that action takes
    (assignment_group and assignee for assign, resolution_code and resolution_notes for resolve); others are ignored.
    Illegal moves answer 409 with the legal ones; wrong actors 403."""
    if action not in ACTIONS:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    service, takes = ACTIONS[action]
    return service(incident, actor=actor, version=version, comment=comment or "",
                   **{name: options[name] for name in takes if name in options})


def _reopen(incident):
    """Clear the resolution and answer the state a reopened incident returns to (the reopen action and a reply)."""
    incident.resolved_at, incident.resolution_code, incident.resolution_notes = None, "", ""
    if incident.assignee_id:
        return State.IN_PROGRESS
    return State.ASSIGNED if incident.assignment_group_id else State.NEW


def _is_desk_word(incident, actor):
    """A public word from the desk to the requester (someone on staff other than the requester)."""
    return actor is not None and incident.requester_id != actor.pk and is_staff_member(actor)


def _check_reopen_window(incident, actor):
    if actor is not None and is_staff_member(actor):
        return
    window = timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS)
    if incident.resolved_at and timezone.now() - incident.resolved_at > window:
        raise Conflict(_("This incident was resolved too long ago to reopen; please report a new one."))


def _add_comment_row(incident, actor, body, *, internal):
    comment = IncidentComment.objects.create(incident=incident, author=actor, body=body, is_internal=internal)
    refresh_search(incident.pk)
    return comment


def add_comment(incident, *, actor, body, internal=False, attachments=(), version=None):
    """Write a public reply or an internal note. A requester's reply wakes a pending or resolved incident."""
    staff = is_staff_member(actor)
    if internal and not staff:
        raise PermissionDenied(_("Only service desk staff may write internal notes."))
    if not (body or "").strip():
        raise ValidationError({"body": _("Write something before sending.")})
    _check_uploads(attachments)
    with transaction.atomic():
        action = "internal_note" if internal else "reply"
        with records_services.changing(incident, actor=actor, action=action, version=version) as change:
            incident = change.record
            if incident.state in FINAL_STATES:
                raise Conflict(_("This incident is closed; please report a new one."), state=incident.state)
            comment = _add_comment_row(incident, actor, body.strip(), internal=internal)
            _store_attachments(incident, attachments, actor, comment=comment)
            changed = False
            if not internal and _is_desk_word(incident, actor):
                incident.requester_updated_at = timezone.now()  # not a change of the record: no new version
                if incident.first_response_at is None:
                    incident.first_response_at, changed = incident.requester_updated_at, True
            if incident.requester_id == actor.pk and not staff:
                # The requester's answer is their part of the table: resume what waited on them, reopen what was
                # resolved (within the reopen window).
                if incident.state == State.PENDING_USER and WORKFLOW.may_take(actor, incident, Action.RESUME):
                    incident.state, changed = WORKFLOW.table[Action.RESUME].target, True
                elif incident.state == State.RESOLVED and WORKFLOW.may_take(actor, incident, Action.REOPEN):
                    _check_reopen_window(incident, actor)
                    incident.state, changed = _reopen(incident), True
            change.bump = changed
            change.write = changed or incident.requester_updated_at != change.before["requester_updated_at"]
        if not internal and incident.requester_id != actor.pk:
            _after_commit_mail(incident.pk, "reply", comment_id=comment.pk)
    return comment


def merge_incident(duplicate, *, into, actor):
    """Close `duplicate` as a duplicate of `into`, keeping a note on both. A lead's action."""
    if not is_lead(actor):
        raise PermissionDenied(_("Only a team lead may merge incidents."))
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("An incident cannot be merged into itself.")})
    with transaction.atomic(), _audit(actor, "merge"):
        # Lock in id order: two merges of the same pair, either way round, cannot deadlock.
        rows = Incident.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk")
        locked = {i.pk: i for i in rows}
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        before = signals.snapshot(duplicate)
        rule = WORKFLOW.table[Action.MERGE]
        if duplicate.state not in rule.sources:
            raise Conflict(_("Only an open incident can be merged."), state=duplicate.state)
        if into.state in FINAL_STATES or into.duplicate_of_id:
            raise ValidationError({"into": _("The target incident is closed or itself merged.")})
        now = timezone.now()
        duplicate.duplicate_of = into
        duplicate.state = rule.target
        duplicate.resolution_code = ResolutionCode.DUPLICATE
        duplicate.resolution_notes = _("Merged into %(number)s.") % {"number": into.number}
        duplicate.resolved_at = duplicate.closed_at = now
        duplicate.version += 1
        _save(duplicate)
        signals.send_changed(duplicate, before, "merge")
        record_event(duplicate, "merged_into", actor=actor, public=True, number=into.number)
        record_event(into, "merged_in", actor=actor, number=duplicate.number)
        _add_comment_row(into, actor, _("%(number)s (%(title)s) was merged into this incident.")
                         % {"number": duplicate.number, "title": duplicate.title}, internal=True)
        _add_comment_row(duplicate, actor, _("This incident duplicates %(number)s and was merged into it.")
                         % {"number": into.number}, internal=False)
    return duplicate


def auto_close_resolved(now=None):
    """Close incidents resolved longer ago than the configured period. Safe to run twice at once (row locks)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    rule = WORKFLOW.table[Action.CLOSE]
    if workflow.SYSTEM not in rule.actors:  # the table decides what the system may do, like for anyone else
        return 0
    closed = 0
    while True:
        with transaction.atomic(), _audit(None, "auto_close"):
            batch = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(state__in=rule.sources, resolved_at__lte=cutoff)
                # A major incident is closed only after its review (incidents.major).
                .exclude(Q(is_major=True) & ~Q(pk__in=MajorIncident.objects.filter(status=MajorStatus.REVIEWED)
                                                .values("incident_id")))
                .order_by("resolved_at")[:200]
            )
            for incident in batch:
                before = signals.snapshot(incident)
                incident.state, incident.closed_at = rule.target, now
                incident.version += 1
                incident.save(update_fields=["state", "closed_at", "version", "updated_at"])
                signals.send_changed(incident, before, "auto_close")
                _after_commit_mail(incident.pk, f"state:auto_close:{incident.version}")
        closed += len(batch)
        if len(batch) < 200:
            return closed


ESCALATED_FIELDS = ("assignment_group_id", "assignee_id", "state", "urgency", "priority")


def _escalate(incident, group, levels, matrix):
    """Reassign `incident` to `group` (if given) and raise its priority `levels` levels, in memory."""
    if group is not None and group.pk != incident.assignment_group_id:
        if not group.is_active:
            raise ValidationError({"target_group": _("This group is no longer active.")})
        incident.assignment_group, incident.assignee = group, None
        rule = WORKFLOW.table[Action.ESCALATE]
        if incident.state in rule.sources:  # a record being worked (or new) goes back to "assigned"
            incident.state = rule.target
    wanted = max(int(Priority.P1), incident.priority - levels)
    if wanted < incident.priority:
        # Through urgency where the matrix allows it, so a later edit keeps the raise; otherwise set directly.
        for urgency in range(incident.urgency, 0, -1):
            if matrix.get((incident.impact, urgency), max(incident.impact, urgency)) <= wanted:
                incident.urgency = urgency
                break
        incident.priority = wanted


def escalate_incidents(requests):
    """System escalations of many incidents at once (the SLA scan): {incident id: (group or None, levels)} reassigns
    each to its group and raises its priority by `levels`. Only open incidents change; a reassigned incident loses
    its assignee (and, if it was being worked on, goes back to assigned).

    Runs in the caller's transaction (in a savepoint): one read of the rows (locked), one write, one history event
    per changed incident, and incident_changed for each. Returns {incident id: changes} of those that changed.
    """
    if not requests:
        return {}
    with transaction.atomic():
        incidents = list(Incident.objects.select_for_update().filter(pk__in=list(requests)).order_by("pk"))
        matrix = {(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()}
        changed, before, now = [], {}, timezone.now()
        for incident in incidents:
            if incident.state not in OPEN_STATES:
                continue
            before[incident.pk] = signals.snapshot(incident)
            group, levels = requests[incident.pk]
            _escalate(incident, group, levels, matrix)
            if signals.snapshot(incident) != before[incident.pk]:
                incident.version, incident.updated_at = incident.version + 1, now  # as written below
                changed.append(incident)
        # One UPDATE per distinct outcome (a burst of breaches mostly shares a few), not a CASE per row and field.
        outcomes = {}
        for incident in changed:
            outcomes.setdefault(tuple(getattr(incident, name) for name in ESCALATED_FIELDS), []).append(incident.pk)
        with pghistory.context(user=None, action="sla_escalation"):
            for values, ids in outcomes.items():
                Incident.objects.filter(pk__in=ids).update(
                    version=F("version") + 1, updated_at=now, **dict(zip(ESCALATED_FIELDS, values, strict=True)))
        return {incident.pk: signals.send_changed(incident, before[incident.pk], "sla_escalation")
                for incident in changed}


def save_priority_matrix(cells, *, actor):
    """Store {(impact, urgency): priority} cells in one transaction; returns how many changed."""
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators may change the priority matrix."))
    changed = 0
    with transaction.atomic(), _audit(actor, "priority_matrix"):
        for (impact, urgency), priority in cells.items():
            entry, created = PriorityMatrixEntry.objects.select_for_update().get_or_create(
                impact=impact, urgency=urgency, defaults={"priority": priority}
            )
            if created or entry.priority != priority:
                entry.priority = priority
                entry.save()
                changed += 1
    return changed
