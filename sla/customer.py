"""What a requester is told about the service levels of their own record: when to expect each milestone.

The requester-facing counterpart of `SLAClock.objects.visible_to` (which is staff data and gives end users nothing).
Only clocks of customer agreements (`sla_kind == "sla"`) are ever read here: operational level agreements and
underpinning contracts are internal commitments and never reach the portal. Cancelled clocks say nothing. Callers
pass records they already obtained through `Incident.objects.visible_to(user)`; this module adds no visibility of
its own.

One `Expectation` per metric, whatever metrics there are: the earliest due time where several customer agreements
time the same metric, "on hold" while every such clock is paused, and the milestone's time once reached. The wording
is the portal's (templates/portal/partials/expectation.html); times stay aware datetimes so templates show them in
the current time zone.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from incidents.choices import State

from .choices import AgreementKind, ClockState, Metric
from .models import SLAClock

PREFETCH_ATTR = "customer_clocks"
_METRIC_ORDER = {value: position for position, value in enumerate(Metric.values)}


class Status:
    DUE = "due"  # running: expected by `at`
    LATE = "late"  # running, and `at` has passed
    ON_HOLD = "on_hold"  # paused, waiting for `waiting_for`
    DONE = "done"  # the milestone was reached at `at`


class WaitingFor:
    YOU = "you"
    SUPPLIER = "supplier"
    UNKNOWN = ""


_WAITING_FOR = {State.PENDING_USER: WaitingFor.YOU, State.PENDING_SUPPLIER: WaitingFor.SUPPLIER}


@dataclass(frozen=True)
class Expectation:
    metric: str
    status: str
    at: datetime | None = None
    waiting_for: str = WaitingFor.UNKNOWN

    @property
    def metric_label(self):
        return Metric(self.metric).label if self.metric in Metric.values else self.metric


def customer_clocks():
    """The clocks a requester may be told about: customer agreements' only, never cancelled ones."""
    return (SLAClock.objects.filter(sla_kind=AgreementKind.SLA).exclude(state=ClockState.CANCELLED)
            .only("incident_id", "metric", "state", "due_at", "stopped_at", "sla_kind")
            .order_by("metric", "due_at", "id"))


def prefetch_customer_clocks():
    """For list pages: every listed record's customer clocks in one query, as `record.customer_clocks`."""
    return Prefetch("sla_clocks", queryset=customer_clocks(), to_attr=PREFETCH_ATTR)


def _clocks_of(incident):
    clocks = getattr(incident, PREFETCH_ATTR, None)
    if clocks is None:
        clocks = list(customer_clocks().filter(incident_id=incident.pk))
        setattr(incident, PREFETCH_ATTR, clocks)
    return clocks


def _expectation(incident, metric, clocks, now):
    running = [clock.due_at for clock in clocks if clock.state == ClockState.RUNNING and clock.due_at is not None]
    if running:
        due = min(running)
        return Expectation(metric, Status.LATE if due < now else Status.DUE, due)
    if any(clock.state == ClockState.PAUSED for clock in clocks):
        return Expectation(metric, Status.ON_HOLD, waiting_for=_WAITING_FOR.get(incident.state, WaitingFor.UNKNOWN))
    if metric == Metric.UPDATE:  # updates end with the resolution, which has its own line
        return None
    # Met or late, the requester is told when the milestone happened, not how it compared with the target.
    reached = [clock.stopped_at for clock in clocks if clock.state == ClockState.STOPPED and clock.stopped_at]
    if reached:
        return Expectation(metric, Status.DONE, min(reached))
    return None


def expectations(incident, *, now=None, merge_holds=False):
    """The incident's expectations, one per metric its customer agreements time, in the metrics' order.

    Clocks pause together (the record waits), so with `merge_holds` a page says "on hold" once, not per metric.
    """
    now = now or timezone.now()
    by_metric = {}
    for clock in _clocks_of(incident):
        # Checked again here, so that a list of clocks set on the record by someone else cannot leak an OLA.
        if clock.sla_kind == AgreementKind.SLA and clock.state != ClockState.CANCELLED:
            by_metric.setdefault(clock.metric, []).append(clock)
    found = (_expectation(incident, metric, clocks, now) for metric, clocks in by_metric.items())
    ordered = sorted((e for e in found if e is not None),
                     key=lambda e: (_METRIC_ORDER.get(e.metric, len(_METRIC_ORDER)), e.metric))
    if not merge_holds:
        return ordered
    holds = [e for e in ordered if e.status == Status.ON_HOLD]
    return [e for e in ordered if e.status != Status.ON_HOLD or e is holds[0]]


def expectation(incident, metric, *, now=None):
    """The expectation for one metric (e.g. resolution, for a list column), or None."""
    return next((e for e in expectations(incident, now=now) if e.metric == metric), None)
