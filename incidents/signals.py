"""Incidents send the records' signals (records.signals): record_created and record_changed with sender=Incident,
inside the transaction that changes the incident, after the row is written and while it is locked. The names below
are what other practices (SLA clocks first) import; a change to one of Incident.TRACKED_FIELDS sends incident_changed.
"""

from records.signals import record_changed as incident_changed
from records.signals import record_created as incident_created
from records.signals import send_changed, send_created, snapshot

__all__ = ["incident_changed", "incident_created", "send_changed", "send_created", "snapshot"]
