"""Business calendars: when an organisation works (weekly periods, holidays, extra working days), in one time zone.

Business time (sla.businesstime) is computed over these; SLA definitions attach one calendar each. Periods are wall
clock times of the calendar's time zone. An end time of 00:00 means midnight at the end of the day (24:00), so a
period 00:00–00:00 is the whole day.
"""

import uuid
import zoneinfo
from datetime import time

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.roles import is_staff_member

from ..choices import EXCEPTION_KIND_COLOURS, ExceptionKind, Weekday

MIDNIGHT = time(0)
DAY_SECONDS = 24 * 3600


def validate_time_zone(value):
    """An IANA time zone name that this system's zoneinfo database knows (e.g. "Asia/Shanghai")."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            _("“%(value)s” is not a known IANA time zone (for example Asia/Shanghai or Europe/Berlin)."),
            code="invalid_time_zone", params={"value": value},
        ) from None


def seconds_of(value, *, is_end=False):
    """Seconds since midnight of a time of day; an end time of 00:00 is the end of the day (86400)."""
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return DAY_SECONDS if is_end and seconds == 0 else seconds


def format_range(start, end):
    return f"{start:%H:%M}–{'24:00' if end == MIDNIGHT else format(end, '%H:%M')}"


def _inverted(start, end):
    return seconds_of(start) >= seconds_of(end, is_end=True)


def _inverted_message(start, end):
    return _("The end (%(end)s) must be after the start (%(start)s).") % {
        "end": f"{end:%H:%M}", "start": f"{start:%H:%M}"}


def _overlap_message(start, end):
    return _("Overlaps the period %(range)s.") % {"range": format_range(start, end)}


def range_errors(ranges):
    """Problems in a set of time ranges of one day: inverted ranges and overlaps.

    `ranges` is a list of (start_time, end_time) in the order given by the caller; the answer maps the index of each
    faulty range to {field name: message}, so forms and the API can name the field (and row) that is wrong.
    Touching ranges (08:00–12:00 and 12:00–18:00) do not overlap. Of two overlapping ranges, the later-starting one
    is reported.
    """
    errors = {}
    spans = []
    for index, (start, end) in enumerate(ranges):
        if start is None or end is None:
            continue
        if _inverted(start, end):
            errors[index] = {"end_time": _inverted_message(start, end)}
        else:
            spans.append((seconds_of(start), seconds_of(end, is_end=True), index))
    spans.sort()
    latest = None  # the range reaching furthest into the day so far
    for begin, finish, index in spans:
        if latest is not None and begin < latest[1]:
            errors[index] = {"start_time": _overlap_message(*ranges[latest[2]])}
        if latest is None or finish > latest[1]:
            latest = (begin, finish, index)
    return errors


class TimeRange(models.Model):
    """A start and end time of day; an end of 00:00 means midnight at the end of the day."""

    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        abstract = True

    @property
    def start_seconds(self):
        return seconds_of(self.start_time)

    @property
    def end_seconds(self):
        return seconds_of(self.end_time, is_end=True)

    @property
    def range_display(self):
        return format_range(self.start_time, self.end_time)

    def siblings(self):
        """The other ranges of the same day that this one must not overlap (a queryset)."""
        raise NotImplementedError

    def _siblings_unknown(self):
        # A formset or the API checks a whole new set of ranges at once; the rows in the database are the old set.
        return getattr(self, "checked_as_a_set", False)

    def clean(self):
        super().clean()
        if self.start_time is None or self.end_time is None:
            return
        if _inverted(self.start_time, self.end_time):
            raise ValidationError({"end_time": _inverted_message(self.start_time, self.end_time)})
        if self._siblings_unknown():
            return
        begin, finish = self.start_seconds, self.end_seconds
        for other in self.siblings():
            if other.start_seconds < finish and begin < other.end_seconds:
                raise ValidationError({"start_time": _overlap_message(other.start_time, other.end_time)})


def _range_constraint(name):
    return models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")) | Q(end_time=MIDNIGHT), name=name)


class BusinessCalendarQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Calendars are staff data: agents, leads, managers and administrators read them; nobody else."""
        return self if is_staff_member(user) else self.none()


@pghistory.track(exclude=["revision", "updated_at"])
class BusinessCalendar(TimeStampedModel):
    """When an organisation works: a time zone, periods per weekday, and dated exceptions (holidays, extra days)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], default="Asia/Shanghai",
        help_text=_("IANA name, e.g. Asia/Shanghai. Working periods are wall-clock times in this zone."),
    )
    description = models.TextField(_("description"), blank=True)
    # Replaced on every change to the calendar, its periods or exceptions; cached snapshots compare it. A fresh UUID
    # rather than a counter, so a rolled-back change can never reuse the revision of a later committed one.
    revision = models.UUIDField(_("revision"), default=uuid.uuid4, editable=False)

    objects = BusinessCalendarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [models.CheckConstraint(condition=~Q(time_zone=""), name="sla_calendar_time_zone_set")]

    def __str__(self):
        return f"{self.name} ({self.time_zone})"

    def has_working_time(self):
        """True if some weekday has a working period: only then can business time ever advance indefinitely."""
        return self.periods.exists()


def validate_has_working_time(calendar, field="calendar"):
    """Refuse a calendar with no working time (SLA definitions call this before attaching one)."""
    if calendar is not None and not calendar.has_working_time():
        raise ValidationError({field: _("The calendar “%(name)s” has no working time; add working periods first.")
                               % {"name": calendar.name}}, code="no_working_time")


@pghistory.track()
class WorkingPeriod(TimeRange):
    """One range of working hours on a weekday (a day may have several, e.g. 09:00–12:00 and 13:00–18:00)."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)

    class Meta:
        ordering = ["calendar", "weekday", "start_time"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        constraints = [
            _range_constraint("sla_period_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sla_period_weekday_range"),
            models.UniqueConstraint(fields=["calendar", "weekday", "start_time"], name="sla_period_unique_start"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.range_display}"

    def _siblings_unknown(self):
        return super()._siblings_unknown() or self.calendar_id is None or self.weekday is None

    def siblings(self):
        return WorkingPeriod.objects.filter(calendar_id=self.calendar_id, weekday=self.weekday).exclude(pk=self.pk)


@pghistory.track()
class CalendarException(models.Model):
    """A dated change to the weekly pattern: a holiday, or a working day (e.g. a 调休 make-up Saturday).

    A working day uses its own periods if it has any, otherwise the periods of `works_like_weekday`.
    """

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices, default=ExceptionKind.HOLIDAY)
    name = models.CharField(_("name"), max_length=200, blank=True)
    works_like_weekday = models.PositiveSmallIntegerField(
        _("works like"), choices=Weekday.choices, null=True, blank=True,
        help_text=_("For a working day without its own periods: use the working periods of this weekday."),
    )
    # Set when the day came from the holidays library: its name is then shown in the reader's language (the library
    # names holidays in several), not in the language of whoever filled the calendar. Cleared by a hand edit.
    library_country = models.CharField(_("holidays library country"), max_length=3, blank=True)
    library_subdiv = models.CharField(_("holidays library subdivision"), max_length=10, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_exception_unique_date"),
            models.CheckConstraint(
                condition=~Q(kind=ExceptionKind.HOLIDAY) | Q(works_like_weekday__isnull=True),
                name="sla_exception_holiday_has_no_pattern",
            ),
            models.CheckConstraint(condition=Q(works_like_weekday__lte=6), name="sla_exception_weekday_range"),
        ]

    def __str__(self):
        label = f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
        return f"{label}: {self.display_name}" if self.display_name else label

    @property
    def display_name(self):
        """The name in the reader's language: the library's name for a filled holiday, else the stored name."""
        if not self.library_country:
            return self.name
        if self.kind == ExceptionKind.WORKING_DAY:
            return gettext("Make-up working day")
        from sla.holiday_names import library_name

        return library_name(self.date, self.library_country, self.library_subdiv) or self.name

    @property
    def kind_colour(self):
        return EXCEPTION_KIND_COLOURS.get(self.kind, "secondary")

    def clean(self):
        super().clean()
        if self.kind == ExceptionKind.HOLIDAY and self.works_like_weekday is not None:
            raise ValidationError({"works_like_weekday": _("A holiday has no working time to copy.")})


@pghistory.track()
class ExceptionPeriod(TimeRange):
    """A working range on an exception's date (an extra working day with its own hours, or shortened hours)."""

    exception = models.ForeignKey(
        CalendarException, verbose_name=_("exception"), on_delete=models.CASCADE, related_name="periods"
    )

    class Meta:
        ordering = ["exception", "start_time"]
        verbose_name = _("exception period")
        verbose_name_plural = _("exception periods")
        constraints = [
            _range_constraint("sla_exception_period_start_before_end"),
            models.UniqueConstraint(fields=["exception", "start_time"], name="sla_exception_period_unique_start"),
        ]

    def __str__(self):
        return f"{self.exception.date:%Y-%m-%d} {self.range_display}"

    def _siblings_unknown(self):
        return super()._siblings_unknown() or self.exception_id is None

    def siblings(self):
        return ExceptionPeriod.objects.filter(exception_id=self.exception_id).exclude(pk=self.pk)

    def clean(self):
        super().clean()
        if self.exception_id and self.exception.kind == ExceptionKind.HOLIDAY:
            raise ValidationError({"exception": _("A holiday has no working periods.")})
