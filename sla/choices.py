"""Enumerations of service level management, each with a translated label (and a badge colour where shown)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Weekday(models.IntegerChoices):
    """Days of the week as Python numbers them (`date.weekday()`): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ExceptionKind(models.TextChoices):
    """What a calendar exception does to its date."""

    # No working time at all that day, whatever the weekday pattern says.
    HOLIDAY = "holiday", _("Holiday (no work)")
    # Work that day: its own periods, or the pattern of a named weekday (a 调休 make-up day works like a weekday).
    WORKING_DAY = "working_day", _("Extra working day")


EXCEPTION_KIND_COLOURS = {
    ExceptionKind.HOLIDAY: "danger",
    ExceptionKind.WORKING_DAY: "success",
}


class AgreementKind(models.TextChoices):
    """Who the commitment is made with (ITIL: SLA with customers, OLA with internal teams, UC with suppliers)."""

    SLA = "sla", _("Service level agreement")
    OLA = "ola", _("Operational level agreement")
    UC = "uc", _("Underpinning contract")


class RecordKind(models.TextChoices):
    """The kinds of record an agreement can apply to (more practices join later)."""

    INCIDENT = "incident", _("Incident")


class Metric(models.TextChoices):
    """What a clock measures: time to the first response, between updates to the requester, or to resolution."""

    # A context of their own: "Resolution" elsewhere is the text that resolves a ticket (解决方案), here a milestone.
    RESPONSE = "response", pgettext_lazy("SLA metric", "First response")
    # Each public word from the desk starts a new interval; late once, the record's update promise counts as
    # breached (sla.engine).
    UPDATE = "update", pgettext_lazy("SLA metric", "Progress update")
    RESOLUTION = "resolution", pgettext_lazy("SLA metric", "Resolution")


class ReopenPolicy(models.TextChoices):
    """What a reopened record does to its stopped resolution clock."""

    RESTART = "restart", _("Restart from zero")
    CONTINUE = "continue", _("Continue from the time already used")


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_GROUP_LEAD = "notify_group_lead", _("Notify the group lead")
    NOTIFY_MANAGERS = "notify_managers", _("Notify the managers")
    REASSIGN = "reassign", _("Reassign to a group")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")


NOTIFY_ACTIONS = frozenset({
    EscalationAction.NOTIFY_ASSIGNEE, EscalationAction.NOTIFY_GROUP_LEAD, EscalationAction.NOTIFY_MANAGERS,
})
# Actions that change the record itself (they need its row lock, see sla.escalation).
RECORD_ACTIONS = frozenset({EscalationAction.REASSIGN, EscalationAction.RAISE_PRIORITY})


class ClockState(models.TextChoices):
    """Where a clock is in its life. Whether the target was met or breached is kept beside it (met, breached)."""

    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")  # its milestone was reached
    CANCELLED = "cancelled", _("Cancelled")  # the record was cancelled or merged, or the agreement stopped applying


OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class ClockStatus(models.TextChoices):
    """What an agent is shown for a clock: its state, with met / breached / at risk folded in."""

    RUNNING = "running", _("Running")
    AT_RISK = "at_risk", _("At risk")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


CLOCK_STATUS_COLOURS = {
    ClockStatus.RUNNING: "info",
    ClockStatus.AT_RISK: "warning",
    ClockStatus.PAUSED: "secondary",
    ClockStatus.MET: "success",
    ClockStatus.BREACHED: "danger",
    ClockStatus.CANCELLED: "light",
}
