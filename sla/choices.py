"""Enumerations of service level management, each with a translated label (and a badge colour where shown)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
