"""The audit trail of one incident as the caller may see it: pghistory events of the incident, its conversation
entries and its attachments, oldest first, with the person each change was made by.
"""

from django.db.models import Q
from pghistory.models import Events

from core.models import User
from core.roles import is_staff_member
from incidents.models import IncidentAttachment, IncidentComment

# Context actions that reveal an internal note; an end user's trail leaves them out.
_INTERNAL_ACTIONS = frozenset({"internal_note"})
_MODEL_ORDER = {"incidents.Incident": 0, "incidents.IncidentComment": 1, "incidents.IncidentAttachment": 2}


def incident_events(incident, user):
    """A list of pghistory Events (each with `.person`, the User who acted, or None for the system)."""
    staff = is_staff_member(user)
    events = list(Events.objects.tracks(incident))
    comments = IncidentComment.objects.filter(incident=incident)
    attachments = IncidentAttachment.objects.filter(incident=incident)
    if not staff:
        comments = comments.filter(is_internal=False)
        attachments = attachments.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
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
