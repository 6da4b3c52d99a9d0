"""Thin, idempotent tasks of service level management: ids in, a service call out.

The scan runs on the beat schedule (itsm.settings CELERY_BEAT_SCHEDULE, every SLA_SCAN_INTERVAL_SECONDS). Deadlines
are never held as delayed tasks (an ETA beyond Redis' visibility timeout runs twice): they live in PostgreSQL and the
scan sweeps them. Any task here may run twice, or at the same time as itself, without doubling anything.
"""

import logging

from celery import shared_task

from core.tasks import BaseTask

logger = logging.getLogger(__name__)


HELPER_EXPIRES = 60  # seconds: a helper scan not started by then is pointless (the next tick has come and gone)


@shared_task(base=BaseTask, name="sla.tasks.scan_clocks")
def scan_clocks(helper=False):
    """One tick: escalate what is due, re-queue lost notifications and stale recomputations.

    When more than a batch is due, the tick asks for one helper scan (`helper=True`, which only escalates): both
    take batches with SKIP LOCKED, so a burst of breaches is shared by two workers without doing anything twice.
    """
    from . import escalation, recompute

    def ask_for_help():
        try:
            scan_clocks.apply_async(kwargs={"helper": True}, expires=HELPER_EXPIRES)
        except Exception:  # noqa: BLE001 - without a helper this scan simply does all of it
            logger.warning("Could not queue a helper SLA scan", exc_info=True)

    result = escalation.scan_due_clocks(on_backlog=None if helper else ask_for_help)
    if helper:
        return result.as_dict()
    resent = escalation.requeue_unsent_notices()
    for agreement_id in recompute.claim_stale_agreements():
        recompute_agreement_clocks.delay(agreement_id)
    return {**result.as_dict(), "notices_requeued": resent}


@shared_task(base=BaseTask, name="sla.tasks.send_threshold_notices")
def send_threshold_notices(event_ids):
    from .notifications import send_threshold_notices as send

    return send(event_ids)


@shared_task(base=BaseTask, name="sla.tasks.recompute_agreement_clocks")
def recompute_agreement_clocks(agreement_id):
    from .recompute import recompute_agreement

    return recompute_agreement(agreement_id)


@shared_task(base=BaseTask, name="sla.tasks.fold_outcome_changes")
def fold_outcome_changes():
    """Beat: the dashboard's roll-up catches up with the clocks (exact either way, see sla.models.outcomes)."""
    from .outcomes import fold_changes

    return fold_changes()
