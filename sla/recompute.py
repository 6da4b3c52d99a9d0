"""Recomputing clocks after an agreement or its calendar changed: marked stale in the changing transaction, claimed by
the scan (a lease, so one recomputation per agreement runs at a time), recomputed in the background batch by batch.

Each batch is its own transaction that locks its clocks first and reads the agreement, its targets and its calendar
after: every clock is either entirely recomputed with current data or untouched, and a change committed meanwhile is
never overwritten by older data.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import businesstime, engine
from .choices import OPEN_CLOCK_STATES
from .models import SLAClock, SLADefinition, SLATarget

RECOMPUTE_LEASE = timedelta(minutes=5)


def mark_stale(agreement_ids, at=None):
    """Note that the open clocks of these agreements need recomputing; the scan queues the work (sla.tasks).

    A plain write in the caller's transaction, no broker call: a web request never waits on Redis for this, and a
    change whose transaction rolls back leaves nothing behind. Always a new marker, so that a recomputation already
    under way (which read the older data for some batches) does not clear it.
    """
    return SLADefinition.objects.filter(pk__in=list(agreement_ids)).update(clocks_stale_since=at or timezone.now())


def claim_stale_agreements(now=None):
    """Ids of agreements with stale clocks that no recomputation holds, each now held for RECOMPUTE_LEASE."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(SLADefinition.objects.select_for_update(skip_locked=True).filter(
            Q(recompute_lease_until__isnull=True) | Q(recompute_lease_until__lt=now),
            clocks_stale_since__isnull=False,
        ).values_list("pk", flat=True))
        if ids:
            SLADefinition.objects.filter(pk__in=ids).update(recompute_lease_until=now + RECOMPUTE_LEASE)
    return ids


def recompute_agreement(agreement_id, *, batch_size=500, now=None):
    """Recompute every open clock of one agreement with its current targets, checkpoints and calendar.

    Batches of `batch_size` clocks in id order, each in its own transaction; the agreement, its targets and its
    calendar are read after the batch is locked, so a change committed meanwhile is never overwritten by older data.
    A clock whose priority has no target any more is cancelled. Returns the number of clocks recomputed.
    """
    marker = SLADefinition.objects.filter(pk=agreement_id).values_list("clocks_stale_since", flat=True).first()
    done, last_id = 0, 0
    while True:
        with transaction.atomic():
            clocks = list(SLAClock.objects.select_for_update().filter(
                sla_id=agreement_id, state__in=OPEN_CLOCK_STATES, pk__gt=last_id).order_by("pk")[:batch_size])
            if not clocks:
                break
            agreement = SLADefinition.objects.get(pk=agreement_id)
            targets = {(t.priority, t.metric): t.duration for t in SLATarget.objects.filter(sla_id=agreement_id)}
            calendar = businesstime.load_calendar(agreement.calendar_id)
            at = now or timezone.now()
            for clock in clocks:
                clock.sla = agreement
                duration = targets.get((clock.priority, clock.metric))
                if duration is None:
                    engine.cancel(clock, calendar, at)
                else:
                    clock.target = duration
                clock.sla_kind = agreement.kind
                engine.schedule(clock, calendar)
                clock.updated_at = at
            engine.write_clocks(clocks)
        done += len(clocks)
        last_id = clocks[-1].pk
        SLADefinition.objects.filter(pk=agreement_id).update(recompute_lease_until=timezone.now() + RECOMPUTE_LEASE)
    # Done, unless the agreement changed again meanwhile (then its new marker asks for another pass).
    SLADefinition.objects.filter(pk=agreement_id, clocks_stale_since=marker).update(clocks_stale_since=None)
    SLADefinition.objects.filter(pk=agreement_id).update(recompute_lease_until=None)
    return done
