"""SLA clocks on records, and the exactly-once record of every threshold a clock has passed.

One row per (incident, agreement, metric): the dashboard aggregates these rows directly (target, met/breached,
stopped_at, and the incident's service, priority, group and organisation copied here and kept in sync by
sla.engine in the same transaction that changes the incident).

Business time used is `business_elapsed` up to `segment_started_at` (while running) plus the business time since
then; while paused or stopped `business_elapsed` is the whole of it. `due_at` and `next_check_at` are stored when the
clock starts or changes, so "what is due now" is one indexed query (`next_check_at <= now()`), never a walk.
"""

from datetime import timedelta

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, TimeStampedModel
from core.roles import is_staff_member
from incidents.choices import PRIORITY_COLOURS, Priority

from ..choices import (
    CLOCK_STATUS_COLOURS,
    OPEN_CLOCK_STATES,
    AgreementKind,
    ClockState,
    ClockStatus,
    Metric,
)
from .definitions import BREACH_PERCENT, SLADefinition

# The net change of outcomes made by one statement on the clocks, appended to the dashboard's roll-up (see
# sla/models/outcomes.py): -1 for each outcome a clock had before, +1 for the one it has now, so a clock whose
# outcome did not change nets to zero and writes nothing. An outcome is met or breached, and its instant; a clock
# stopped at its milestone is also "reached" at its stop, with the business time it used (for averages; not for
# progress updates, whose last interval says nothing on its own).
# (PostgreSQL allows transition tables only on single-event triggers: one trigger each for INSERT, UPDATE, DELETE.)
OUTCOMES_OF = """
    SELECT CASE WHEN breached THEN breached_at ELSE stopped_at END AS outcome_at, metric, sla_kind, priority,
           service_id, assignment_group_id, organisation_id, CASE WHEN breached THEN 0 ELSE {delta} END AS met,
           CASE WHEN breached THEN {delta} ELSE 0 END AS breached, 0 AS reached, 0::bigint AS seconds
    FROM {rows} WHERE met OR breached
    UNION ALL
    SELECT stopped_at, metric, sla_kind, priority, service_id, assignment_group_id, organisation_id, 0, 0, {delta},
           {delta} * round(extract(epoch FROM business_elapsed))::bigint
    FROM {rows} WHERE state = 'stopped' AND metric <> 'update'"""
_RECORD_OUTCOME_CHANGES = """
INSERT INTO sla_outcomechange (outcome_at, metric, sla_kind, priority, service_id, assignment_group_id,
                               organisation_id, met, breached, reached, business_seconds)
SELECT outcome_at, metric, sla_kind, priority, service_id, assignment_group_id, organisation_id, sum(met),
       sum(breached), sum(reached), sum(seconds)
FROM ({outcomes}) AS changed
WHERE outcome_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
HAVING sum(met) <> 0 OR sum(breached) <> 0 OR sum(reached) <> 0 OR sum(seconds) <> 0;
RETURN NULL;
"""


def _outcome_trigger(operation, *, old=None, new=None):
    parts = [OUTCOMES_OF.format(rows=rows, delta=delta) for rows, delta in ((old, -1), (new, 1)) if rows]
    return pgtrigger.Trigger(
        name=f"sla_clock_outcomes_{str(operation).lower()}", level=pgtrigger.Statement, when=pgtrigger.After,
        operation=operation, referencing=pgtrigger.Referencing(old=old, new=new),
        func=_RECORD_OUTCOME_CHANGES.format(outcomes=" UNION ALL ".join(parts)),
    )


class SLAClockQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Clocks are staff data (OLAs and supplier contracts are internal); staff see the clocks of what they see."""
        if not is_staff_member(user):
            return self.none()
        from incidents.models import Incident

        return self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))

    def open(self):
        return self.filter(state__in=OPEN_CLOCK_STATES)


class SLAClock(TimeStampedModel):
    """The business time a record has used against one target of one agreement."""

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="sla_clocks")
    sla = models.ForeignKey(SLADefinition, verbose_name=_("agreement"), on_delete=models.PROTECT,
                            related_name="clocks")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    target = models.DurationField(_("target"))
    state = models.CharField(_("state"), max_length=20, choices=ClockState.choices, default=ClockState.RUNNING)
    met = models.BooleanField(_("met"), default=False)
    breached = models.BooleanField(_("breached"), default=False)
    # Counts restarts (reopen with the "restart" policy); threshold events are once per clock and run.
    run = models.PositiveIntegerField(_("run"), default=1)
    started_at = models.DateTimeField(_("started"))
    business_elapsed = models.DurationField(_("business time used"), default=timedelta(0))
    segment_started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    next_threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    handled_percent = models.PositiveSmallIntegerField(default=0)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    # Copies of the agreement's kind and the incident's fields, for the dashboard's GROUP BYs.
    sla_kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    service = models.ForeignKey("servicedesk.Service", verbose_name=_("service"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")
    assignment_group = models.ForeignKey(AssignmentGroup, verbose_name=_("assignment group"),
                                         on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    objects = SLAClockQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "metric", "sla", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["incident", "sla", "metric"], name="sla_clock_unique"),
            models.CheckConstraint(condition=Q(target__gt=timedelta(0)), name="sla_clock_target_positive"),
            models.CheckConstraint(condition=~Q(met=True, breached=True), name="sla_clock_not_met_and_breached"),
            models.CheckConstraint(condition=Q(handled_percent__lte=BREACH_PERCENT), name="sla_clock_handled_range"),
            models.CheckConstraint(
                condition=~Q(state=ClockState.RUNNING) | Q(segment_started_at__isnull=False),
                name="sla_clock_running_has_segment",
            ),
            models.CheckConstraint(
                condition=Q(state=ClockState.RUNNING) | Q(next_check_at__isnull=True, due_at__isnull=True),
                name="sla_clock_only_running_is_due",
            ),
        ]
        indexes = [
            # The scan: WHERE next_check_at <= now() ORDER BY next_check_at, over the few clocks still to check.
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False),
                         name="sla_clock_next_check"),
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="sla_clock_due"),
            # Background recomputation walks the open clocks of one agreement in id order.
            models.Index(fields=["sla", "id"], condition=Q(state__in=OPEN_CLOCK_STATES), name="sla_clock_open"),
            models.Index(fields=["metric", "stopped_at"], condition=Q(state=ClockState.STOPPED),
                         name="sla_clock_stopped"),
            # The dashboard's "breached now" and "at risk now" (its period figures come from the roll-up).
            models.Index(fields=["breached_at"], condition=Q(breached=True, state__in=OPEN_CLOCK_STATES),
                         name="sla_clock_breached_open"),
            models.Index(fields=["due_at"], condition=Q(state=ClockState.RUNNING, handled_percent__gt=0,
                                                         handled_percent__lt=BREACH_PERCENT), name="sla_clock_at_risk"),
        ]
        triggers = [
            _outcome_trigger(pgtrigger.Insert, new="new_clocks"),
            _outcome_trigger(pgtrigger.Update, old="old_clocks", new="new_clocks"),
            _outcome_trigger(pgtrigger.Delete, old="old_clocks"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.sla_id} {self.metric}"

    @property
    def status(self):
        if self.state == ClockState.CANCELLED:
            return ClockStatus.CANCELLED
        if self.breached and not self.on_time_again:
            return ClockStatus.BREACHED
        if self.met:
            return ClockStatus.MET
        if self.state == ClockState.PAUSED:
            return ClockStatus.PAUSED
        if self.handled_percent:
            return ClockStatus.AT_RISK
        return ClockStatus.RUNNING

    @property
    def on_time_again(self):
        """Breached, open, and within target now: a progress-update clock late in an earlier interval (a breach
        otherwise leaves its clock at 100 % handled)."""
        return self.breached and self.is_open and self.handled_percent < BREACH_PERCENT

    @property
    def status_label(self):
        return ClockStatus(self.status).label

    @property
    def status_colour(self):
        return CLOCK_STATUS_COLOURS[self.status]

    @property
    def priority_colour(self):
        return PRIORITY_COLOURS.get(self.priority, "secondary")

    @property
    def is_open(self):
        return self.state in OPEN_CLOCK_STATES

    def wall_time_left(self, now=None):
        """Real time until due (negative once overdue); None unless running."""
        if self.due_at is None:
            return None
        return self.due_at - (now or timezone.now())


class ClockThresholdEvent(models.Model):
    """A clock passed a threshold (a warning, an escalation step's percentage, or 100 % = breach).

    (clock, run, threshold_percent) is unique: whoever inserts the row carries out the threshold's actions in the
    same transaction, so each happens once however often the scan runs. `actions` records what was done;
    `notified_at` is set once its notifications went out (an outbox: the scan re-queues old unsent ones).
    """

    clock = models.ForeignKey(SLAClock, verbose_name=_("clock"), on_delete=models.CASCADE,
                              related_name="threshold_events")
    run = models.PositiveIntegerField(_("run"))
    threshold_percent = models.PositiveSmallIntegerField(_("threshold (%)"))
    reached_at = models.DateTimeField(_("reached"))
    handled_at = models.DateTimeField(_("handled"))
    actions = models.JSONField(_("actions"), default=list, blank=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    notice_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clock", "run", "threshold_percent"]
        verbose_name = _("threshold event")
        verbose_name_plural = _("threshold events")
        constraints = [
            models.UniqueConstraint(fields=["clock", "run", "threshold_percent"], name="sla_threshold_once"),
        ]
        indexes = [
            models.Index(fields=["notice_queued_at"], condition=Q(notified_at__isnull=True),
                         name="sla_threshold_unsent"),
        ]

    def __str__(self):
        return f"{self.clock_id} run {self.run} at {self.threshold_percent} %"

    @property
    def is_breach(self):
        return self.threshold_percent >= BREACH_PERCENT
