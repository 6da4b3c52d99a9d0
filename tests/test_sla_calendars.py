"""Business calendars in the database: validation that names the field, filling from the holidays library (China's
2025 National Day week and its make-up days), revisions and history."""

from datetime import date, time, timedelta

import holidays
import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from sla import businesstime, services
from sla.calendars import fill_from_holidays
from sla.choices import ExceptionKind
from sla.forms import WorkingPeriodFormSet
from sla.models import (
    BusinessCalendar,
    CalendarException,
    ExceptionPeriod,
    WorkingPeriod,
    validate_has_working_time,
)
from tests.sla_helpers import at

WEEKDAYS_9_TO_18 = [{"weekday": day, "start_time": time(9), "end_time": time(18)} for day in range(5)]


@pytest.fixture
def china_office(cast):
    return services.create_calendar(actor=cast.admin, name="Shanghai office", time_zone="Asia/Shanghai",
                                    periods=WEEKDAYS_9_TO_18)


# --- China's 2025 National Day week -------------------------------------------------------------------------------

def test_library_data_for_the_2025_national_day_week():
    """What the fill relies on, checked against the holidays library itself."""
    china = holidays.country_holidays("CN", years=2025)
    assert all(date(2025, 10, day) in china for day in (1, 2, 3, 6, 7, 8))  # 4 and 5 are an ordinary weekend
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= china.weekend_workdays
    assert date(2025, 9, 28).weekday() == 6 and date(2025, 10, 11).weekday() == 5  # a Sunday and a Saturday
    assert not china.is_working_day(date(2025, 10, 8)) and china.is_working_day(date(2025, 10, 11))


def test_fill_from_holidays_adds_the_national_day_week_and_its_make_up_days(china_office):
    result = fill_from_holidays(china_office, 2025, "CN")
    assert {date(2025, 10, day) for day in (1, 2, 3, 6, 7, 8)} <= set(result.holidays)
    assert result.working_days == [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
                                   date(2025, 10, 11)]
    make_up = CalendarException.objects.get(calendar=china_office, date=date(2025, 10, 11))
    assert make_up.kind == ExceptionKind.WORKING_DAY and make_up.works_like_weekday == 0 and make_up.name
    assert CalendarException.objects.get(calendar=china_office, date=date(2025, 10, 1)).kind == ExceptionKind.HOLIDAY

    # Tuesday 30 September 17:00 + 4 h: one hour that day, then nothing until Thursday 9 October 09:00 + 3 h.
    assert businesstime.add_business_time(china_office, at(2025, 9, 30, 17), timedelta(hours=4)) == \
        at(2025, 10, 9, 12)
    # Friday 26 September 17:00 + 4 h: one hour, then the make-up Sunday 28 September from 09:00.
    assert businesstime.add_business_time(china_office, at(2025, 9, 26, 17), timedelta(hours=4)) == \
        at(2025, 9, 28, 12)
    # Friday 10 October 17:00 + 4 h: the make-up Saturday 11 October.
    assert businesstime.add_business_time(china_office, at(2025, 10, 10, 17), timedelta(hours=4)) == \
        at(2025, 10, 11, 12)
    # The whole week from Monday 29 September to Sunday 12 October holds 2 + 2 + 1 working days of 9 h.
    assert businesstime.business_time_between(china_office, at(2025, 9, 29), at(2025, 10, 13)) == \
        timedelta(hours=5 * 9)


def test_fill_is_idempotent_and_keeps_hand_edits(china_office, cast):
    first = fill_from_holidays(china_office, 2025)
    count = CalendarException.objects.filter(calendar=china_office).count()
    assert count == len(first.holidays) + len(first.working_days)
    # By hand: the office works on 8 October after all, 10:00–16:00.
    eighth = CalendarException.objects.get(calendar=china_office, date=date(2025, 10, 8))
    services.save_exception(china_office, actor=cast.admin, exception=eighth, date=eighth.date,
                            kind=ExceptionKind.WORKING_DAY, name="Open day",
                            periods=[{"start_time": time(10), "end_time": time(16)}])
    second = fill_from_holidays(china_office, 2025)
    assert second.holidays == [] and second.working_days == []
    assert date(2025, 10, 8) in second.kept and len(second.kept) == count
    assert CalendarException.objects.filter(calendar=china_office).count() == count
    eighth.refresh_from_db()
    assert eighth.kind == ExceptionKind.WORKING_DAY and eighth.name == "Open day"
    assert businesstime.business_time_between(china_office, at(2025, 10, 8), at(2025, 10, 9)) == timedelta(hours=6)


def test_fill_refuses_unknown_countries_and_subdivisions_naming_the_field(china_office):
    with pytest.raises(ValidationError) as error:
        fill_from_holidays(china_office, 2025, "XX")
    assert "country" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        fill_from_holidays(china_office, 2025, "DE", subdiv="ZZ")
    assert "subdiv" in error.value.message_dict


def test_fill_through_the_service_needs_an_administrator_and_renews_the_revision(china_office, cast):
    with pytest.raises(PermissionDenied):
        services.fill_calendar(china_office, actor=cast.manager, year=2025)
    before = BusinessCalendar.objects.get(pk=china_office.pk).revision
    services.fill_calendar(china_office, actor=cast.admin, year=2026, country="CN")
    assert BusinessCalendar.objects.get(pk=china_office.pk).revision != before
    assert businesstime.load_calendar(china_office.pk).windows_on(date(2026, 10, 1)) == ()


# --- Validation ---------------------------------------------------------------------------------------------------

def test_inverted_and_overlapping_periods_are_refused_naming_the_field(china_office):
    inverted = WorkingPeriod(calendar=china_office, weekday=5, start_time=time(12), end_time=time(9))
    with pytest.raises(ValidationError) as error:
        inverted.full_clean()
    assert list(error.value.message_dict) == ["end_time"]
    overlapping = WorkingPeriod(calendar=china_office, weekday=0, start_time=time(17), end_time=time(20))
    with pytest.raises(ValidationError) as error:
        overlapping.full_clean()
    assert list(error.value.message_dict) == ["start_time"] and "09:00–18:00" in error.value.messages[0]
    # Touching is not overlapping; another weekday does not matter; 00:00 as the end is midnight.
    WorkingPeriod(calendar=china_office, weekday=0, start_time=time(18), end_time=time(0)).full_clean()
    # The database refuses an inverted period even without validation.
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingPeriod.objects.create(calendar=china_office, weekday=6, start_time=time(12), end_time=time(9))


def test_services_refuse_bad_period_sets(cast, china_office):
    bad = [
        {"weekday": 0, "start_time": time(9), "end_time": time(12)},
        {"weekday": 0, "start_time": time(8), "end_time": time(10)},
        {"weekday": 1, "start_time": time(10), "end_time": time(10)},
        {"weekday": 2, "start_time": time(8), "end_time": time(18)},
        {"weekday": 2, "start_time": time(11), "end_time": time(12)},
        {"weekday": 2, "start_time": time(13), "end_time": time(14)},
    ]
    problems = services.period_errors(bad)
    assert [sorted(row) for row in problems] == [["start_time"], [], ["end_time"], [], ["start_time"], ["start_time"]]
    with pytest.raises(ValidationError) as error:
        services.update_calendar(china_office, actor=cast.admin, periods=bad)
    assert list(error.value.message_dict) == ["periods"]
    assert WorkingPeriod.objects.filter(calendar=china_office).count() == 5  # nothing changed


def test_an_invalid_time_zone_is_refused(cast):
    with pytest.raises(ValidationError) as error:
        services.create_calendar(actor=cast.admin, name="Mars base", time_zone="Mars/Olympus_Mons")
    assert list(error.value.message_dict) == ["time_zone"]
    assert not BusinessCalendar.objects.filter(name="Mars base").exists()


def test_exception_rules(cast, china_office):
    def save(**kwargs):
        kwargs.setdefault("date", date(2025, 12, 6))
        return services.save_exception(china_office, actor=cast.admin, **kwargs)

    with pytest.raises(ValidationError) as error:
        save(kind=ExceptionKind.HOLIDAY, periods=[{"start_time": time(9), "end_time": time(12)}])
    assert "periods" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save(kind=ExceptionKind.HOLIDAY, works_like_weekday=1)
    assert "works_like_weekday" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save(kind=ExceptionKind.WORKING_DAY)
    assert "works_like_weekday" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save(kind=ExceptionKind.WORKING_DAY, periods=[{"start_time": time(9), "end_time": time(12)},
                                                      {"start_time": time(11), "end_time": time(13)}])
    assert "periods" in error.value.message_dict
    saved = save(kind=ExceptionKind.WORKING_DAY, works_like_weekday=4, name="Make-up Saturday")
    with pytest.raises(ValidationError) as error:
        save(kind=ExceptionKind.HOLIDAY)
    assert "date" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarException.objects.create(calendar=china_office, date=saved.date, kind=ExceptionKind.HOLIDAY)
    with pytest.raises(PermissionDenied):
        services.delete_exception(saved, actor=cast.agent)
    services.delete_exception(saved, actor=cast.admin)
    assert not CalendarException.objects.filter(pk=saved.pk).exists()


def test_a_calendar_without_working_time_cannot_be_attached(cast, china_office):
    empty = services.create_calendar(actor=cast.admin, name="Never", time_zone="UTC")
    assert not empty.has_working_time() and china_office.has_working_time()
    with pytest.raises(ValidationError) as error:
        validate_has_working_time(empty, field="resolution_calendar")
    assert list(error.value.message_dict) == ["resolution_calendar"]
    validate_has_working_time(china_office)


def test_the_admin_formset_checks_the_periods_of_a_day_together(china_office):
    def formset(rows):
        data = {"periods-TOTAL_FORMS": str(len(rows)), "periods-INITIAL_FORMS": "0"}
        for index, (weekday, start, end) in enumerate(rows):
            data.update({f"periods-{index}-weekday": weekday, f"periods-{index}-start_time": start,
                         f"periods-{index}-end_time": end})
        from django.forms import inlineformset_factory

        factory = inlineformset_factory(BusinessCalendar, WorkingPeriod, formset=WorkingPeriodFormSet,
                                        fields=["weekday", "start_time", "end_time"])
        return factory(data, instance=BusinessCalendar(name="New", time_zone="UTC"), prefix="periods")

    bad = formset([(0, "09:00", "12:00"), (0, "11:00", "13:00"), (1, "12:00", "09:00")])
    assert not bad.is_valid()
    assert bad.errors[1] == {"start_time": ["Overlaps the period 09:00–12:00."]} and "end_time" in bad.errors[2]
    assert formset([(0, "09:00", "12:00"), (0, "12:00", "00:00"), (1, "09:00", "12:00")]).is_valid()


# --- Revisions and history ----------------------------------------------------------------------------------------

def test_every_change_renews_the_revision_and_is_recorded(cast, china_office):
    import pghistory.models

    revisions = [BusinessCalendar.objects.get(pk=china_office.pk).revision]

    def renewed():
        revisions.append(BusinessCalendar.objects.get(pk=china_office.pk).revision)
        return revisions[-1] != revisions[-2]

    services.update_calendar(china_office, actor=cast.admin, description="Head office")
    assert renewed()
    exception = services.save_exception(china_office, actor=cast.admin, date=date(2025, 12, 20),
                                        kind=ExceptionKind.WORKING_DAY,
                                        periods=[{"start_time": time(9), "end_time": time(12)}])
    assert renewed()
    ExceptionPeriod.objects.filter(exception=exception).update(end_time=time(11))  # a plain update: no signal
    assert not renewed()
    ExceptionPeriod.objects.get(exception=exception).save()
    assert renewed()
    services.update_calendar(china_office, actor=cast.admin, periods=WEEKDAYS_9_TO_18[:3])
    assert renewed()
    events = pghistory.models.Events.objects.tracks(china_office)
    assert events.filter(pgh_label="update").count() == 1  # the description; revisions are not history
    period_events = apps.get_model("sla", "WorkingPeriodEvent").objects.filter(calendar_id=china_office.pk)
    assert period_events.filter(pgh_label="insert").count() == 5 + 3
    with pytest.raises(PermissionDenied):
        services.update_calendar(china_office, actor=cast.agent, description="x")


def test_the_admin_site_edits_calendars_with_their_periods(client, db):
    from tests.factories import UserFactory

    superuser = UserFactory(username="root", organisation=None, is_staff=True, is_superuser=True)
    client.force_login(superuser)
    data = {
        "name": "Admin office", "time_zone": "Europe/Berlin", "description": "",
        "periods-TOTAL_FORMS": "2", "periods-INITIAL_FORMS": "0", "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
        "periods-0-weekday": "0", "periods-0-start_time": "09:00", "periods-0-end_time": "12:00",
        "periods-1-weekday": "0", "periods-1-start_time": "11:00", "periods-1-end_time": "13:00",
    }
    response = client.post("/admin/sla/businesscalendar/add/", data)
    assert response.status_code == 200 and "Overlaps the period 09:00–12:00." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="Admin office").exists()
    data["periods-1-start_time"] = "12:00"
    assert client.post("/admin/sla/businesscalendar/add/", data).status_code == 302
    calendar = BusinessCalendar.objects.get(name="Admin office")
    assert businesstime.load_calendar(calendar.pk).weekly[0] == ((9 * 3600, 13 * 3600),)
    assert client.get(f"/admin/sla/businesscalendar/{calendar.pk}/change/").status_code == 200
    assert client.get("/admin/sla/calendarexception/add/").status_code == 200
