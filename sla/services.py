"""The only way calendars change (besides the admin site): each function locks the calendar row, validates the whole
day it touches, writes, and announces the change after commit (sla.signals.calendar_changed).

Overlapping periods cannot be excluded by a database constraint on time-of-day columns without btree_gist; instead
every writer holds the calendar's row lock while it checks and writes, so two concurrent writers cannot each add one
half of an overlap.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from core.roles import is_admin

from . import calendars
from .choices import ExceptionKind, Weekday
from .models import BusinessCalendar, CalendarException, ExceptionPeriod, WorkingPeriod, range_errors
from .signals import announce_calendar_changed, touch_calendar


def _changed(calendar_id):
    """A new revision now (bulk writes send no signals), and the announcement after commit."""
    touch_calendar(pk=calendar_id)
    announce_calendar_changed(calendar_id)


def _require_admin(actor):
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only an administrator may change business calendars."))


def _locked(calendar):
    return BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)


def period_errors(periods):
    """Per-row problems of a calendar's weekly periods, aligned to `periods` ({field: message} or {} per row).

    `periods` are mappings with weekday, start_time and end_time; overlaps are checked within each weekday.
    """
    errors = [{} for _period in periods]
    by_day = {}
    for index, period in enumerate(periods):
        by_day.setdefault(period.get("weekday"), []).append(index)
    for day, indexes in by_day.items():
        day_errors = range_errors([(periods[i].get("start_time"), periods[i].get("end_time")) for i in indexes])
        for position, problem in day_errors.items():
            if "start_time" in problem:
                problem = {"start_time": f"{Weekday(day).label}: {problem['start_time']}"}
            errors[indexes[position]] = problem
    return errors


def exception_errors(kind, works_like_weekday, periods):
    """Problems of an exception as {field: message}: its periods (per row, as a list) and its kind's rules."""
    errors = {}
    rows = [{} for _period in periods]
    for index, problem in range_errors([(p.get("start_time"), p.get("end_time")) for p in periods]).items():
        rows[index] = problem
    if any(rows):
        errors["periods"] = rows
    if kind == ExceptionKind.HOLIDAY:
        if periods:
            errors["periods"] = _("A holiday has no working periods.")
        if works_like_weekday is not None:
            errors["works_like_weekday"] = _("A holiday has no working time to copy.")
    elif periods and works_like_weekday is not None:
        errors["works_like_weekday"] = _("Give the working day either its own periods or a weekday to work like, "
                                         "not both.")
    elif not periods and works_like_weekday is None:
        errors["works_like_weekday"] = _("Give the working day its own periods or a weekday to work like.")
    return errors


def rows_validation_error(errors):
    """{field: message, or row-aligned [{field: message}]} as a ValidationError ("2. start_time: ..." per row).

    sla.definitions raises its agreements' problems through this too.
    """
    flat = {}
    for name, value in errors.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            flat[name] = [f"{index + 1}. {field}: {message}" for index, row in enumerate(value)
                          for field, message in row.items()]
        else:
            flat[name] = value if isinstance(value, list) else [value]
    return ValidationError(flat)


def date_clash_error(calendar, date, exception=None):
    """The message when `calendar` has an exception on `date` other than `exception`, else None."""
    clash = CalendarException.objects.filter(calendar=calendar, date=date)
    if exception is not None:
        clash = clash.exclude(pk=exception.pk)
    if date is not None and clash.exists():
        return _("This calendar already has an exception on %(date)s.") % {"date": date}
    return None


def _replace_periods(calendar, periods):
    problems = period_errors(periods)
    if any(problems):
        raise rows_validation_error({"periods": problems})
    calendar.periods.all().delete()
    rows = [WorkingPeriod(calendar=calendar, weekday=p["weekday"], start_time=p["start_time"],
                          end_time=p["end_time"]) for p in periods]
    for row in rows:
        row.clean_fields(exclude=["calendar"])  # overlaps were checked above, for the whole new set
    WorkingPeriod.objects.bulk_create(rows)


@transaction.atomic
def create_calendar(*, actor, name, time_zone, description="", periods=()):
    """A new calendar with its weekly periods (a list of {weekday, start_time, end_time})."""
    _require_admin(actor)
    calendar = BusinessCalendar(name=name, time_zone=time_zone, description=description)
    calendar.full_clean()
    calendar.save()
    calendar = _locked(calendar)
    _replace_periods(calendar, list(periods))
    _changed(calendar.pk)
    return BusinessCalendar.objects.get(pk=calendar.pk)


@transaction.atomic
def update_calendar(calendar, *, actor, periods=None, **fields):
    """Change name, time zone or description; `periods`, when given, replaces the whole weekly pattern."""
    _require_admin(actor)
    calendar = _locked(calendar)
    unknown = set(fields) - {"name", "time_zone", "description"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(calendar, name, value)
    calendar.full_clean()
    calendar.save()
    if periods is not None:
        periods = list(periods)
        if not periods and calendar.service_level_agreements.exists():
            raise ValidationError({"periods": _("Service level agreements use this calendar; it must keep some "
                                                "working time.")})
        _replace_periods(calendar, periods)
    _changed(calendar.pk)
    return BusinessCalendar.objects.get(pk=calendar.pk)


@transaction.atomic
def delete_calendar(calendar, *, actor):
    """Remove a calendar with its periods and exceptions (SLA definitions that use one protect it)."""
    _require_admin(actor)
    calendar = _locked(calendar)
    calendar_id = calendar.pk
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError:
        raise Conflict(_("Service level agreements use this calendar; give them another calendar first.")) from None
    announce_calendar_changed(calendar_id)


@transaction.atomic
def save_exception(calendar, *, actor, exception=None, date, kind, name="", works_like_weekday=None, periods=()):
    """Create (exception=None) or replace an exception of `calendar`, with its own periods."""
    _require_admin(actor)
    calendar = _locked(calendar)
    periods = list(periods)
    errors = exception_errors(kind, works_like_weekday, periods)
    if errors:
        raise rows_validation_error(errors)
    if clash := date_clash_error(calendar, date, exception):
        raise ValidationError({"date": clash})
    if exception is None:
        exception = CalendarException(calendar=calendar)
    if (exception.date, exception.kind, exception.name) != (date, kind, name):
        exception.library_country = exception.library_subdiv = ""  # edited by hand: the typed name is shown
    exception.date, exception.kind, exception.name = date, kind, name
    exception.works_like_weekday = works_like_weekday
    exception.full_clean(exclude=["calendar"], validate_unique=False)
    exception.save()
    exception.periods.all().delete()
    ExceptionPeriod.objects.bulk_create(
        ExceptionPeriod(exception=exception, start_time=p["start_time"], end_time=p["end_time"]) for p in periods
    )
    _changed(calendar.pk)
    return exception


@transaction.atomic
def delete_exception(exception, *, actor):
    _require_admin(actor)
    calendar = _locked(exception.calendar)
    exception.delete()
    _changed(calendar.pk)


def fill_calendar(calendar, *, actor, year, country="CN", subdiv=None, works_like_weekday=None):
    """Add a year's public holidays and make-up working days from the holidays library (see sla.calendars)."""
    _require_admin(actor)
    with transaction.atomic():
        result = calendars.fill_from_holidays(calendar, year, country, subdiv, works_like_weekday=works_like_weekday)
        if result.holidays or result.working_days:
            announce_calendar_changed(calendar.pk)
    return result
