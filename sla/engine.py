"""SLA clock computation: which agreements apply to a record, and what its clocks do when the record changes.

Every business-time figure comes from sla.businesstime over the agreement's calendar. A clock runs only while the
incident is in a state that runs SLA clocks (incidents.choices.SLA_CLOCK_RUNS); pending states pause it; the
milestone (first response, resolution) stops it; a closed, cancelled or merged record without its milestone cancels
it. Reopening restarts or continues the resolution clock as the agreement says (the first response, once given,
stays given). The progress-update clock measures each interval between the desk's public words to the requester
(`Incident.requester_updated_at`): every such word starts a new run from zero, with its own thresholds and
escalations; it stops at resolution, and once an interval ran late the clock stays breached (at its first breach).
A change of priority, service, organisation or group re-matches the agreements: a clock whose agreement
no longer applies is cancelled, one that applies again carries on, a new one starts now, and a new priority brings
its own target.

`sync_incident` runs inside the transaction that changes the incident (sla.receivers), after the incident row is
written and locked, and locks the incident's clocks (in id order) before changing them. `recompute_agreement` runs in
the background after an agreement or its calendar changed (sla.recompute).
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from incidents.choices import SLA_CLOCK_RUNS, State

from . import businesstime, catalogue
from .choices import OPEN_CLOCK_STATES, ClockState, Metric, ReopenPolicy
from .models import BREACH_PERCENT, SLAClock

logger = logging.getLogger(__name__)

# Instants are computed to the microsecond; comparisons of business time allow this much rounding.
TOLERANCE = timedelta(milliseconds=1)
MATCH_FIELDS = frozenset({"priority", "service_id", "organisation_id", "assignment_group_id"})
STATE_FIELDS = frozenset({"state", "first_response_at", "requester_updated_at", "resolved_at", "duplicate_of_id"})
CLOCK_FIELDS = [
    "target", "state", "met", "breached", "run", "started_at", "business_elapsed", "segment_started_at", "paused_at",
    "due_at", "next_check_at", "next_threshold", "handled_percent", "breached_at", "stopped_at", "sla_kind",
    "priority", "service", "assignment_group", "organisation", "updated_at",
]


_scope = threading.local()


@contextmanager
def batch_scope():
    """Within one scan batch (one transaction), read the agreements and calendars once, not once per incident.

    A change committed meanwhile is not seen by the rest of the batch; it marks its agreements stale, and their
    recomputation waits for the batch's row locks, then recomputes with the new data.
    """
    _scope.calendars, _scope.catalogue_checked, _scope.active = {}, False, True
    try:
        yield
    finally:
        _scope.calendars, _scope.catalogue_checked, _scope.active = {}, False, False


def in_batch_scope():
    return getattr(_scope, "active", False)


def load_calendars(calendar_ids):
    """businesstime.load_calendars, memoised for the batch scope."""
    if not in_batch_scope():
        return businesstime.load_calendars(calendar_ids)
    missing = set(calendar_ids) - set(_scope.calendars)
    if missing:
        _scope.calendars.update(businesstime.load_calendars(missing))
    return {pk: _scope.calendars[pk] for pk in calendar_ids if pk in _scope.calendars}


def write_clocks(clocks, fields=CLOCK_FIELDS):
    """UPDATE these clocks' `fields` in one statement (UPDATE ... FROM VALUES), however many they are.

    Django's bulk_update builds a CASE per field and row, which costs milliseconds of Python per clock; this costs a
    few microseconds.
    """
    if not clocks:
        return
    model_fields = [SLAClock._meta.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]
    row = "(" + ", ".join(["%s::bigint", *(f"%s::{field.db_type(connection)}" for field in model_fields)]) + ")"
    params = []
    for clock in clocks:
        params.append(clock.pk)
        params.extend(field.get_db_prep_save(getattr(clock, field.attname), connection) for field in model_fields)
    table = SLAClock._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET {', '.join(f'{column} = v.{column}' for column in columns)} "  # noqa: S608
            f"FROM (VALUES {', '.join([row] * len(clocks))}) AS v(id, {', '.join(columns)}) WHERE c.id = v.id",
            params,
        )


def threshold_amount(target, percent):
    """The business time at which a clock with `target` reaches `percent` of it."""
    return target * percent / 100


# --- One clock: pure computations over a calendar snapshot ---------------------------------------------------------

def elapsed_at(clock, calendar, at):
    """Business time the clock has used by the instant `at`."""
    if clock.state == ClockState.RUNNING and clock.segment_started_at is not None and at > clock.segment_started_at:
        return clock.business_elapsed + businesstime.business_time_between(calendar, clock.segment_started_at, at)
    return clock.business_elapsed


def instant_reaching(clock, calendar, amount):
    """When a running clock's business time reaches `amount` (its segment start, if already past)."""
    remaining = amount - clock.business_elapsed
    if remaining <= timedelta(0):
        return clock.segment_started_at
    return businesstime.add_business_time(calendar, clock.segment_started_at, remaining)


def upcoming_checkpoint(clock):
    return next((p for p in clock.sla.checkpoints if p > clock.handled_percent), None)


def schedule(clock, calendar):
    """Store when the clock is due and when the scan must next look at it (its next unhandled checkpoint)."""
    clock.due_at = clock.next_check_at = clock.next_threshold = None
    if clock.state != ClockState.RUNNING:
        return
    try:
        clock.due_at = instant_reaching(clock, calendar, clock.target)
        percent = upcoming_checkpoint(clock)
        if percent is not None:
            clock.next_threshold = percent
            clock.next_check_at = clock.due_at if percent == BREACH_PERCENT else instant_reaching(
                clock, calendar, threshold_amount(clock.target, percent))
    except businesstime.NoWorkingTime:
        # Agreements refuse calendars without working time; if one loses it later the clock simply never falls due.
        logger.warning("SLA clock %s: calendar %s has no working time ahead", clock.pk, calendar.calendar_id)
        clock.due_at = clock.next_check_at = clock.next_threshold = None


def fold(clock, calendar, at):
    """End the running segment at `at`: its business time joins `business_elapsed`."""
    if clock.state == ClockState.RUNNING:
        clock.business_elapsed = elapsed_at(clock, calendar, max(at, clock.segment_started_at))
    clock.segment_started_at = None


def _enter(clock, state, at):
    clock.state = state
    if state == ClockState.RUNNING:
        clock.segment_started_at, clock.paused_at = at, None
    else:
        clock.segment_started_at, clock.paused_at = None, at


def _stop(clock, calendar, at):
    due = clock.due_at
    fold(clock, calendar, at)
    clock.state, clock.stopped_at, clock.paused_at = ClockState.STOPPED, at, None
    if clock.business_elapsed > clock.target + TOLERANCE and not clock.breached:
        # Stopped late before the scan saw the breach: reported as breached (without the breach's escalation steps).
        clock.breached, clock.breached_at = True, due or at
    clock.met = not clock.breached


def cancel(clock, calendar, at):
    """End the clock without its milestone (the record was cancelled, merged, or the agreement stopped applying)."""
    fold(clock, calendar, at)
    clock.state, clock.stopped_at, clock.paused_at, clock.met = ClockState.CANCELLED, at, None, False


def _restart(clock, at):
    clock.run += 1
    clock.business_elapsed, clock.started_at, clock.handled_percent = timedelta(0), at, 0
    clock.met = clock.breached = False
    clock.breached_at = clock.stopped_at = None


def _next_update_interval(clock, at):
    """A progress-update clock starts a new interval at `at`; an earlier late interval stays on record (breached)."""
    clock.run += 1
    clock.business_elapsed, clock.started_at, clock.handled_percent = timedelta(0), at, 0
    if clock.state == ClockState.RUNNING:
        clock.segment_started_at = at


def desired_state(metric, incident):
    """(state, milestone instant or None) a clock of `metric` should be in for the incident as it is now."""
    if incident.duplicate_of_id:
        return ClockState.CANCELLED, None
    milestone = incident.first_response_at if metric == Metric.RESPONSE else incident.resolved_at
    if milestone is not None:
        return ClockState.STOPPED, milestone
    if incident.state in (State.CLOSED, State.CANCELLED):
        return ClockState.CANCELLED, None
    return (ClockState.RUNNING if incident.state in SLA_CLOCK_RUNS else ClockState.PAUSED), None


def follow(clock, calendar, incident, now, *, applies_again=False):
    """Move the clock to the state the incident asks for (pause, resume, stop, cancel, reopen, next update)."""
    desired, milestone = desired_state(clock.metric, incident)
    updated = incident.requester_updated_at
    if (clock.metric == Metric.UPDATE and clock.state in OPEN_CLOCK_STATES and updated is not None
            and updated > clock.started_at):
        _next_update_interval(clock, updated)
    if clock.state == ClockState.CANCELLED:
        if applies_again and desired in OPEN_CLOCK_STATES:
            clock.stopped_at, clock.met = None, False  # the agreement applies again: carry on from the time used
            _enter(clock, desired, now)
        return
    if clock.state == ClockState.STOPPED:
        if desired in OPEN_CLOCK_STATES:  # the milestone was undone: the record was reopened
            if clock.metric == Metric.UPDATE:
                _next_update_interval(clock, now)
            elif clock.sla.reopen_policy == ReopenPolicy.RESTART:
                _restart(clock, now)
            clock.stopped_at, clock.met = None, False
            _enter(clock, desired, now)
        return
    if desired == ClockState.STOPPED:
        _stop(clock, calendar, milestone)
    elif desired == ClockState.CANCELLED:
        cancel(clock, calendar, now)
    elif desired != clock.state:
        if desired == ClockState.PAUSED:
            fold(clock, calendar, now)
        _enter(clock, desired, now)


def copy_record_fields(clock, incident):
    clock.sla_kind = clock.sla.kind
    clock.priority = incident.priority
    clock.service_id = incident.service_id
    clock.assignment_group_id = incident.assignment_group_id
    clock.organisation_id = incident.organisation_id


def _fingerprint(clock):
    return tuple(getattr(clock, field if field not in ("service", "assignment_group", "organisation")
                         else f"{field}_id") for field in CLOCK_FIELDS if field != "updated_at")


# --- Which agreements apply --------------------------------------------------------------------------------------

def matching_targets(incident):
    """{(agreement id, metric): target} of the active agreements that apply to the incident (sla.catalogue)."""
    scoped = in_batch_scope()
    found = catalogue.matching_targets(incident, checked=scoped and _scope.catalogue_checked)
    if scoped:
        _scope.catalogue_checked = True
    return found


def new_clock(incident, target, state, start):
    clock = SLAClock(incident=incident, sla=target.sla, metric=target.metric, target=target.duration,
                     started_at=start)
    _enter(clock, state, start)
    copy_record_fields(clock, incident)
    return clock


# --- Following an incident --------------------------------------------------------------------------------------

def _sync_one(incident, clocks, wanted, calendars, *, created, rematch, now):
    """The clocks of one incident brought in line with it: (clocks changed, clocks to create)."""
    written = []
    for clock in clocks:
        before = _fingerprint(clock)
        calendar = calendars[clock.sla.calendar_id]
        target = wanted.get((clock.sla_id, clock.metric))
        if rematch and target is None and clock.sla.is_active:
            if clock.is_open:  # the agreement no longer applies to the record as it is now
                cancel(clock, calendar, now)
        else:  # (a deactivated agreement's clocks go on as they were: it only starts no new ones)
            if target is not None:
                clock.target = target.duration  # a new priority's target, against the time already used
            follow(clock, calendar, incident, now, applies_again=target is not None)
        copy_record_fields(clock, incident)
        schedule(clock, calendar)
        if _fingerprint(clock) != before:
            clock.updated_at = now
            written.append(clock)
    existing = {(clock.sla_id, clock.metric) for clock in clocks}
    start = incident.created_at if created else now
    fresh = []
    for key, target in wanted.items():
        state, _milestone = desired_state(target.metric, incident)
        if key in existing or state not in OPEN_CLOCK_STATES:
            continue
        clock = new_clock(incident, target, state, start)
        schedule(clock, calendars[target.sla.calendar_id])
        fresh.append(clock)
    return written, fresh


def sync_incidents(items, *, created=False, now=None):
    """Bring the clocks of these incidents in line with them, inside the transaction that changed them (which holds
    the incidents' row locks). `items`: [(incident, changes)]; a field no clock depends on changes nothing.

    A few queries whatever the number of incidents: their clocks (locked, in id order), the agreements (cached) and
    calendars, one UPDATE and one INSERT. Returns the clocks written.
    """
    now = now or timezone.now()
    work = {}
    for incident, changes in items:
        fields = set(changes or ()) | (set(work[incident.pk][1]) if incident.pk in work else set())
        if created or (MATCH_FIELDS | STATE_FIELDS) & fields:
            work[incident.pk] = (incident, fields)
    if not work:
        return []
    clocks = {}
    if not created:
        for clock in (SLAClock.objects.select_for_update(of=("self",)).filter(incident_id__in=list(work))
                      .select_related("sla").order_by("pk")):
            clocks.setdefault(clock.incident_id, []).append(clock)
    rematched = {pk for pk, (_incident, fields) in work.items() if created or MATCH_FIELDS & fields}
    wanted = {pk: matching_targets(work[pk][0]) for pk in rematched}
    calendars = load_calendars({clock.sla.calendar_id for group in clocks.values() for clock in group}
                               | {t.sla.calendar_id for targets in wanted.values() for t in targets.values()})
    written, fresh = [], []
    for pk, (incident, _fields) in work.items():
        changed, new = _sync_one(incident, clocks.get(pk, []), wanted.get(pk, {}), calendars, created=created,
                                 rematch=pk in rematched, now=now)
        written.extend(changed)
        fresh.extend(new)
    write_clocks(written)
    if fresh:
        SLAClock.objects.bulk_create(fresh)
    return written + fresh


def sync_incident(incident, *, created=False, changes=None, now=None):
    """sync_incidents for one incident. Within deferred_syncs() (the scan), the work waits for the batch's flush."""
    if not created and getattr(_scope, "deferred", None) is not None:
        _scope.deferred.append((incident, changes))
        return []
    return sync_incidents([(incident, changes)], created=created, now=now)


@contextmanager
def deferred_syncs():
    """Collect the clock work of incident changes made inside the block and do it in bulk at its end (the scan's
    escalations change hundreds of incidents in one statement). Still inside the same transaction: the clocks commit
    or roll back with the incidents."""
    _scope.deferred = []
    try:
        yield
        pending, _scope.deferred = _scope.deferred, None
        sync_incidents(pending)
    finally:
        _scope.deferred = None


# --- Records that existed before their agreements ----------------------------------------------------------------

def backfill_incident(incident, now=None):
    """Clocks for an incident recorded before its agreements existed (demo data, an import), measured from its
    creation to its milestones. Pending records count as paused since their last change. Thresholds already passed
    are marked handled without their escalation steps: history is not escalated. Returns the clocks created."""
    now = now or timezone.now()
    existing = set(SLAClock.objects.filter(incident_id=incident.pk).values_list("sla_id", "metric"))
    wanted = {key: target for key, target in matching_targets(incident).items() if key not in existing}
    calendars = load_calendars({target.sla.calendar_id for target in wanted.values()})
    fresh = []
    for target in wanted.values():
        calendar = calendars[target.sla.calendar_id]
        clock = new_clock(incident, target, ClockState.RUNNING, incident.created_at)
        if target.metric == Metric.UPDATE and incident.requester_updated_at:  # the interval since the last update
            clock.started_at = clock.segment_started_at = max(incident.created_at, incident.requester_updated_at)
        schedule(clock, calendar)
        desired, milestone = desired_state(target.metric, incident)
        if desired == ClockState.STOPPED:
            _stop(clock, calendar, max(milestone, incident.created_at))
        elif desired == ClockState.CANCELLED:
            cancel(clock, calendar, incident.closed_at or incident.updated_at)
        elif desired == ClockState.PAUSED:
            fold(clock, calendar, incident.updated_at)
            _enter(clock, ClockState.PAUSED, incident.updated_at)
        elapsed = elapsed_at(clock, calendar, now)
        passed = [p for p in clock.sla.checkpoints
                  if elapsed + TOLERANCE >= threshold_amount(clock.target, p)]
        clock.handled_percent = max(passed, default=0)
        if BREACH_PERCENT in passed and not clock.breached:
            clock.breached, clock.breached_at, clock.met = True, clock.due_at or now, False
        schedule(clock, calendar)
        fresh.append(clock)
    SLAClock.objects.bulk_create(fresh)
    return fresh
