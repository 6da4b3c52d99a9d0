"""Signals every record kind sends, so other practices (SLA clocks first) follow records without importing them.

Both are sent by the kind's services INSIDE the transaction that changes the record, after the row is written and
while it is locked: a receiver's writes commit or roll back together with the record. Receivers must be quick and
must not talk to the outside world; side effects go to the outbox (`core.outbox.enqueue`), sent after commit.

    record_created(sender=<record model>, record)
    record_changed(sender=<record model>, record, action, changes)   changes: {field attname: (old, new)}

Only a change to one of the model's TRACKED_FIELDS sends record_changed.
"""

from django.dispatch import Signal

record_created = Signal()
record_changed = Signal()


def snapshot(record):
    """The tracked fields of `record` now (take it after locking, before changing)."""
    return {name: getattr(record, name) for name in type(record).TRACKED_FIELDS}


def send_created(record):
    record_created.send(sender=type(record), record=record)


def send_changed(record, before, action):
    """Send record_changed if a tracked field differs from `before` (a snapshot); returns the changes."""
    changes = {name: (old, getattr(record, name)) for name, old in before.items() if getattr(record, name) != old}
    if changes:
        record_changed.send(sender=type(record), record=record, action=action, changes=changes)
    return changes
