"""Business time: THE module that adds business durations to instants and measures business time between instants.

Every SLA clock is computed here. Definition: an instant is working time when the wall clock of the calendar's time
zone, at that instant, shows a time inside a working window of the local date it shows. Windows come from the
calendar's weekly periods, replaced on dated exceptions (holiday: none; working day: its own periods or those of a
named weekday). Consequences at DST changes follow from the definition and use real elapsed time: a window 00:00–24:00
lasts 23 h on the spring-forward day and 25 h on the fall-back day; wall times inside the skipped hour never occur;
wall times inside the repeated hour occur (and count) twice.

How: UTC time is cut into pieces of constant UTC offset (at most a day long; a DST change inside one is found by
bisection). Within a piece local time is UTC + offset, so each working window of each local date maps to one UTC
interval by subtracting the offset. The walk is day by day and window by window, never minute by minute, and reads a
`CalendarSnapshot` (plain immutable data), so computing many clocks costs no queries per day.

Public API (instants are timezone-aware datetimes; results are in UTC):
    add_business_time(calendar, start, duration) -> datetime
    business_time_between(calendar, start, end) -> timedelta
    business_time_in_intervals(calendar, intervals) -> timedelta      (a clock that runs only in given intervals)
    working_intervals(calendar, start, end=None) -> Iterator[(datetime, datetime)]
    is_working_time(calendar, at) -> bool
    next_working_time(calendar, at) -> datetime
    load_calendar(calendar_id) -> CalendarSnapshot ; load_calendars(ids) -> dict[int, CalendarSnapshot]
`calendar` is a CalendarSnapshot, a BusinessCalendar or a calendar id. NoWorkingTime (a ValueError) is raised when no
working time is found within SEARCH_LIMIT (about ten years) of the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
DAY_SECONDS = 86400
SEARCH_LIMIT = timedelta(days=3653)  # ten years (with leap days)
_EPSILON = timedelta(microseconds=1)

Window = tuple[int, int]  # [start, end) in seconds since local midnight, 0 <= start < end <= 86400


class NoWorkingTime(ValueError):
    """The calendar has no working time within SEARCH_LIMIT of the start (or none at all)."""


def _seconds(value, *, is_end: bool) -> int:
    if isinstance(value, int):
        return value
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return DAY_SECONDS if is_end and seconds == 0 else seconds  # an end of 00:00 is midnight at the end of the day


def normalise_windows(ranges: Iterable[tuple]) -> tuple[Window, ...]:
    """Sorted, merged, non-empty windows from (start, end) pairs of `time` (end 00:00 = 24:00) or seconds."""
    spans = sorted(
        (_seconds(start, is_end=False), _seconds(end, is_end=True)) for start, end in ranges
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if not 0 <= start < end <= DAY_SECONDS:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


@dataclass(frozen=True, slots=True)
class CalendarSnapshot:
    """A calendar as plain immutable data: its time zone, windows per weekday, and windows per exception date."""

    time_zone: str
    weekly: tuple[tuple[Window, ...], ...]  # seven entries, Monday first
    exceptions: Mapping[date, tuple[Window, ...]]  # a holiday maps to ()
    calendar_id: int | None = None
    revision: object = None
    name: str = ""

    @classmethod
    def build(cls, time_zone: str, weekly: Mapping[int, Iterable[tuple]], exceptions: Mapping[date, Iterable[tuple]]
              | None = None, **extra) -> CalendarSnapshot:
        """From {weekday: [(start, end), ...]} and {date: [(start, end), ...] or [] for a holiday}."""
        ZoneInfo(time_zone)  # fail early on an unknown zone
        days = tuple(normalise_windows(weekly.get(day, ())) for day in range(7))
        dated = {day: normalise_windows(ranges) for day, ranges in (exceptions or {}).items()}
        return cls(time_zone=time_zone, weekly=days, exceptions=MappingProxyType(dated), **extra)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances by key

    @property
    def has_weekly_time(self) -> bool:
        return any(self.weekly)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        found = self.exceptions.get(day)
        return found if found is not None else self.weekly[day.weekday()]

    def last_working_exception(self) -> date | None:
        return max((day for day, windows in self.exceptions.items() if windows), default=None)


def _aware_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _offset_at(tz: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(tz).utcoffset()


def _constant_offset_pieces(tz: ZoneInfo, start: datetime, limit: datetime) -> Iterator[tuple]:
    """(piece start, piece end, offset): consecutive UTC pieces of at most a day with one UTC offset each.

    Assumes a zone changes its offset at most once in 24 hours (true of every zone in the tz database since 1970).
    """
    begin, offset = start, _offset_at(tz, start)
    while begin < limit:
        end = min(begin + DAY, limit)
        next_offset = _offset_at(tz, end)
        if next_offset != offset:
            # Bisect to the first microsecond with the new offset.
            low, high = begin, end
            while high - low > _EPSILON:
                middle = low + (high - low) / 2
                if _offset_at(tz, middle) == offset:
                    low = middle
                else:
                    high = middle
            end, next_offset = high, _offset_at(tz, high)
        yield begin, end, offset
        begin, offset = end, next_offset


def _intervals(snapshot: CalendarSnapshot, start: datetime, limit: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working time from `start` (UTC) to `limit` (UTC) as increasing, disjoint UTC intervals."""
    tz = snapshot.tz
    weekly = snapshot.has_weekly_time
    last_exception = None if weekly else snapshot.last_working_exception()
    if not weekly and last_exception is None:
        return
    for piece_start, piece_end, offset in _constant_offset_pieces(tz, start, limit):
        local_start = (piece_start + offset).replace(tzinfo=None)
        local_end = (piece_end + offset).replace(tzinfo=None)
        day = local_start.date()
        if not weekly and day > last_exception:
            return  # only dated working days, and all of them are behind us
        midnight = datetime.combine(day, time())
        while midnight < local_end:
            for window_start, window_end in snapshot.windows_on(day):
                begin = max(midnight + timedelta(seconds=window_start), local_start)
                finish = min(midnight + timedelta(seconds=window_end), local_end)
                if begin < finish:
                    yield (begin - offset).replace(tzinfo=UTC), (finish - offset).replace(tzinfo=UTC)
            day += DAY
            midnight += DAY


def _snapshot(calendar) -> CalendarSnapshot:
    if isinstance(calendar, CalendarSnapshot):
        return calendar
    if isinstance(calendar, int):
        return load_calendar(calendar)
    return load_calendar(calendar.pk)


def _no_working_time(snapshot: CalendarSnapshot, start: datetime) -> NoWorkingTime:
    label = snapshot.name or snapshot.calendar_id or snapshot.time_zone
    return NoWorkingTime(
        f"Calendar {label} has no working time within {SEARCH_LIMIT.days} days after {start.isoformat()}."
    )


def working_intervals(calendar, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Working time from `start` up to `end` (default: SEARCH_LIMIT later) as increasing disjoint UTC intervals."""
    snapshot = _snapshot(calendar)
    start = _aware_utc(start, "start")
    end = start + SEARCH_LIMIT if end is None else _aware_utc(end, "end")
    return _intervals(snapshot, start, end)


def add_business_time(calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of working time has passed since `start` (UTC).

    A duration that ends exactly at the end of a working window ends there (18:00, not 08:00 the next day). A zero
    duration gives `start` itself. Raises ValueError for a negative duration or a naive datetime, NoWorkingTime when
    the calendar does not provide `duration` within SEARCH_LIMIT.
    """
    snapshot = _snapshot(calendar)
    start = _aware_utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    if not duration:
        return start
    remaining = duration
    for begin, finish in _intervals(snapshot, start, start + SEARCH_LIMIT):
        length = finish - begin
        if remaining <= length:
            return begin + remaining
        remaining -= length
    raise _no_working_time(snapshot, start)


def business_time_between(calendar, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end). Raises ValueError when `end` is before `start`."""
    snapshot = _snapshot(calendar)
    start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    return sum((finish - begin for begin, finish in _intervals(snapshot, start, end)), timedelta(0))


def business_time_in_intervals(calendar, intervals: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """Working time of a clock that runs only in the given (start, end) intervals (pauses are the gaps).

    The intervals must be in order and must not overlap (touching is fine); ValueError otherwise.
    """
    snapshot = _snapshot(calendar)
    total = timedelta(0)
    previous_end = None
    for start, end in intervals:
        start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
        if end < start:
            raise ValueError(f"interval ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"intervals overlap or are out of order at {start.isoformat()}")
        total += sum((finish - begin for begin, finish in _intervals(snapshot, start, end)), timedelta(0))
        previous_end = end
    return total


def is_working_time(calendar, at: datetime) -> bool:
    """True if the instant `at` is working time."""
    snapshot = _snapshot(calendar)
    at = _aware_utc(at, "at")
    return any(True for _interval in _intervals(snapshot, at, at + _EPSILON))


def next_working_time(calendar, at: datetime) -> datetime:
    """The first working instant at or after `at` (where a clock started outside working hours begins to run)."""
    snapshot = _snapshot(calendar)
    at = _aware_utc(at, "at")
    for begin, _finish in _intervals(snapshot, at, at + SEARCH_LIMIT):
        return begin
    raise _no_working_time(snapshot, at)


# --- Loading calendars -------------------------------------------------------------------------------------------

_cache: dict[int, CalendarSnapshot] = {}


def _build_snapshots(calendars) -> dict[int, CalendarSnapshot]:
    """Snapshots of the given calendar rows (read before their parts, so a concurrent change only makes them stale).

    Three queries whatever the number of calendars.
    """
    from .choices import ExceptionKind
    from .models import CalendarException, WorkingPeriod

    ids = [calendar.pk for calendar in calendars]
    weekly = {pk: {day: [] for day in range(7)} for pk in ids}
    for period in WorkingPeriod.objects.filter(calendar_id__in=ids).only("calendar_id", "weekday", "start_time",
                                                                         "end_time"):
        weekly[period.calendar_id][period.weekday].append((period.start_time, period.end_time))
    windows = {pk: {day: normalise_windows(ranges) for day, ranges in days.items()} for pk, days in weekly.items()}
    dated = {pk: {} for pk in ids}
    for exception in CalendarException.objects.filter(calendar_id__in=ids).prefetch_related("periods"):
        own = [(period.start_time, period.end_time) for period in exception.periods.all()]
        if exception.kind == ExceptionKind.HOLIDAY:
            ranges = ()
        elif own:
            ranges = normalise_windows(own)
        else:
            pattern = exception.works_like_weekday
            ranges = windows[exception.calendar_id][exception.date.weekday() if pattern is None else pattern]
        dated[exception.calendar_id][exception.date] = ranges
    return {
        calendar.pk: CalendarSnapshot.build(
            calendar.time_zone, windows[calendar.pk], dated[calendar.pk],
            calendar_id=calendar.pk, revision=calendar.revision, name=calendar.name,
        )
        for calendar in calendars
    }


def load_calendars(calendar_ids: Iterable[int]) -> dict[int, CalendarSnapshot]:
    """Snapshots of several calendars: one query to check revisions, three more only for those that changed."""
    from .models import BusinessCalendar

    rows = list(BusinessCalendar.objects.filter(pk__in=set(calendar_ids)).only("name", "time_zone", "revision"))
    stale = [row for row in rows if getattr(_cache.get(row.pk), "revision", None) != row.revision]
    if stale:
        _cache.update(_build_snapshots(stale))
    return {row.pk: _cache[row.pk] for row in rows}


def load_calendar(calendar_id: int) -> CalendarSnapshot:
    """The snapshot of one calendar, cached per process and reloaded when the calendar's revision changes.

    Raises BusinessCalendar.DoesNotExist for an unknown id.
    """
    from .models import BusinessCalendar

    found = load_calendars([calendar_id])
    if calendar_id not in found:
        raise BusinessCalendar.DoesNotExist(f"No business calendar with id {calendar_id}.")
    return found[calendar_id]


def forget_calendar(calendar_id: int | None = None) -> None:
    """Drop cached snapshots (one, or all); not needed for correctness, since revisions are compared on load."""
    if calendar_id is None:
        _cache.clear()
    else:
        _cache.pop(calendar_id, None)
