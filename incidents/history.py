"""The audit trail of an incident, read from pghistory's trigger-written events and made readable."""

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from pghistory.models import Events

from core.models import AssignmentGroup, User

from .choices import Action, Channel, Impact, Priority, ResolutionCode, State, Urgency
from .models import Incident, IncidentComment

_CHOICES = {
    "state": dict(State.choices), "priority": dict(Priority.choices), "impact": dict(Impact.choices),
    "urgency": dict(Urgency.choices), "channel": dict(Channel.choices), "resolution_code": dict(ResolutionCode.choices),
}
_PEOPLE = ("assignee", "requester", "logged_by", "author", "uploaded_by")
_HIDDEN = {"version", "id", "created_at", "search_vector", "internal_search_vector", "updated_at"}
_ACTION_LABELS = {**dict(Action.choices)}


def _field_label(model, name):
    try:
        return model._meta.get_field(name.removesuffix("_id")).verbose_name
    except Exception:  # noqa: BLE001 - an event may name a field that no longer exists
        return name


def incident_history(incident):
    """Events of the incident and of its conversation/attachments, oldest first, with names resolved."""
    events = list(Events.objects.references(incident).order_by("pgh_created_at", "pgh_id"))
    user_ids, group_ids = set(), set()
    for event in events:
        ctx = event.pgh_context or {}
        if ctx.get("user"):
            user_ids.add(ctx["user"])
        for field, change in (event.pgh_diff or {}).items():
            key = field.removesuffix("_id")
            if key in _PEOPLE:
                user_ids.update(v for v in change if v)
            elif key == "assignment_group":
                group_ids.update(v for v in change if v)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)}
    groups = {g.pk: str(g) for g in AssignmentGroup.objects.filter(pk__in=group_ids)}

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
        model = Incident if event.pgh_model.endswith("IncidentEvent") else IncidentComment
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
            "who": users.get(ctx.get("user")) or "",
            "action": str(_ACTION_LABELS.get(ctx.get("action"), ctx.get("action") or "")),
            "label": event.pgh_label,
            "model": event.pgh_model.split(".")[-1],
            "changes": changes,
        })
    return rows
