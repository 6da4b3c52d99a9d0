"""Delivering a stakeholder update: a public reply on the major incident and each open child, through
incidents.services.add_comment, so each requester's mail, first response and progress-update clock follow as for any
reply. Run by the outbox after the update commits, in batches: a batch that is done enqueues the next, and a batch
run twice skips the incidents that already have the reply (the relay may repeat a message)."""

from core import outbox
from core.exceptions import Conflict
from records.models import TimelineEvent

from . import services
from .choices import FINAL_STATES
from .models import Incident, IncidentComment

BATCH = 100


def recipients(major_id):
    """The major incident and its open children, in id order."""
    return Incident.objects.filter(pk=major_id) | Incident.objects.filter(parent_id=major_id).exclude(
        state__in=FINAL_STATES)


def deliver_update(event_id, after_id=0):
    event = TimelineEvent.objects.select_related("actor").filter(pk=event_id, key="stakeholder_update").first()
    if event is None:
        return 0
    body = event.data.get("text", "")
    batch = list(recipients(event.record_id).filter(pk__gt=after_id).order_by("pk")[:BATCH])
    delivered = 0
    for incident in batch:
        already = IncidentComment.objects.filter(incident=incident, author=event.actor, body=body, is_internal=False,
                                                 created_at__gte=event.created_at).exists()
        if already:
            continue
        try:
            services.add_comment(incident, actor=event.actor, body=body)
            delivered += 1
        except Conflict:  # closed since the update was posted: nothing to tell on it
            continue
    if len(batch) == BATCH:
        last = batch[-1].pk
        outbox.enqueue("incidents.major_updates.deliver_update", {"event_id": event_id, "after_id": last},
                       key=f"major-update:{event_id}:{last}")
    return delivered
