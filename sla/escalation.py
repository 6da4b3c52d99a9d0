"""The scan: find the clocks whose next threshold has come, record each threshold once, carry out its steps.

Exactly once, whatever the delivery: a scan takes due clocks with `SELECT ... FOR UPDATE SKIP LOCKED` (several
workers, and the scans of two beats, share the work without waiting on each other), and for each threshold reached
inserts a ClockThresholdEvent whose (clock, run, threshold) key is unique, with ON CONFLICT DO NOTHING. Only the
transaction that inserted the row carries out the step's record actions (reassign, raise priority), in the same
transaction: a worker killed mid-way rolls all of it back and the next scan does it again, once. Notifications go
out after commit through sla.notifications, keyed per recipient and threshold (core.notify), with the event row as
their outbox: `notified_at` stays empty until they are out, and the scan re-queues old unsent ones.

Lock order, so that the scan never waits and can never deadlock: a due clock (SKIP LOCKED), then, only for clocks
whose steps change the record, the incident and every clock of it (SKIP LOCKED; if any is busy, e.g. an agent is
saving that incident, the clock waits for the next tick). Incident services lock the incident, then its clocks.
"""

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident

from . import engine, notifications
from .choices import NOTIFY_ACTIONS, RECORD_ACTIONS, EscalationAction
from .models import BREACH_PERCENT, ClockThresholdEvent, EscalationStep, SLAClock

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
NOTICE_CHUNK = 100
# A test seam (tests/test_sla_exactly_once.py): hold a batch's transaction open after its escalations, so that a
# test can SIGKILL the worker mid-escalation. Unset in production.
_PAUSE_BEFORE_COMMIT = float(os.environ.get("SLA_TEST_PAUSE_BEFORE_COMMIT") or 0)


@dataclass
class ScanResult:
    clocks: int = 0  # due clocks looked at
    events: int = 0  # thresholds recorded (each once)
    deferred: int = 0  # left for the next tick because their incident was busy
    batches: int = 0

    def as_dict(self):
        return asdict(self)


def steps_for(steps, clock, percent):
    return [step for step in steps.get(clock.sla_id, ())
            if step.at_percent == percent and step.applies_to(clock.metric)]


def _plan(step, people=None):
    """What a step is to do, as stored on the event: its action, and the group or the recipients' ids."""
    planned = {"action": step.action}
    if step.target_group_id:
        planned["group"] = step.target_group_id
    if step.action in NOTIFY_ACTIONS:
        planned["to"] = notifications.recipient_ids(step.action, **people)
    return planned


def _people(plans, steps):
    """{incident id: the assignee, lead and managers to address} for the clocks whose thresholds notify anyone."""
    wanted = {clock.incident_id: {s.action for p in fired for s in steps_for(steps, clock, p)} & NOTIFY_ACTIONS
              for clock, fired in plans}
    wanted = {incident_id: actions for incident_id, actions in wanted.items() if actions}
    if not wanted:
        return {}
    managers = notifications.manager_ids() if any(EscalationAction.NOTIFY_MANAGERS in a for a in wanted.values()) \
        else []
    rows = Incident.objects.filter(pk__in=wanted).values_list("pk", "assignee_id", "assignment_group__lead_id")
    return {pk: {"assignee_id": assignee, "lead_id": lead, "manager_ids": managers} for pk, assignee, lead in rows}


def _fired(clock, calendar, now):
    """The checkpoints the clock has reached by `now` and not yet handled, in order."""
    elapsed = engine.elapsed_at(clock, calendar, now)
    return [p for p in clock.sla.checkpoints
            if p > clock.handled_percent and elapsed + engine.TOLERANCE >= engine.threshold_amount(clock.target, p)]


def _lock_records(incident_ids):
    """Lock these incidents and all their clocks without waiting; answer the ids that are busy elsewhere."""
    if not incident_ids:
        return set()
    locked = set(Incident.objects.select_for_update(skip_locked=True).filter(pk__in=incident_ids)
                 .values_list("pk", flat=True))
    busy = set(incident_ids) - locked
    if locked:
        # No ORDER BY (Meta.ordering would join the incident and agreement tables, and FOR UPDATE would then lock
        # the agreement row too: another scan's SKIP LOCKED would find every clock busy).
        clocks = SLAClock.objects.filter(incident_id__in=locked).order_by()
        all_clocks = dict(clocks.values_list("pk", "incident_id"))
        got = set(clocks.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
        busy |= {incident_id for pk, incident_id in all_clocks.items() if pk not in got}
    return busy


def _insert_events(rows):
    """INSERT the events, skipping any that exist; {(clock id, run, percent): event id} of those inserted."""
    if not rows:
        return {}
    table = ClockThresholdEvent._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s::jsonb, %s, %s)"] * len(rows))
    params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (clock_id, run, threshold_percent, reached_at, handled_at, actions, notified_at, "  # noqa: S608 - no user input
            f"notice_queued_at) VALUES {values} ON CONFLICT (clock_id, run, threshold_percent) DO NOTHING "
            f"RETURNING id, clock_id, run, threshold_percent", params,
        )
        return {(clock_id, run, percent): pk for pk, clock_id, run, percent in cursor.fetchall()}


def _record_requests(work):
    """{incident id: (group or None, levels)} asked by the record steps of `work` [(clock, step list, outcomes)].

    A reassignment to a group deactivated since the step was written is refused here (and recorded), so that the
    other steps still happen. Several thresholds of one incident in one batch add up (each raise is one level).
    """
    requests = {}
    for clock, step_list, outcomes in work:
        group, levels = requests.get(clock.incident_id, (None, 0))
        for step, outcome in zip(step_list, outcomes, strict=True):
            if step.action == EscalationAction.RAISE_PRIORITY:
                levels += 1
            elif step.action == EscalationAction.REASSIGN:
                if step.target_group.is_active:
                    group = step.target_group
                else:
                    outcome.update(done=False, error=_("The group “%(name)s” is no longer active.")
                                   % {"name": step.target_group.name})
        requests[clock.incident_id] = (group, levels)
    return {pk: wanted for pk, wanted in requests.items() if wanted != (None, 0)}


def _escalate_records(requests):
    """Carry out the record steps through the incident service, all at once; answer {incident id: changes} and
    {incident id: error} for those that failed. Should the bulk call fail, each incident is tried on its own, so one
    bad record never holds up the others (or the scan)."""
    from incidents.services import escalate_incidents

    try:
        with transaction.atomic(), engine.deferred_syncs():  # the incidents and their clocks, or neither
            return escalate_incidents(requests), {}
    except Exception:  # noqa: BLE001 - retried one by one below, where the failing one is found and recorded
        logger.warning("Bulk SLA escalation failed; escalating one by one", exc_info=True)
    changes, errors = {}, {}
    for incident_id, wanted in requests.items():
        try:
            with transaction.atomic(), engine.deferred_syncs():
                changes.update(escalate_incidents({incident_id: wanted}))
        except Exception as exc:  # noqa: BLE001 - recorded on the event; the scan goes on
            errors[incident_id] = str(exc)[:200]
    return changes, errors


def _act_on_records(work):
    """Do the record steps of the events in `work` [(clock, step list, outcomes)]; fill in their outcomes."""
    changes, errors = _escalate_records(_record_requests(work))
    for clock, step_list, outcomes in work:
        done = changes.get(clock.incident_id, {})
        for step, outcome in zip(step_list, outcomes, strict=True):
            if step.action not in RECORD_ACTIONS or "done" in outcome:
                continue
            if clock.incident_id in errors:
                outcome.update(done=False, error=errors[clock.incident_id])
            else:
                outcome["done"] = ("assignment_group_id" if step.action == EscalationAction.REASSIGN
                                   else "priority") in done


def _record_outcomes(outcomes):
    """Store what the record steps did on their events ({event id: actions}), in one statement."""
    if not outcomes:
        return
    table = ClockThresholdEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS e SET actions = v.actions FROM (VALUES "  # noqa: S608 - no user input
            f"{', '.join(['(%s::bigint, %s::jsonb)'] * len(outcomes))}) AS v(id, actions) WHERE e.id = v.id",
            [value for event_id, actions in outcomes for value in (event_id, json.dumps(actions))],
        )


def _take_due(now, batch_size, deferred):
    """Due clocks no other scan holds, locked, with their calendars and their agreements' steps."""
    clocks = list(
        SLAClock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check_at__lte=now).exclude(pk__in=deferred)
        .select_related("sla").order_by("next_check_at")[:batch_size]
    )
    if not clocks:
        return clocks, {}, {}
    calendars = engine.load_calendars({clock.sla.calendar_id for clock in clocks})
    steps = {}
    for step in EscalationStep.objects.filter(sla_id__in={c.sla_id for c in clocks}).select_related("target_group"):
        steps.setdefault(step.sla_id, []).append(step)
    return clocks, calendars, steps


def _handle_batch(now, batch_size, deferred, result):
    clocks, calendars, steps = _take_due(now, batch_size, deferred)
    plans = [(clock, _fired(clock, calendars[clock.sla.calendar_id], now)) for clock in clocks]
    busy = _lock_records({clock.incident_id for clock, fired in plans
                          if any(s.action in RECORD_ACTIONS for p in fired for s in steps_for(steps, clock, p))})
    deferred.update(clock.pk for clock in clocks if clock.incident_id in busy)  # untouched: the next tick's
    plans = [(clock, fired) for clock, fired in plans if clock.incident_id not in busy]
    result.deferred += len(clocks) - len(plans)
    people = _people(plans, steps)

    rows, planned_of = [], {}
    for clock, fired in plans:
        calendar = calendars[clock.sla.calendar_id]
        for percent in fired:
            reached = engine.instant_reaching(clock, calendar, engine.threshold_amount(clock.target, percent))
            planned = [_plan(step, people.get(clock.incident_id)) for step in steps_for(steps, clock, percent)]
            planned_of[clock.pk, percent] = planned
            notify = any(p["action"] in NOTIFY_ACTIONS for p in planned)
            rows.append((clock.pk, clock.run, percent, reached, now, json.dumps(planned), None if notify else now,
                         now if notify else None))
            if percent >= BREACH_PERCENT and not clock.breached:  # a later late update keeps the first breach
                clock.breached, clock.breached_at = True, reached
        clock.handled_percent = max([clock.handled_percent, *fired])
        engine.schedule(clock, calendar)
        clock.updated_at = now
    inserted = _insert_events(rows)
    # The clocks are written before any record action: those re-read them (sla.receivers) and may reschedule them.
    engine.write_clocks([clock for clock, _fired_ in plans], [
        "handled_percent", "breached", "breached_at", "due_at", "next_check_at", "next_threshold", "updated_at"])

    by_pk, notices, record_work, outcomes = {clock.pk: clock for clock, _fired_ in plans}, [], [], []
    for (clock_pk, _run, percent), event_id in inserted.items():
        clock, planned = by_pk[clock_pk], planned_of[clock_pk, percent]
        if any(p["action"] in RECORD_ACTIONS for p in planned):
            done = [dict(entry) for entry in planned]
            record_work.append((clock, steps_for(steps, clock, percent), done))
            outcomes.append((event_id, done))
        if any(p["action"] in NOTIFY_ACTIONS for p in planned):
            notices.append(event_id)
    if record_work:
        _act_on_records(record_work)
        _record_outcomes(outcomes)
    if notices:
        transaction.on_commit(lambda: queue_notices(notices))
    if inserted and _PAUSE_BEFORE_COMMIT:
        time.sleep(_PAUSE_BEFORE_COMMIT)
    result.clocks += len(plans)
    result.events += len(inserted)
    return len(clocks)


def scan_due_clocks(*, now=None, batch_size=BATCH_SIZE, on_backlog=None):
    """Handle every clock due by `now` (default: the moment the scan starts), a batch per transaction.

    `on_backlog` is called once, before the work starts, when more than one batch is due (sla.tasks queues a helper
    scan, so that another worker shares a burst of breaches).
    """
    now = now or timezone.now()
    result, deferred = ScanResult(), set()
    if on_backlog is not None and SLAClock.objects.filter(next_check_at__lte=now).order_by("next_check_at")[
            batch_size:batch_size + 1].exists():
        on_backlog()
    while True:
        with transaction.atomic(), engine.batch_scope():
            taken = _handle_batch(now, batch_size, deferred, result)
        result.batches += 1
        if taken < batch_size:
            return result


def queue_notices(event_ids):
    """Queue the notification task for these events (after commit). A failure is logged: the outbox sweep retries."""
    from .tasks import send_threshold_notices

    for start in range(0, len(event_ids), NOTICE_CHUNK):
        chunk = event_ids[start:start + NOTICE_CHUNK]
        try:
            send_threshold_notices.delay(chunk)
        except Exception:  # noqa: BLE001 - the broker may be away; the events stay unsent and are re-queued
            logger.exception("Could not queue SLA notices for events %s", chunk[:5])


def requeue_unsent_notices(*, now=None, older_than=None):
    """Re-queue notifications of events still unsent a while after they were last queued (lost task, SMTP down)."""
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(seconds=settings.SLA_NOTICE_RESEND_SECONDS)
    cutoff = now - older_than
    with transaction.atomic():
        ids = list(ClockThresholdEvent.objects.select_for_update(skip_locked=True)
                   .filter(notified_at__isnull=True, notice_queued_at__lt=cutoff)
                   .order_by("notice_queued_at").values_list("pk", flat=True)[:5000])
        ClockThresholdEvent.objects.filter(pk__in=ids).update(notice_queued_at=now)
    if ids:
        queue_notices(ids)
    return len(ids)
