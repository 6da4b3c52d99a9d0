"""sla.businesstime against a minute-by-minute reference (hypothesis), named cases, and the calendar cache.

The reference below knows nothing of the module's pieces and windows: it steps through real time one minute at a
time, reads the calendar's wall clock, and asks whether that wall time lies in a working window of that local date.
Calendars, exceptions and pauses are on whole minutes, so counting minutes is exact.
"""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla import businesstime
from sla.businesstime import (
    CalendarSnapshot,
    NoWorkingTime,
    add_business_time,
    business_time_between,
    business_time_in_intervals,
    is_working_time,
    next_working_time,
)

MINUTE = timedelta(minutes=1)
HORIZON = timedelta(days=21)  # how far the reference walks before giving up
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "America/Santiago"]
# DST changes of 2025 (UTC), including Santiago's at local midnight and Lord Howe's half hour.
INTERESTING = [
    datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2025, 3, 9, 7, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC),
    datetime(2025, 4, 5, 15, tzinfo=UTC), datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
    datetime(2025, 4, 6, 3, tzinfo=UTC), datetime(2025, 9, 7, 4, tzinfo=UTC),
]


# --- The reference ------------------------------------------------------------------------------------------------

class Spec:
    """A calendar as the test generated it: minute windows per weekday, and exceptions per date."""

    def __init__(self, zone, weekly, exceptions):
        self.zone, self.tz, self.weekly, self.exceptions = zone, ZoneInfo(zone), weekly, exceptions

    def windows(self, day):
        exception = self.exceptions.get(day)
        if exception is None:
            return self.weekly[day.weekday()]
        kind, value = exception
        if kind == "holiday":
            return []
        return self.weekly[value] if kind == "like" else value

    def working(self, instant):
        local = instant.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.windows(local.date()))

    def snapshot(self):
        def as_times(windows):
            return [(time(s // 60, s % 60), time(e // 60 % 24, e % 60)) for s, e in windows]

        return CalendarSnapshot.build(
            self.zone, {day: as_times(w) for day, w in self.weekly.items()},
            {day: as_times(self.windows(day)) for day in self.exceptions},
        )


def reference_between(spec, start, end, running=lambda instant: True):
    count, instant = 0, start
    while instant < end:
        count += spec.working(instant) and running(instant)
        instant += MINUTE
    return count * MINUTE


def reference_add(spec, start, duration, running=lambda instant: True):
    """The instant `duration` of working time after `start`, or None if it is beyond HORIZON."""
    if not duration:
        return start
    needed, instant = duration // MINUTE, start
    while instant < start + HORIZON:
        if spec.working(instant) and running(instant):
            needed -= 1
            if needed == 0:
                return instant + MINUTE
        instant += MINUTE
    return None


# --- Strategies --------------------------------------------------------------------------------------------------

@st.composite
def day_windows(draw):
    """0–3 non-overlapping windows of a day on minute boundaries (end 1440 = midnight at the end of the day)."""
    count = draw(st.integers(0, 3))
    edges = sorted(draw(st.lists(st.integers(0, 1440), min_size=2 * count, max_size=2 * count, unique=True)))
    windows = list(zip(edges[::2], edges[1::2], strict=True))
    if windows and draw(st.booleans()) and len(windows) > 1:
        windows[1] = (windows[0][1], windows[1][1])  # sometimes touching
    return windows


@st.composite
def starts(draw):
    if draw(st.booleans()):
        base = draw(st.sampled_from(INTERESTING))
        return base + draw(st.integers(-3 * 1440, 1440)) * MINUTE
    return datetime(2024, 1, 1, tzinfo=UTC) + draw(st.integers(0, 3 * 365 * 1440)) * MINUTE


@st.composite
def specs(draw, around):
    zone = draw(st.sampled_from(ZONES))
    weekly = {day: draw(day_windows()) for day in range(7)}
    first = around.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    exceptions = {}
    for offset in draw(st.lists(st.integers(0, 14), max_size=5, unique=True)):
        kind = draw(st.sampled_from(["holiday", "like", "own"]))
        value = draw(st.integers(0, 6)) if kind == "like" else draw(day_windows()) if kind == "own" else None
        exceptions[first + timedelta(days=offset)] = (kind, value)
    return Spec(zone, weekly, exceptions)


@st.composite
def cases(draw):
    start = draw(starts())
    return draw(specs(start)), start


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- Properties ----------------------------------------------------------------------------------------------------

@FAST
@given(case=cases(), minutes=st.integers(0, 6 * 1440))
def test_business_time_between_matches_reference(case, minutes):
    spec, start = case
    end = start + minutes * MINUTE
    assert business_time_between(spec.snapshot(), start, end) == reference_between(spec, start, end)


@FAST
@given(case=cases(), minutes=st.integers(0, 3 * 1440))
def test_add_business_time_matches_reference(case, minutes):
    spec, start = case
    snapshot, duration = spec.snapshot(), minutes * MINUTE
    expected = reference_add(spec, start, duration)
    if expected is not None:
        due = add_business_time(snapshot, start, duration)
        assert due == expected
        assert business_time_between(snapshot, start, due) == duration
    else:
        try:
            assert add_business_time(snapshot, start, duration) >= start + HORIZON
        except NoWorkingTime:
            pass


@FAST
@given(case=cases(), cuts=st.lists(st.integers(0, 5 * 1440), min_size=1, max_size=8, unique=True))
def test_business_time_in_intervals_matches_reference(case, cuts):
    """A clock that runs and pauses: running intervals are consecutive pairs of the sorted cut points."""
    spec, start = case
    edges = [start + cut * MINUTE for cut in sorted(cuts)]
    if len(edges) % 2:
        edges.append(edges[-1] + 90 * MINUTE)
    intervals = list(zip(edges[::2], edges[1::2], strict=True))

    def running(instant):
        return any(begin <= instant < end for begin, end in intervals)

    expected = reference_between(spec, start, edges[-1], running)
    assert business_time_in_intervals(spec.snapshot(), intervals) == expected


@FAST
@given(case=cases(), cuts=st.lists(st.integers(0, 4 * 1440), min_size=1, max_size=6, unique=True),
       target=st.integers(1, 2 * 1440))
def test_due_of_a_paused_and_resumed_clock_matches_reference(case, cuts, target):
    """The due time of a clock still running after pauses = resume instant + (target - business time so far)."""
    spec, start = case
    edges = [start, *[start + (cut + 1) * MINUTE for cut in sorted(cuts)]]
    if len(edges) % 2 == 0:
        edges.append(edges[-1] + 45 * MINUTE)
    closed = list(zip(edges[:-1:2], edges[1:-1:2], strict=True))
    resumed = edges[-1]  # running from here on

    def running(instant):
        return instant >= resumed or any(begin <= instant < end for begin, end in closed)

    snapshot, target = spec.snapshot(), target * MINUTE
    elapsed = business_time_in_intervals(snapshot, closed)
    expected = reference_add(spec, start, target, running)
    if expected is None:
        return
    due = expected if elapsed >= target else add_business_time(snapshot, resumed, target - elapsed)
    assert due == expected


@settings(max_examples=60, deadline=None)
@given(case=cases(), probe=st.integers(0, 3 * 1440))
def test_is_working_time_and_next_working_time_match_reference(case, probe):
    spec, start = case
    snapshot, at = spec.snapshot(), start + probe * MINUTE
    assert is_working_time(snapshot, at) == spec.working(at)
    expected = reference_add(spec, at, MINUTE)
    if expected is not None:
        assert next_working_time(snapshot, at) == expected - MINUTE


# --- Named cases ---------------------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def office(zone="Asia/Shanghai"):
    """Monday to Friday, 08:00–18:00."""
    return CalendarSnapshot.build(zone, {day: [(time(8), time(18))] for day in range(5)})


def around_the_clock(zone):
    return CalendarSnapshot.build(zone, {day: [(time(0), time(0))] for day in range(7)})


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


def test_opened_at_16_with_a_4_hour_target_is_due_at_10_the_next_working_day():
    calendar = office()
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 3, 16), timedelta(hours=4)) == \
        local(SHANGHAI, 2025, 6, 4, 10)
    # On a Friday the next working day is Monday.
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 6, 16), timedelta(hours=4)) == \
        local(SHANGHAI, 2025, 6, 9, 10)


def test_a_target_ending_with_the_working_day_is_due_that_evening_not_next_morning():
    calendar = office()
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 3, 8), timedelta(hours=10)) == \
        local(SHANGHAI, 2025, 6, 3, 18)


def test_a_clock_paused_over_a_weekend():
    """8 h target, opened Friday 14:00, pending on the user from Friday 16:00 to Monday 10:00."""
    calendar = office()
    opened, paused, resumed = (local(SHANGHAI, 2025, 6, 6, 14), local(SHANGHAI, 2025, 6, 6, 16),
                               local(SHANGHAI, 2025, 6, 9, 10))
    elapsed = business_time_in_intervals(calendar, [(opened, paused)])
    assert elapsed == timedelta(hours=2)
    assert add_business_time(calendar, resumed, timedelta(hours=8) - elapsed) == local(SHANGHAI, 2025, 6, 9, 16)
    # Without the pause: 4 h on Friday, 4 h on Monday.
    assert add_business_time(calendar, opened, timedelta(hours=8)) == local(SHANGHAI, 2025, 6, 9, 12)
    # Around the clock, the pause keeps the whole weekend out of the clock.
    always = around_the_clock("Asia/Shanghai")
    assert business_time_in_intervals(always, [(opened, paused), (resumed, local(SHANGHAI, 2025, 6, 9, 11))]) == \
        timedelta(hours=3)


def test_berlin_spring_forward_night_has_23_hours():
    calendar = around_the_clock("Europe/Berlin")
    day = (local(BERLIN, 2025, 3, 30), local(BERLIN, 2025, 3, 31))
    assert business_time_between(calendar, *day) == timedelta(hours=23)
    # Three real hours from Saturday 23:00 CET: to 00:00, to 01:00, to 02:00 CET, which the wall shows as 03:00 CEST.
    due = add_business_time(calendar, local(BERLIN, 2025, 3, 29, 23), timedelta(hours=3))
    assert due == datetime(2025, 3, 30, 1, tzinfo=UTC) and due.astimezone(BERLIN).hour == 3
    # A night shift 22:00–06:00 lasts seven real hours that night.
    nights = CalendarSnapshot.build("Europe/Berlin", {day: [(time(22), time(0)), (time(0), time(6))]
                                                      for day in range(7)})
    assert business_time_between(nights, local(BERLIN, 2025, 3, 29, 12), local(BERLIN, 2025, 3, 30, 12)) == \
        timedelta(hours=7)
    # Wall times in the skipped hour never occur: 02:30–04:00 holds only 03:00–04:00 CEST.
    skipped = CalendarSnapshot.build("Europe/Berlin", {6: [(time(2, 30), time(4))]})
    assert business_time_between(skipped, local(BERLIN, 2025, 3, 29), local(BERLIN, 2025, 3, 31)) == \
        timedelta(hours=1)


def test_berlin_fall_back_night_has_25_hours():
    calendar = around_the_clock("Europe/Berlin")
    assert business_time_between(calendar, local(BERLIN, 2025, 10, 26), local(BERLIN, 2025, 10, 27)) == \
        timedelta(hours=25)
    # Four real hours from Saturday 23:00 CEST end at the second 02:00 (CET).
    due = add_business_time(calendar, local(BERLIN, 2025, 10, 25, 23), timedelta(hours=4))
    assert due == datetime(2025, 10, 26, 1, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 2 and due.astimezone(BERLIN).utcoffset() == timedelta(hours=1)
    nights = CalendarSnapshot.build("Europe/Berlin", {day: [(time(22), time(0)), (time(0), time(6))]
                                                      for day in range(7)})
    assert business_time_between(nights, local(BERLIN, 2025, 10, 25, 12), local(BERLIN, 2025, 10, 26, 12)) == \
        timedelta(hours=9)
    # Wall times in the repeated hour occur twice: 02:00–02:30 is worked once in CEST and once in CET.
    repeated = CalendarSnapshot.build("Europe/Berlin", {6: [(time(2), time(2, 30))]})
    assert list(businesstime.working_intervals(repeated, local(BERLIN, 2025, 10, 25), local(BERLIN, 2025, 10, 27))) \
        == [(datetime(2025, 10, 26, 0, tzinfo=UTC), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
            (datetime(2025, 10, 26, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC))]


def test_holidays_and_make_up_days_in_a_snapshot():
    calendar = CalendarSnapshot.build(
        "Asia/Shanghai", {day: [(time(8), time(18))] for day in range(5)},
        {date(2025, 6, 4): [], date(2025, 6, 7): [(time(9), time(12))]},
    )
    # Tuesday 16:00 + 4 h: Wednesday is a holiday, Thursday 10:00.
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 3, 16), timedelta(hours=4)) == \
        local(SHANGHAI, 2025, 6, 5, 10)
    # Friday 16:00 + 4 h: two hours on Friday, then Saturday's extra morning 09:00–11:00.
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 6, 16), timedelta(hours=4)) == \
        local(SHANGHAI, 2025, 6, 7, 11)


def test_bad_input_is_refused_clearly():
    calendar = office()
    start = local(SHANGHAI, 2025, 6, 3, 9)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(calendar, start, timedelta(minutes=-1))
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(calendar, datetime(2025, 6, 3, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="before start"):
        business_time_between(calendar, start, start - MINUTE)
    with pytest.raises(ValueError, match="overlap"):
        business_time_in_intervals(calendar, [(start, start + 2 * MINUTE), (start + MINUTE, start + 3 * MINUTE)])
    assert add_business_time(calendar, local(SHANGHAI, 2025, 6, 7, 3), timedelta(0)) == local(SHANGHAI, 2025, 6, 7, 3)


def test_a_calendar_without_working_time_fails_fast_with_a_clear_error():
    empty = CalendarSnapshot.build("Europe/Berlin", {}, name="Nothing")
    with pytest.raises(NoWorkingTime, match="Nothing has no working time within 3653 days"):
        add_business_time(empty, local(BERLIN, 2025, 1, 1), MINUTE)
    assert business_time_between(empty, local(BERLIN, 2025, 1, 1), local(BERLIN, 2035, 1, 1)) == timedelta(0)
    # Working time only on one dated day: found, and nothing after it.
    once = CalendarSnapshot.build("Europe/Berlin", {}, {date(2025, 2, 1): [(time(9), time(10))]})
    assert add_business_time(once, local(BERLIN, 2025, 1, 1), MINUTE) == local(BERLIN, 2025, 2, 1, 9, 1)
    with pytest.raises(NoWorkingTime):
        add_business_time(once, local(BERLIN, 2025, 1, 1), 2 * timedelta(hours=1))
    # Weekly time that holidays cover for longer than the search limit.
    blocked = CalendarSnapshot.build("UTC", {0: [(time(9), time(10))]}, {
        date(2025, 1, 6) + timedelta(weeks=week): [] for week in range(600)})
    with pytest.raises(NoWorkingTime):
        add_business_time(blocked, local(UTC, 2025, 1, 1), MINUTE)


def test_many_clocks_are_fast():
    calendar = office("Europe/Berlin")
    start = local(BERLIN, 2025, 3, 20, 16)
    began = datetime.now(UTC)
    for index in range(2000):
        add_business_time(calendar, start + index * MINUTE, timedelta(hours=48))
    assert datetime.now(UTC) - began < timedelta(seconds=5)


# --- Loading calendars from the database ---------------------------------------------------------------------------

@pytest.fixture
def berlin_office(db):
    from sla.models import BusinessCalendar, CalendarException, ExceptionPeriod, WorkingPeriod

    calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        WorkingPeriod.objects.create(calendar=calendar, weekday=day, start_time=time(9), end_time=time(12))
        WorkingPeriod.objects.create(calendar=calendar, weekday=day, start_time=time(13), end_time=time(17))
    CalendarException.objects.create(calendar=calendar, date=date(2025, 10, 3), kind="holiday", name="Unity Day")
    CalendarException.objects.create(calendar=calendar, date=date(2025, 10, 4), kind="working_day",
                                     works_like_weekday=0)
    extra = CalendarException.objects.create(calendar=calendar, date=date(2025, 10, 5), kind="working_day")
    ExceptionPeriod.objects.create(exception=extra, start_time=time(10), end_time=time(11))
    businesstime.forget_calendar()
    return calendar


def test_load_calendar_builds_the_snapshot(berlin_office):
    snapshot = businesstime.load_calendar(berlin_office.pk)
    assert snapshot.time_zone == "Europe/Berlin" and snapshot.calendar_id == berlin_office.pk
    assert snapshot.weekly[0] == ((9 * 3600, 12 * 3600), (13 * 3600, 17 * 3600)) and snapshot.weekly[5] == ()
    assert snapshot.windows_on(date(2025, 10, 3)) == ()
    assert snapshot.windows_on(date(2025, 10, 4)) == snapshot.weekly[0]
    assert snapshot.windows_on(date(2025, 10, 5)) == ((10 * 3600, 11 * 3600),)
    # Thursday 16:00 + 3 h: 1 h Thursday, Friday a holiday, Saturday works like Monday from 09:00.
    due = add_business_time(berlin_office, local(BERLIN, 2025, 10, 2, 16), timedelta(hours=3))
    assert due == local(BERLIN, 2025, 10, 4, 11)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.weekly = ()
    with pytest.raises(TypeError):
        snapshot.exceptions[date(2025, 10, 6)] = ()


def test_load_calendar_is_cached_and_reloaded_after_any_change(berlin_office, django_assert_num_queries):
    from sla.models import CalendarException, WorkingPeriod

    first = businesstime.load_calendar(berlin_office.pk)
    with django_assert_num_queries(1):  # the revision check only
        assert businesstime.load_calendar(berlin_office.pk) is first
        add_business_time(first, local(BERLIN, 2025, 10, 1, 9), timedelta(days=30))
    WorkingPeriod.objects.create(calendar=berlin_office, weekday=5, start_time=time(9), end_time=time(10))
    second = businesstime.load_calendar(berlin_office.pk)
    assert second is not first and second.weekly[5] == ((9 * 3600, 10 * 3600),)
    CalendarException.objects.filter(date=date(2025, 10, 3)).get().delete()
    third = businesstime.load_calendar(berlin_office.pk)
    assert third.windows_on(date(2025, 10, 3)) == third.weekly[4]
    berlin_office.refresh_from_db()
    berlin_office.time_zone = "Asia/Shanghai"
    berlin_office.save()
    assert businesstime.load_calendar(berlin_office.pk).time_zone == "Asia/Shanghai"
    with django_assert_num_queries(1):
        assert len(businesstime.load_calendars([berlin_office.pk])) == 1


def test_load_calendar_of_an_unknown_id(db):
    from sla.models import BusinessCalendar

    with pytest.raises(BusinessCalendar.DoesNotExist):
        businesstime.load_calendar(987654)
