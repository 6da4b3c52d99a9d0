"""Signals incidents sends so that other practices (SLA clocks first) follow its records without being imported.

Both are sent by incidents.services INSIDE the transaction that changes the incident, after the row is written and
while it is locked: a receiver's writes (e.g. clock state) commit or roll back together with the incident, so a clock
can never be half-updated relative to its record. Receivers must therefore be quick and must not talk to the outside
world (mail, the broker): side effects go to the outbox (`core.outbox.enqueue`), which sends them after commit.

    incident_created(sender=Incident, incident)
    incident_changed(sender=Incident, incident, action, changes)   changes: {field attname: (old, new)}
"""

from django.dispatch import Signal

incident_created = Signal()
incident_changed = Signal()

# The fields other practices react to (their attnames). Only a change to one of these sends incident_changed.
TRACKED_FIELDS = (
    "state", "priority", "service_id", "organisation_id", "assignment_group_id", "assignee_id", "first_response_at",
    "requester_updated_at", "resolved_at", "closed_at", "duplicate_of_id",
)


def snapshot(incident):
    """The tracked fields of `incident` now (take it after locking, before changing)."""
    return {name: getattr(incident, name) for name in TRACKED_FIELDS}


def send_created(incident):
    from .models import Incident

    incident_created.send(sender=Incident, incident=incident)


def send_changed(incident, before, action):
    """Send incident_changed if a tracked field differs from `before` (a snapshot); returns the changes."""
    from .models import Incident

    changes = {name: (old, getattr(incident, name)) for name, old in before.items() if getattr(incident, name) != old}
    if changes:
        incident_changed.send(sender=Incident, incident=incident, action=action, changes=changes)
    return changes
