"""Service level agreements (and OLAs, underpinning contracts): what they apply to, their targets per priority, the
warning thresholds and the escalation steps. Administrators edit these through sla.definitions (the API, the admin).
"""

import uuid
from datetime import timedelta

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, TimeStampedModel
from core.roles import is_staff_member
from incidents.choices import Priority

from ..choices import AgreementKind, EscalationAction, Metric, RecordKind, ReopenPolicy
from .calendars import BusinessCalendar

BREACH_PERCENT = 100
DEFAULT_WARNING_THRESHOLDS = (75, 90)
MAX_TARGET = timedelta(days=365)  # business time; a target beyond a year is a typing mistake


def default_warning_thresholds():
    return list(DEFAULT_WARNING_THRESHOLDS)


def default_checkpoints():
    return [*DEFAULT_WARNING_THRESHOLDS, BREACH_PERCENT]


class SLADefinitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Agreements are staff data: every staff member reads them, end users see none."""
        return self if is_staff_member(user) else self.none()


@pghistory.track(exclude=["revision", "clocks_stale_since", "recompute_lease_until", "checkpoints", "updated_at"])
class SLADefinition(TimeStampedModel):
    """One agreement: which records it applies to, on which calendar its clocks run, and its thresholds.

    An empty `services`, `organisations`, `priorities` or `assignment_groups` means "any". Targets per priority and
    metric are SLATarget rows; what happens at a threshold is EscalationStep rows. `checkpoints` (derived, sorted) are
    every percentage a clock of this agreement stops at: the warnings, the steps' percentages and 100 (breach).
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices, default=AgreementKind.SLA)
    description = models.TextField(_("description"), blank=True)
    party = models.CharField(_("agreed with"), max_length=200, blank=True,
                             help_text=_("The customer, internal team or supplier on the other side."))
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("Inactive agreements start no new clocks; running ones go on."))
    record_kind = models.CharField(_("applies to records of kind"), max_length=20, choices=RecordKind.choices,
                                   default=RecordKind.INCIDENT)
    services = models.ManyToManyField("servicedesk.Service", verbose_name=_("services"), blank=True,
                                      related_name="service_level_agreements")
    organisations = models.ManyToManyField(Organisation, verbose_name=_("organisations"), blank=True,
                                           related_name="service_level_agreements")
    priorities = ArrayField(models.PositiveSmallIntegerField(choices=Priority.choices), verbose_name=_("priorities"),
                            default=list, blank=True)
    assignment_groups = models.ManyToManyField(
        AssignmentGroup, verbose_name=_("assignment groups"), blank=True, related_name="service_level_agreements",
        help_text=_("For an OLA: its clocks run while one of these groups holds the record."),
    )
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT,
                                 related_name="service_level_agreements")
    warning_thresholds = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("warning thresholds (%)"),
                                    default=default_warning_thresholds, blank=True)
    reopen_policy = models.CharField(_("on reopen"), max_length=10, choices=ReopenPolicy.choices,
                                     default=ReopenPolicy.RESTART)
    checkpoints = ArrayField(models.PositiveSmallIntegerField(), default=default_checkpoints, editable=False)
    revision = models.UUIDField(default=uuid.uuid4, editable=False)
    # Set (inside the changing transaction) when targets, thresholds, steps or the calendar change; cleared by the
    # background recomputation once every open clock is current. The scan re-queues a recomputation left stale.
    clocks_stale_since = models.DateTimeField(null=True, blank=True, editable=False)
    # While a recomputation holds the agreement (renewed per batch), the scan does not queue another one.
    recompute_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SLADefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service level agreement")
        verbose_name_plural = _("service level agreements")
        indexes = [models.Index(fields=["clocks_stale_since"], condition=Q(clocks_stale_since__isnull=False),
                                name="sla_definition_stale")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.revision = uuid.uuid4()  # sla.catalogue reloads its cached copy of the agreements on a new revision
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
        super().save(*args, **kwargs)

    def compute_checkpoints(self, step_percents=None):
        if step_percents is None:
            step_percents = self.steps.values_list("at_percent", flat=True) if self.pk else ()
        return sorted({*(self.warning_thresholds or ()), *step_percents, BREACH_PERCENT})

    def clean(self):
        super().clean()
        from .calendars import validate_has_working_time

        if self.calendar_id:
            validate_has_working_time(self.calendar)
        problems = threshold_errors(self.warning_thresholds)
        if problems:
            raise ValidationError({"warning_thresholds": problems})


def threshold_errors(thresholds):
    """Messages about a list of warning thresholds (each a whole percentage 1..99, no repeats)."""
    problems = []
    seen = set()
    for value in thresholds or ():
        if not isinstance(value, int) or not 1 <= value <= 99:
            problems.append(_("A warning threshold must be between 1 and 99 %%; %(value)s is not.") % {"value": value})
        elif value in seen:
            problems.append(_("The threshold %(value)s %% is given twice.") % {"value": value})
        seen.add(value)
    return problems


@pghistory.track()
class SLATarget(models.Model):
    """How much business time an agreement allows for one metric at one priority."""

    sla = models.ForeignKey(SLADefinition, verbose_name=_("agreement"), on_delete=models.CASCADE,
                            related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    duration = models.DurationField(_("target"), help_text=_("Business time, e.g. 04:00:00."))

    class Meta:
        ordering = ["sla", "priority", "metric"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["sla", "priority", "metric"], name="sla_target_unique"),
            models.CheckConstraint(condition=Q(duration__gt=timedelta(0)), name="sla_target_positive"),
        ]

    def __str__(self):
        return f"{self.sla} {self.get_priority_display()} {self.get_metric_display()}: {self.duration}"

    def clean(self):
        super().clean()
        problem = duration_error(self.duration)
        if problem:
            raise ValidationError({"duration": problem})


def duration_error(duration):
    """The message about a target's duration (longer than zero, at most MAX_TARGET), or None."""
    if duration is not None and duration <= timedelta(0):
        return _("A target must be longer than zero.")
    if duration is not None and duration > MAX_TARGET:
        return _("A target must not exceed 365 days.")
    return None


@pghistory.track()
class EscalationStep(models.Model):
    """What happens when a clock of the agreement reaches `at_percent` of its target (100 = breach)."""

    sla = models.ForeignKey(SLADefinition, verbose_name=_("agreement"), on_delete=models.CASCADE,
                            related_name="steps")
    # xgettext:no-python-format
    at_percent = models.PositiveSmallIntegerField(_("at (% of target)"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices, blank=True,
                              help_text=_("Leave empty for both first response and resolution."))
    action = models.CharField(_("action"), max_length=30, choices=EscalationAction.choices)
    target_group = models.ForeignKey(
        AssignmentGroup, verbose_name=_("group"), on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("The group to reassign to."),
    )

    class Meta:
        ordering = ["sla", "at_percent", "id"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.CheckConstraint(condition=Q(at_percent__gte=1, at_percent__lte=BREACH_PERCENT),
                                   name="sla_step_percent_range"),
            models.CheckConstraint(
                condition=~Q(action=EscalationAction.REASSIGN) | Q(target_group__isnull=False),
                name="sla_step_reassign_has_group",
            ),
        ]

    def __str__(self):
        return f"{self.at_percent} %: {self.get_action_display()}"

    def applies_to(self, metric):
        return not self.metric or self.metric == metric

    def clean(self):
        super().clean()
        problems = step_errors(self.at_percent, self.action, self.target_group)
        if problems:
            raise ValidationError(problems)


def step_errors(at_percent, action, target_group):
    """{field: message} of one escalation step (the percentage, and the group a reassignment needs)."""
    problems = {}
    if at_percent is not None and not 1 <= at_percent <= BREACH_PERCENT:
        problems["at_percent"] = _("A step is taken at 1 to 100 %% of the target (100 is the breach); %(value)s is "
                                   "not.") % {"value": at_percent}
    if action == EscalationAction.REASSIGN:
        if target_group is None:
            problems["target_group"] = _("Choose the group to reassign to.")
        elif not target_group.is_active:
            problems["target_group"] = _("The group “%(name)s” is no longer active.") % {"name": target_group.name}
    elif target_group is not None:
        problems["target_group"] = _("Only a reassignment step takes a group.")
    return problems
