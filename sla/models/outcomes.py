"""The dashboard's roll-up: how many clocks met or breached their target, per local day and per everything the
dashboard groups or filters by. A 90-day dashboard reads a few thousand of these rows instead of every clock.

Kept exact by PostgreSQL itself, not by the code that writes clocks (the engine writes them with bulk UPDATEs, the
scan in batches, an import with COPY): a statement-level trigger on `sla_slaclock` (SLAClock.Meta.triggers) appends
each statement's net change of outcomes to `OutcomeChange` (-1 for the outcome a clock had, +1 for the one it has
now). Appending never waits on a lock, so a burst of breaches is not serialised on the roll-up's hot rows.
A Celery beat task folds the changes into `OutcomeDay` (sla.outcomes.fold_changes); the dashboard adds up both, so
it is exact at every instant, folded or not. See sla.outcomes for the rebuild and the time zone of the days.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation
from incidents.choices import Priority

from ..choices import AgreementKind, Metric


def _dimension(model, verbose_name):
    # No foreign-key constraint and no index: the roll-up is derived data, rebuilt from the clocks, and the clocks'
    # own foreign keys already protect these rows' targets.
    return models.ForeignKey(model, verbose_name=verbose_name, on_delete=models.DO_NOTHING, null=True, blank=True,
                             db_constraint=False, db_index=False, related_name="+")


class OutcomeSums(models.Model):
    """What outcomes are counted by (the clock's metric, the agreement's kind, the record's fields) and the counts:
    clocks met, breached, and reached their milestone (met or late, stopped) with the business time that took.
    One row carries all three, so a day has one row per key rather than one per outcome."""

    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    sla_kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    service = _dimension("servicedesk.Service", _("service"))
    assignment_group = _dimension(AssignmentGroup, _("assignment group"))
    organisation = _dimension(Organisation, _("organisation"))
    met = models.IntegerField(_("met"), default=0)
    breached = models.IntegerField(_("breached"), default=0)
    reached = models.IntegerField(_("milestone reached"), default=0)
    business_seconds = models.BigIntegerField(_("business seconds"), default=0)  # of those reached

    KEY_FIELDS = ("metric", "sla_kind", "priority", "service", "assignment_group", "organisation")
    SUM_FIELDS = ("met", "breached", "reached", "business_seconds")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.metric} P{self.priority}: {self.met} met, {self.breached} breached"


class OutcomeDay(OutcomeSums):
    """Outcomes that fell on `day` (local date in `OutcomeRollup.time_zone`), per key."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("outcome day")
        verbose_name_plural = _("outcome days")
        constraints = [
            # Leads with the day and includes the sums: the dashboard reads a period from this index alone.
            models.UniqueConstraint(fields=["day", *OutcomeSums.KEY_FIELDS], include=list(OutcomeSums.SUM_FIELDS),
                                    name="sla_outcome_day_key", nulls_distinct=False),
        ]


class OutcomeChange(OutcomeSums):
    """Not yet folded into OutcomeDay: what changed (deltas, negative for an outcome lost) at `outcome_at`."""

    outcome_at = models.DateTimeField(_("outcome at"))

    class Meta:
        verbose_name = _("outcome change")
        verbose_name_plural = _("outcome changes")


class OutcomeRollup(models.Model):
    """One row: the time zone OutcomeDay's days are in and when it was last rebuilt from the clocks."""

    time_zone = models.CharField(_("time zone"), max_length=64)
    rebuilt_at = models.DateTimeField(_("rebuilt"))

    class Meta:
        verbose_name = _("outcome roll-up")
        verbose_name_plural = _("outcome roll-up")

    def __str__(self):
        return self.time_zone
