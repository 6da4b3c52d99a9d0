"""Filling a calendar's holidays and make-up working days for a year from the `holidays` library.

The library's public API gives a country's public holidays (`country_holidays(...)`, a date → name mapping) and, for
countries that move working days onto weekends (China's 调休), `weekend_workdays`: the weekend dates that are worked.
A make-up day is stored as an extra working day that works like a normal weekday of the calendar.

Filling is idempotent: a date that already has an exception is left exactly as it is (so hand edits survive a second
fill); running it twice creates nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import date

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import ExceptionKind
from .holiday_names import library_language
from .models import BusinessCalendar, CalendarException, WorkingPeriod
from .signals import touch_calendar


@dataclass
class FillResult:
    """What a fill did: the dates it added and the dates it left alone because they already had an exception."""

    holidays: list[date] = field(default_factory=list)
    working_days: list[date] = field(default_factory=list)
    kept: list[date] = field(default_factory=list)


def library_days(year, country="CN", subdiv=None):
    """({date: holiday name}, [make-up working dates]) of `year`, from the library; field-named ValidationError."""
    country = (country or "").upper()
    if country not in holidays.list_supported_countries():
        raise ValidationError({"country": _("The holidays library does not know the country “%(country)s”.")
                               % {"country": country}})
    try:
        country_class = type(holidays.country_holidays(country, years=[]))
        # Make-up days of `year` may be announced with the next year's holidays (a Saturday worked before New Year).
        data = holidays.country_holidays(
            country, subdiv=subdiv or None, years=[year, year + 1], language=library_language(country_class)
        )
    except NotImplementedError:
        raise ValidationError({"subdiv": _("“%(subdiv)s” is not a subdivision of %(country)s in the holidays "
                                           "library.") % {"subdiv": subdiv, "country": country}}) from None
    named = {day: name for day, name in sorted(data.items()) if day.year == year}
    working = sorted(day for day in getattr(data, "weekend_workdays", ()) if day.year == year and day not in named)
    return named, working


def default_make_up_weekday(calendar):
    """The weekday a make-up day works like: the calendar's first working weekday from Monday (Monday if none)."""
    days = set(WorkingPeriod.objects.filter(calendar=calendar).values_list("weekday", flat=True))
    return min((day for day in days if day < 5), default=min(days, default=0))


def fill_from_holidays(calendar, year, country="CN", subdiv=None, *, works_like_weekday=None):
    """Add `year`'s public holidays and make-up working days of `country` (and `subdiv`) to `calendar`.

    Returns a FillResult. Dates that already have an exception are kept unchanged.
    """
    named, working = library_days(year, country, subdiv)
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        existing = set(CalendarException.objects.filter(calendar=calendar, date__year=year)
                       .values_list("date", flat=True))
        if works_like_weekday is None:
            works_like_weekday = default_make_up_weekday(calendar)
        result = FillResult()
        rows = []
        for day, name in named.items():
            if day in existing:
                result.kept.append(day)
                continue
            rows.append(CalendarException(calendar=calendar, date=day, kind=ExceptionKind.HOLIDAY, name=name[:200],
                                          library_country=country.upper(), library_subdiv=subdiv or ""))
            result.holidays.append(day)
        for day in working:
            if day in existing:
                result.kept.append(day)
                continue
            rows.append(CalendarException(
                calendar=calendar, date=day, kind=ExceptionKind.WORKING_DAY, name=_("Make-up working day"),
                works_like_weekday=works_like_weekday, library_country=country.upper(), library_subdiv=subdiv or "",
            ))
            result.working_days.append(day)
        if rows:
            CalendarException.objects.bulk_create(rows)  # no save signals: the revision is renewed once, below
            touch_calendar(pk=calendar.pk)
    result.kept.sort()
    return result
