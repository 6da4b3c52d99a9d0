"""The desk pages where administrators manage business calendars and agreements (team leads and managers read
them): what the pages save through the services, errors next to the field or row they name with nothing saved,
filling a year of Chinese holidays, stale edits, and who may do what."""

from datetime import date, time, timedelta

import pytest
from django.urls import reverse

from core.models import AssignmentGroup
from sla import services as calendar_services
from sla.choices import EscalationAction, ExceptionKind, Metric
from sla.models import BusinessCalendar, CalendarException, EscalationStep, SLADefinition, SLATarget
from tests.factories import AssignmentGroupFactory
from tests.sla_helpers import make_agreement, make_calendar, report

pytestmark = pytest.mark.django_db



def rows(prefix, items, blank=0):
    """A formset's POST data: `items` as rows (field → value), then `blank` empty rows the page also offers."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(items) + blank), f"{prefix}-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        data.update({f"{prefix}-{index}-{name}": value for name, value in item.items()})
    return data


def period(weekday, start, end):
    return {"weekday": str(weekday), "start_time": start, "end_time": end}


def calendar_form(name="Shanghai desk", periods=(), **extra):
    return {"name": name, "time_zone": "Asia/Shanghai", "description": "", **rows("periods", list(periods), blank=2),
            **extra}


def agreement_form(calendar, *, name="Gold", targets=None, steps=(), **extra):
    data = {"name": name, "kind": "sla", "party": "Acme Ltd", "description": "", "is_active": "on",
            "record_kind": "incident", "calendar": str(calendar.pk), "warning_thresholds": "75, 90",
            "reopen_policy": "restart", **rows("steps", list(steps), blank=1)}
    for (priority, metric), text in (targets or {(3, "response"): "1h", (3, "resolution"): "8h"}).items():
        data[f"target_{priority}_{metric}"] = text
    data.update(extra)
    return data


def error_of(page, field):
    """The text of the first error shown for `field` (its HTML name), or None."""
    marker = f'data-field="{field}">'
    return page.split(marker, 1)[1].split("<", 1)[0] if marker in page else None


# --- Calendars ----------------------------------------------------------------------------------------------------

def test_a_calendar_with_two_ranges_on_monday_is_created_and_listed(cast, as_user):
    client = as_user(cast.admin)
    assert "Monday" in client.get(reverse("sla-desk:calendar-create")).content.decode()
    response = client.post(reverse("sla-desk:calendar-create"), calendar_form(periods=[
        period(0, "09:00", "12:00"), period(0, "13:00", "18:00"), period(5, "10:00", "00:00")]))
    calendar = BusinessCalendar.objects.get(name="Shanghai desk")
    assert response.status_code == 302 and response.url == reverse("sla-desk:calendar", args=[calendar.pk])
    assert list(calendar.periods.order_by("weekday", "start_time").values_list("weekday", "start_time", "end_time")) \
        == [(0, time(9), time(12)), (0, time(13), time(18)), (5, time(10), time(0))]
    page = client.get(reverse("sla-desk:calendars")).content.decode()
    assert "Shanghai desk" in page and "Asia/Shanghai" in page
    assert "Monday: 09:00–12:00, 13:00–18:00" in page and "Saturday: 10:00–24:00" in page and "22 h per week" in page
    page = client.get(response.url).content.decode()
    assert "09:00–12:00" in page and "13:00–18:00" in page and 'data-testid="edit-calendar"' in page


def test_overlapping_and_inverted_ranges_are_refused_on_their_row_and_nothing_is_saved(cast, as_user):
    client = as_user(cast.admin)
    response = client.post(reverse("sla-desk:calendar-create"), calendar_form(periods=[
        period(0, "08:00", "12:00"), period(0, "11:00", "14:00"), period(1, "18:00", "08:00")]))
    page = response.content.decode()
    assert response.status_code == 400
    assert error_of(page, "periods-1-start_time") == "Monday: Overlaps the period 08:00–12:00."
    assert error_of(page, "periods-2-end_time") == "The end (08:00) must be after the start (18:00)."
    assert error_of(page, "periods-0-start_time") is None
    assert not BusinessCalendar.objects.filter(name="Shanghai desk").exists()

    # Editing: the same check, and the calendar keeps its periods; a half-filled row is refused too.
    calendar = make_calendar(cast.admin)
    url = reverse("sla-desk:calendar-edit", args=[calendar.pk])
    response = client.post(url, calendar_form(name="Renamed", periods=[
        period(2, "09:00", "17:00"), period(2, "16:00", "18:00"), {"weekday": "3", "start_time": "09:00"}]))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Overlaps the period 09:00–17:00" in error_of(page, "periods-1-start_time")
    assert error_of(page, "periods-2-end_time") == "This field is required."
    calendar.refresh_from_db()
    assert calendar.name == "Office" and calendar.periods.count() == 5


def test_a_bad_time_zone_and_a_taken_name_are_refused_on_their_fields(cast, as_user):
    make_calendar(cast.admin, name="Office")
    response = as_user(cast.admin).post(reverse("sla-desk:calendar-create"), {
        **calendar_form(name="Office", periods=[period(0, "09:00", "18:00")]), "time_zone": "Mars/Olympus"})
    page = response.content.decode()
    assert response.status_code == 400 and "Mars/Olympus" in error_of(page, "time_zone")
    assert error_of(page, "name") and BusinessCalendar.objects.count() == 1


def test_editing_a_calendar_replaces_its_periods_and_a_stale_edit_answers_409(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    url = reverse("sla-desk:calendar-edit", args=[calendar.pk])
    page = client.get(url).content.decode()
    stamp = page.split('name="stamp" value="', 1)[1].split('"', 1)[0]
    form = calendar_form(name="Office hours", periods=[period(0, "08:30", "17:30")], stamp=stamp)
    assert client.post(url, form).status_code == 302
    calendar.refresh_from_db()
    assert calendar.name == "Office hours"
    assert list(calendar.periods.values_list("weekday", "start_time")) == [(0, time(8, 30))]
    response = client.post(url, {**form, "name": "Late edit"})
    assert response.status_code == 409 and "Someone else changed" in response.content.decode()
    assert BusinessCalendar.objects.get(pk=calendar.pk).name == "Office hours"


def test_filling_2025_for_china_lists_the_national_day_holidays_and_the_make_up_days(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    url = reverse("sla-desk:calendar-fill", args=[calendar.pk])
    cast.admin.language = "zh-hans"  # the library names holidays in the language of the person filling (stored)
    cast.admin.save(update_fields=["language"])
    response = client.post(url, {"year": "2025", "country": "CN"})
    assert response.status_code == 302 and response.url.endswith("?year=2025")
    assert CalendarException.objects.get(calendar=calendar, date=date(2025, 10, 1)).name == "国庆节"
    cast.admin.language = "en"
    cast.admin.save(update_fields=["language"])
    page = client.get(response.url).content.decode()
    national_day = [f'data-date="2025-10-0{day}"' for day in (1, 2, 3)]
    # ... and the page names them in the reader's language (here English), from the library again
    assert all(row in page for row in national_day) and page.count("National Day") >= 3 and "国庆节" not in page
    make_up = page.split('data-date="2025-09-28"', 1)[1].split("</tr>", 1)[0]  # a Sunday worked before the week
    assert "Extra working day" in make_up and "Works like Monday" in make_up
    assert CalendarException.objects.get(calendar=calendar, date=date(2025, 9, 28)).kind == ExceptionKind.WORKING_DAY
    assert 'data-date="2025-10-11"' in page  # the make-up Saturday after it
    # Unknown country: the error is on the field; nothing is added.
    before = CalendarException.objects.count()
    response = client.post(url, {"year": "2026", "country": "XX"})
    assert response.status_code == 400 and "“XX”" in error_of(response.content.decode(), "country")
    assert CalendarException.objects.count() == before


def test_exceptions_are_added_edited_and_removed_with_errors_on_their_fields(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    add = reverse("sla-desk:exception-create", args=[calendar.pk])
    response = client.post(add, {"date": "2025-12-31", "kind": "holiday", "name": "Eve", "works_like_weekday": "0",
                                 **rows("periods", [])})
    assert response.status_code == 400 and "no working time to copy" in error_of(response.content.decode(),
                                                                                   "works_like_weekday")
    response = client.post(add, {"date": "2025-12-27", "kind": "working_day", "name": "Stocktake",
                                 **rows("periods", [{"start_time": "09:00", "end_time": "12:00"},
                                                    {"start_time": "11:00", "end_time": "13:00"}])})
    assert response.status_code == 400 and "Overlaps" in error_of(response.content.decode(), "periods-1-start_time")
    assert not CalendarException.objects.exists()
    response = client.post(add, {"date": "2025-12-27", "kind": "working_day", "name": "Stocktake",
                                 **rows("periods", [{"start_time": "09:00", "end_time": "12:00"}], blank=1)})
    stocktake = CalendarException.objects.get(calendar=calendar, date=date(2025, 12, 27))
    assert response.status_code == 302 and list(stocktake.periods.values_list("start_time", "end_time")) == [
        (time(9), time(12))]
    assert "09:00–12:00" in client.get(response.url).content.decode()
    response = client.post(add, {"date": "2025-12-27", "kind": "holiday", **rows("periods", [])})
    assert response.status_code == 400 and "already has an exception" in error_of(response.content.decode(), "date")
    edit = reverse("sla-desk:exception-edit", args=[calendar.pk, stocktake.pk])
    assert client.post(edit, {"date": "2025-12-27", "kind": "working_day", "name": "Stocktake",
                              "works_like_weekday": "4", **rows("periods", [])}).status_code == 302
    stocktake.refresh_from_db()
    assert stocktake.works_like_weekday == 4 and not stocktake.periods.exists()
    response = client.post(reverse("sla-desk:exception-delete", args=[calendar.pk, stocktake.pk]))
    assert response.status_code == 302 and not CalendarException.objects.exists()


def test_a_calendar_used_by_an_agreement_keeps_working_time_and_cannot_be_deleted(cast, as_user):
    calendar = make_calendar(cast.admin)
    make_agreement(cast.admin, calendar, name="Gold")
    client = as_user(cast.admin)
    url = reverse("sla-desk:calendar-delete", args=[calendar.pk])
    assert "Gold" in client.get(url).content.decode()
    response = client.post(url)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Service level agreements use this calendar; give them another calendar first." in page
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists() and calendar.periods.count() == 5
    response = client.post(reverse("sla-desk:calendar-edit", args=[calendar.pk]), calendar_form(name="Office"))
    assert response.status_code == 400 and "must keep some working time" in error_of(response.content.decode(),
                                                                                      "periods")
    assert calendar.periods.count() == 5
    unused = make_calendar(cast.admin, name="Spare")
    response = client.post(reverse("sla-desk:calendar-delete", args=[unused.pk]))
    assert response.status_code == 302 and not BusinessCalendar.objects.filter(pk=unused.pk).exists()


# --- Agreements ---------------------------------------------------------------------------------------------------

def test_an_agreement_with_targets_and_steps_is_created_through_the_page(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    page = client.get(reverse("sla-desk:agreement-create")).content.decode()
    for metric in Metric:  # one column per metric, one row per priority
        assert str(metric.label) in page
    assert 'name="target_1_resolution"' in page and 'name="target_4_response"' in page
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(
        calendar, targets={(1, "response"): "15m", (1, "resolution"): "4h", (3, "resolution"): "2d",
                           (2, "response"): "1:30"},
        steps=[{"at_percent": "80", "action": "notify_group_lead"},
               {"at_percent": "100", "metric": "resolution", "action": "reassign",
                "target_group": cast.other_group.pk}],
        priorities=["1", "2", "3"], services=[cast.service.pk], organisations=[cast.org.pk], kind="ola"))
    agreement = SLADefinition.objects.get(name="Gold")
    assert response.status_code == 302 and response.url == reverse("sla-desk:agreement", args=[agreement.pk])
    assert (agreement.kind, agreement.party, agreement.priorities, agreement.warning_thresholds) == (
        "ola", "Acme Ltd", [1, 2, 3], [75, 90])
    assert list(agreement.services.all()) == [cast.service] and list(agreement.organisations.all()) == [cast.org]
    assert {(t.priority, t.metric): t.duration for t in SLATarget.objects.filter(sla=agreement)} == {
        (1, "response"): timedelta(minutes=15), (1, "resolution"): timedelta(hours=4),
        (3, "resolution"): timedelta(hours=48), (2, "response"): timedelta(hours=1, minutes=30)}
    assert list(agreement.steps.values_list("at_percent", "metric", "action", "target_group")) == [
        (80, "", EscalationAction.NOTIFY_GROUP_LEAD, None),
        (100, "resolution", EscalationAction.REASSIGN, cast.other_group.pk)]
    assert agreement.checkpoints == [75, 80, 90, 100]
    page = client.get(response.url).content.decode()
    assert "15m" in page and "1h 30m" in page and "48h" in page and "Network" in page
    page = client.get(reverse("sla-desk:agreements")).content.decode()
    assert "Gold" in page and "OLA" in page and "E-mail" in page and "Office" in page


def test_zero_targets_and_thresholds_over_100_are_refused_naming_the_field(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(
        calendar, targets={(3, "response"): "0", (3, "resolution"): "-2h", (2, "response"): "soon"},
        warning_thresholds="75, 120", steps=[{"at_percent": "120", "action": "notify_managers"}]))
    page = response.content.decode()
    assert response.status_code == 400
    assert error_of(page, "target_2_response").startswith("Enter a duration")
    assert not SLADefinition.objects.exists()
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(
        calendar, targets={(3, "response"): "0", (3, "resolution"): "-2h"},
        warning_thresholds="75, 120", steps=[{"at_percent": "120", "action": "notify_managers"}]))
    page = response.content.decode()
    assert response.status_code == 400
    assert error_of(page, "target_3_response") == "A target must be longer than zero."
    assert error_of(page, "target_3_resolution") == "A target must be longer than zero."
    assert "120 is not" in error_of(page, "warning_thresholds")
    assert "120 is not" in error_of(page, "steps-0-at_percent")
    response = client.post(reverse("sla-desk:agreement-create"),
                           agreement_form(calendar, targets={(3, "response"): ""}))
    assert response.status_code == 400 and "Give at least one target" in error_of(response.content.decode(), "targets")
    assert not SLADefinition.objects.exists() and not SLATarget.objects.exists()


def test_an_escalation_to_an_inactive_or_deleted_group_is_refused(cast, as_user):
    calendar = make_calendar(cast.admin)
    retired = AssignmentGroupFactory(name="Retired", is_active=False)
    gone = AssignmentGroupFactory(name="Dissolved")
    gone_pk = gone.pk
    gone.delete()
    client = as_user(cast.admin)
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(calendar, steps=[
        {"at_percent": "100", "action": "reassign", "target_group": retired.pk},
        {"at_percent": "90", "action": "reassign"},
        {"at_percent": "95", "action": "notify_assignee", "target_group": cast.group.pk}]))
    page = response.content.decode()
    assert response.status_code == 400
    assert error_of(page, "steps-0-target_group") == "The group “Retired” is no longer active."
    assert error_of(page, "steps-1-target_group") == "Choose the group to reassign to."
    assert error_of(page, "steps-2-target_group") == "Only a reassignment step takes a group."
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(calendar, steps=[
        {"at_percent": "100", "action": "reassign", "target_group": gone_pk}]))
    assert response.status_code == 400 and "valid choice" in error_of(response.content.decode(), "steps-0-target_group")
    assert not SLADefinition.objects.exists() and not EscalationStep.objects.exists()


def test_a_calendar_without_working_time_cannot_be_attached(cast, as_user):
    empty = make_calendar(cast.admin, name="Nothing", periods=[])
    response = as_user(cast.admin).post(reverse("sla-desk:agreement-create"), agreement_form(empty))
    assert response.status_code == 400 and "no working time" in error_of(response.content.decode(), "calendar")
    assert not SLADefinition.objects.exists()


def test_editing_an_agreement_replaces_targets_and_steps_and_a_stale_edit_answers_409(cast, as_user):
    calendar = make_calendar(cast.admin)
    agreement = make_agreement(cast.admin, calendar, name="Gold")
    client = as_user(cast.admin)
    url = reverse("sla-desk:agreement-edit", args=[agreement.pk])
    page = client.get(url).content.decode()
    assert 'value="1h"' in page and 'value="4h"' in page and 'value="75, 90"' in page
    form = agreement_form(calendar, name="Gold", targets={(1, "response"): "10m"}, revision=str(agreement.revision),
                          steps=[{"at_percent": "50", "action": "notify_assignee"}], warning_thresholds="")
    form.pop("is_active")
    assert client.post(url, form).status_code == 302
    agreement.refresh_from_db()
    assert not agreement.is_active and agreement.warning_thresholds == [] and agreement.checkpoints == [50, 100]
    assert list(agreement.targets.values_list("priority", "metric", "duration")) == [
        (1, "response", timedelta(minutes=10))]
    response = client.post(url, {**form, "name": "Platinum"})
    assert response.status_code == 409 and "Someone else changed" in response.content.decode()
    assert SLADefinition.objects.get(pk=agreement.pk).name == "Gold"


def test_deleting_agreements(cast, as_user):
    calendar = make_calendar(cast.admin)
    used = make_agreement(cast.admin, calendar, name="Used")
    report(cast)  # a P3 incident: the agreement starts clocks on it
    client = as_user(cast.admin)
    response = client.post(reverse("sla-desk:agreement-delete", args=[used.pk]))
    assert response.status_code == 409 and "deactivate it instead" in response.content.decode()
    assert SLADefinition.objects.filter(pk=used.pk).exists()
    spare = make_agreement(cast.admin, calendar, name="Spare", priorities=[1])
    assert client.get(reverse("sla-desk:agreement-delete", args=[spare.pk])).status_code == 200
    response = client.post(reverse("sla-desk:agreement-delete", args=[spare.pk]))
    assert response.status_code == 302 and not SLADefinition.objects.filter(pk=spare.pk).exists()


# --- Who may do what ----------------------------------------------------------------------------------------------

def test_administrators_edit_leads_and_managers_read_others_are_refused(cast, client, as_user):
    calendar = make_calendar(cast.admin)
    agreement = make_agreement(cast.admin, calendar, name="Gold")
    exception = CalendarException.objects.create(calendar=calendar, date=date(2025, 5, 1), name="Labour Day")
    pages = [reverse("sla-desk:calendars"), reverse("sla-desk:calendar", args=[calendar.pk]),
             reverse("sla-desk:agreements"), reverse("sla-desk:agreement", args=[agreement.pk])]
    forms = [reverse("sla-desk:calendar-create"), reverse("sla-desk:calendar-edit", args=[calendar.pk]),
             reverse("sla-desk:calendar-delete", args=[calendar.pk]),
             reverse("sla-desk:exception-create", args=[calendar.pk]),
             reverse("sla-desk:exception-edit", args=[calendar.pk, exception.pk]),
             reverse("sla-desk:agreement-create"), reverse("sla-desk:agreement-edit", args=[agreement.pk]),
             reverse("sla-desk:agreement-delete", args=[agreement.pk])]
    post_only = [reverse("sla-desk:calendar-fill", args=[calendar.pk]),
                 reverse("sla-desk:exception-delete", args=[calendar.pk, exception.pk])]
    writes = forms + post_only

    for url in pages + writes:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    admin = as_user(cast.admin)
    for url in pages:
        page = admin.get(url).content.decode()
        assert "New calendar" in page or "New agreement" in page or "Edit" in page, url
    for url in forms:
        assert admin.get(url).status_code == 200, url
    for url in post_only:
        assert admin.get(url).status_code == 405, url
    for user in (cast.lead, cast.manager):
        reader = as_user(user)
        for url in pages:
            response = reader.get(url)
            page = response.content.decode()
            assert response.status_code == 200, url
            assert "New calendar" not in page and "New agreement" not in page and ">Edit<" not in page, url
            assert "fill-form" not in page and "Delete" not in page, url
        assert "Agreements and calendars" in reader.get(reverse("sla-dashboard:dashboard")).content.decode()
        for url in writes:
            assert reader.get(url).status_code in (403, 405), url
            assert reader.post(url, {"name": "Mine"}).status_code == 403, url
    for user in (cast.agent, cast.end_user):
        outsider = as_user(user)
        for url in pages + writes:
            assert outsider.get(url).status_code in (403, 405), url
        assert outsider.post(reverse("sla-desk:calendar-create"), calendar_form()).status_code == 403
        assert "Agreements and calendars" not in outsider.get(reverse("home"), follow=True).content.decode()
    assert BusinessCalendar.objects.count() == 1 and SLADefinition.objects.get().name == "Gold"
    assert CalendarException.objects.filter(pk=exception.pk).exists()
    assert AssignmentGroup.objects.count() == 2  # nothing else was created on the way


def test_pages_cost_a_bounded_number_of_queries(cast, as_user, django_assert_max_num_queries):
    calendar = make_calendar(cast.admin)
    calendar_services.fill_calendar(calendar, actor=cast.admin, year=2025)
    agreements = [make_agreement(cast.admin, make_calendar(cast.admin, name=f"Calendar {index}"),
                                 name=f"Agreement {index}", services=[cast.service], organisations=[cast.org],
                                 steps=[{"at_percent": 100, "action": "reassign", "target_group": cast.group}])
                  for index in range(4)]
    client = as_user(cast.manager)
    client.get(reverse("sla-desk:calendars"))  # the session and the role cache
    for url in (reverse("sla-desk:calendars"), reverse("sla-desk:agreements"),
                reverse("sla-desk:calendar", args=[calendar.pk]) + "?year=2025",
                reverse("sla-desk:agreement", args=[agreements[0].pk])):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200
    client = as_user(cast.admin)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("sla-desk:agreement-edit", args=[agreements[0].pk])).status_code == 200


def test_the_pages_speak_chinese(cast, as_user):
    calendar = make_calendar(cast.admin)
    agreement = make_agreement(cast.admin, calendar, name="Gold")
    CalendarException.objects.create(calendar=calendar, date=date(2025, 10, 1), name="国庆节")
    cast.admin.language = "zh-hans"
    cast.admin.save(update_fields=["language"])
    client = as_user(cast.admin)
    for url in (reverse("sla-desk:calendars"), reverse("sla-desk:calendar", args=[calendar.pk]) + "?year=2025",
                reverse("sla-desk:calendar-edit", args=[calendar.pk]), reverse("sla-desk:agreements"),
                reverse("sla-desk:agreement", args=[agreement.pk]),
                reverse("sla-desk:agreement-edit", args=[agreement.pk])):
        response = client.get(url)
        assert response.status_code == 200 and "工作日历" in response.content.decode(), url
    page = client.get(reverse("sla-desk:calendar", args=[calendar.pk]) + "?year=2025").content.decode()
    assert "节假日（不工作）" in page and "国庆节" in page


def test_odd_input_is_a_form_error_or_ignored_never_a_500(cast, as_user):
    calendar = make_calendar(cast.admin)
    client = as_user(cast.admin)
    assert client.get(reverse("sla-desk:calendar", args=[calendar.pk]) + "?year=²").status_code == 200
    response = client.post(reverse("sla-desk:calendar-create"),
                           calendar_form(name="Night\x00shift", periods=[period(0, "09:00", "12:00")]))
    assert response.status_code == 400 and error_of(response.content.decode(), "name")
    response = client.post(reverse("sla-desk:agreement-create"), agreement_form(calendar, party="Acme\x00"))
    assert response.status_code == 400 and error_of(response.content.decode(), "party")
    assert not SLADefinition.objects.exists() and BusinessCalendar.objects.count() == 1
