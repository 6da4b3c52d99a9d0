"""The audit trail of an incident, read from pghistory's trigger-written events: `incident_events` for the API,
`incident_history` made readable for the incident page. Both show a person only what they may see."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from core.models import AssignmentGroup, User
from core.roles import is_staff_member

from .choices import Action, Channel, Impact, Priority, ResolutionCode, State, Urgency
from .models import Incident, IncidentAttachment, IncidentComment

_CHOICES = {
    "state": dict(State.choices), "priority": dict(Priority.choices), "impact": dict(Impact.choices),
    "urgency": dict(Urgency.choices), "channel": dict(Channel.choices), "resolution_code": dict(ResolutionCode.choices),
}
_PEOPLE = ("assignee", "requester", "logged_by", "author", "uploaded_by")
_HIDDEN = {"version", "id", "created_at", "search_vector", "internal_search_vector", "updated_at"}
_ACTION_LABELS = {
    **dict(Action.choices),
    "sla_escalation": _("SLA escalation"),
    "auto_close": _("Closed automatically"),
    "reply": _("Reply"),
    "internal_note": _("Internal note"),
    "update": _("Updated"),
    "create": _("Created"),
    "merge": _("Merged"),
    "link_ci": _("Configuration item linked"),
    "unlink_ci": _("Configuration item unlinked"),
}


# Context actions that reveal an internal note; an end user's trail leaves them out.
_INTERNAL_ACTIONS = frozenset({"internal_note"})
_MODELS = {"incidents.Incident": Incident, "incidents.IncidentComment": IncidentComment,
           "incidents.IncidentAttachment": IncidentAttachment}
_MODEL_ORDER = {name: order for order, name in enumerate(_MODELS)}


def incident_events(incident, user):
    """A list of pghistory Events (each with `.person`, the User who acted, or None for the system)."""
    staff = is_staff_member(user)
    events = list(Events.objects.tracks(incident))
    comments = IncidentComment.objects.visible_to(user).filter(incident=incident)
    attachments = IncidentAttachment.objects.visible_to(user).filter(incident=incident)
    # tracks() with an empty list would match every event of every model: only ask when there are rows.
    for related in (list(comments.only("pk")), list(attachments.only("pk"))):
        if related:
            events.extend(Events.objects.tracks(related))
    if not staff:
        events = [e for e in events if (e.pgh_context or {}).get("action") not in _INTERNAL_ACTIONS]
    # One request is one transaction, so its events share a timestamp: the incident's change first, then its parts.
    events.sort(key=lambda e: (e.pgh_created_at, _MODEL_ORDER.get(e.pgh_obj_model, 9), e.pgh_id))
    user_ids = {(e.pgh_context or {}).get("user") for e in events} - {None}
    people = User.objects.in_bulk(user_ids) if user_ids else {}
    for event in events:
        event.person = people.get((event.pgh_context or {}).get("user"))
    return events


def _field_label(model, name):
    try:
        return model._meta.get_field(name.removesuffix("_id")).verbose_name
    except FieldDoesNotExist:  # an event may name a field that no longer exists
        return name


def incident_history(incident, user):
    """Events of the incident and of its conversation/attachments, oldest first, with names resolved."""
    events = incident_events(incident, user)
    user_ids, group_ids = set(), set()  # people and groups named in the diffs (who acted is event.person)
    for event in events:
        for field, change in (event.pgh_diff or {}).items():
            key = field.removesuffix("_id")
            if key in _PEOPLE:
                user_ids.update(v for v in change if v)
            elif key == "assignment_group":
                group_ids.update(v for v in change if v)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    groups = {g.pk: str(g) for g in AssignmentGroup.objects.filter(pk__in=group_ids)} if group_ids else {}

    def show(field, value):
        key = field.removesuffix("_id")
        if value in (None, ""):
            return "—"
        if isinstance(value, str) and len(value) > 18 and value[4:5] == "-" and "T" in value:
            parsed = parse_datetime(value)
            if parsed is not None:
                return date_format(localtime(parsed), "Y-m-d H:i")
        if key in _CHOICES:
            return str(_CHOICES[key].get(value, value))
        if key in _PEOPLE:
            return users.get(value, value)
        if key == "assignment_group":
            return groups.get(value, value)
        return value

    rows = []
    for event in events:
        model = _MODELS.get(event.pgh_obj_model, Incident)
        ctx = event.pgh_context or {}
        changes = []
        if event.pgh_label == "update":
            for field, (old, new) in (event.pgh_diff or {}).items():
                if field.removesuffix("_id") in _HIDDEN or field in _HIDDEN:
                    continue
                changes.append({"field": _field_label(model, field), "old": show(field, old), "new": show(field, new)})
            if not changes:
                continue
        rows.append({
            "when": event.pgh_created_at,
            "who": str(event.person) if event.person else "",
            "action": str(_ACTION_LABELS.get(ctx.get("action"), ctx.get("action") or "")),
            "label": event.pgh_label,
            "model": event.pgh_model.split(".")[-1],
            "changes": changes,
        })
    return rows
