"""How service level management follows other practices: incident signals move clocks, calendar changes mark the
agreements over that calendar for recomputation. Connected in SlaConfig.ready().

Incident signals arrive inside the incident's transaction (see incidents.signals), so clocks commit or roll back
with the incident. A calendar change arrives after its commit; marking the agreements stale is one UPDATE, and the
next scan queues the recomputation: no request ever waits on the broker.
"""

from django.dispatch import receiver

from incidents.models import Incident
from incidents.signals import incident_changed, incident_created

from . import engine, recompute
from .models import SLADefinition
from .signals import calendar_changed


@receiver(incident_created, sender=Incident, dispatch_uid="sla.incident_created")
def start_clocks(sender, record, **kwargs):
    engine.sync_incident(record, created=True)


@receiver(incident_changed, sender=Incident, dispatch_uid="sla.incident_changed")
def follow_incident(sender, record, changes, **kwargs):
    engine.sync_incident(record, changes=changes)


@receiver(calendar_changed, dispatch_uid="sla.calendar_changed")
def recompute_over_calendar(sender, calendar_id, **kwargs):
    recompute.mark_stale(SLADefinition.objects.filter(calendar_id=calendar_id).values_list("pk", flat=True))
