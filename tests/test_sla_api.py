"""The business-calendar API: who may do what (one table), and its answers to good and bad input."""

from datetime import date, time

import pytest

from sla import services
from sla.choices import ExceptionKind
from sla.models import BusinessCalendar, CalendarException
from tests.api_mixins import ADMIN, AGENT, MANAGER, OWNER, SEES, EndpointMatrix, actor_user, api_client, row

S = SEES
# End users are refused every calendar endpoint (403): calendars are staff data. Staff read; administrators write.
#                     ANONYMOUS OWNER COLLEAGUE ORG_VIEWER OUTSIDER AGENT LEAD MANAGER ADMIN
MATRIX = {
    "list":           row(401,   403,  403,      403,       403,     S,    S,   S,      S),
    "retrieve":       row(401,   403,  403,      403,       403,     200,  200, 200,    200),
    "create":         row(401,   403,  403,      403,       403,     403,  403, 403,    201),
    "partial_update": row(401,   403,  403,      403,       403,     403,  403, 403,    200),
    "delete":         row(401,   403,  403,      403,       403,     403,  403, 403,    204),
    "fill":           row(401,   403,  403,      403,       403,     403,  403, 403,    200),
    "compute":        row(401,   403,  403,      403,       403,     200,  200, 200,    200),
    "exceptions":     row(401,   403,  403,      403,       403,     200,  200, 200,    200),
    "add_exception":  row(401,   403,  403,      403,       403,     403,  403, 403,    201),
    "edit_exception": row(401,   403,  403,      403,       403,     403,  403, 403,    200),
    "drop_exception": row(401,   403,  403,      403,       403,     403,  403, 403,    204),
}
CALENDARS = "/api/v1/sla/calendars/"
CALENDAR = CALENDARS + "{subject.pk}/"
OFFICE = [{"weekday": day, "start_time": "08:00", "end_time": "18:00"} for day in range(5)]


def make_calendar(cast, name="Shanghai office", periods=None):
    periods = [{"weekday": day, "start_time": time(8), "end_time": time(18)} for day in range(5)] \
        if periods is None else periods
    return services.create_calendar(actor=cast.admin, name=name, time_zone="Asia/Shanghai", periods=periods)


class CalendarEndpoint(EndpointMatrix):
    def subject(self, cast):
        calendar = make_calendar(cast)
        services.save_exception(calendar, actor=cast.admin, date=date(2025, 10, 1), kind=ExceptionKind.HOLIDAY,
                                name="National Day")
        return calendar

    def snapshot(self, subject):
        calendar = BusinessCalendar.objects.filter(pk=subject.pk).first()
        return calendar and (calendar.revision, calendar.exceptions.count())


class TestList(CalendarEndpoint):
    path = CALENDARS
    expect = MATRIX["list"]


class TestRetrieve(CalendarEndpoint):
    path = CALENDAR
    expect = MATRIX["retrieve"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert len(response.data["periods"]) == 5 and response.data["has_working_time"] is True
            assert response.data["periods"][0] == {"weekday": 0, "weekday_display": "Monday",
                                                   "start_time": "08:00:00", "end_time": "18:00:00"}
            assert response.data["exception_count"] == 1


class TestCreate(CalendarEndpoint):
    method = "post"
    path = CALENDARS
    expect = MATRIX["create"]

    def payload(self, cast, subject, user):
        return {"name": "Berlin office", "time_zone": "Europe/Berlin", "periods": OFFICE}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 201:
            assert BusinessCalendar.objects.get(name="Berlin office").periods.count() == 5
        else:
            assert not BusinessCalendar.objects.filter(name="Berlin office").exists()


class TestPartialUpdate(CalendarEndpoint):
    method = "patch"
    path = CALENDAR
    expect = MATRIX["partial_update"]

    def payload(self, cast, subject, user):
        return {"description": "Head office", "periods": OFFICE[:2]}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["description"] == "Head office" and len(response.data["periods"]) == 2


class TestDelete(CalendarEndpoint):
    method = "delete"
    path = CALENDAR
    expect = MATRIX["delete"]


class TestFill(CalendarEndpoint):
    method = "post"
    path = CALENDAR + "fill/"
    expect = MATRIX["fill"]

    def payload(self, cast, subject, user):
        return {"year": 2025, "country": "CN"}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert "2025-10-11" in response.data["working_days"] and "2025-10-08" in response.data["holidays"]
            assert response.data["kept"] == ["2025-10-01"]


class TestCompute(CalendarEndpoint):
    path = CALENDAR + "compute/?start=2025-06-03T16:00:00&duration=PT4H"
    expect = MATRIX["compute"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["due"] == "2025-06-04T10:00:00+08:00"


class TestExceptions(CalendarEndpoint):
    path = CALENDAR + "exceptions/"
    expect = MATRIX["exceptions"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert [entry["date"] for entry in response.data["results"]] == ["2025-10-01"]


class TestAddException(CalendarEndpoint):
    method = "post"
    path = CALENDAR + "exceptions/"
    expect = MATRIX["add_exception"]

    def payload(self, cast, subject, user):
        return {"date": "2025-10-11", "kind": "working_day", "name": "Make-up Saturday", "works_like_weekday": 0}


class ExceptionEndpoint(CalendarEndpoint):
    def subject(self, cast):
        calendar = super().subject(cast)
        calendar.exception = CalendarException.objects.get(calendar=calendar)
        return calendar


class TestEditException(ExceptionEndpoint):
    method = "patch"
    path = CALENDAR + "exceptions/{subject.exception.pk}/"
    expect = MATRIX["edit_exception"]

    def payload(self, cast, subject, user):
        return {"kind": "working_day", "periods": [{"start_time": "09:00", "end_time": "12:00"}]}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["kind"] == "working_day" and response.data["name"] == "National Day"
            assert response.data["periods"] == [{"start_time": "09:00:00", "end_time": "12:00:00"}]


class TestDropException(ExceptionEndpoint):
    method = "delete"
    path = CALENDAR + "exceptions/{subject.exception.pk}/"
    expect = MATRIX["drop_exception"]


# --- Behaviour --------------------------------------------------------------------------------------------------

@pytest.fixture
def api_as(cast):
    """api_as(actor) → an API client authenticated as that member of the cast."""
    return lambda actor: api_client(actor_user(cast, actor))


@pytest.fixture
def admin_api(api_as):
    return api_as(ADMIN)


def test_bad_periods_are_refused_naming_the_row_and_field(admin_api, db):
    periods = [*OFFICE, {"weekday": 0, "start_time": "17:00", "end_time": "19:00"},
               {"weekday": 5, "start_time": "12:00", "end_time": "09:00"}]
    response = admin_api.post(CALENDARS, {"name": "Bad", "time_zone": "Asia/Shanghai", "periods": periods},
                              format="json")
    assert response.status_code == 400
    rows = response.json()["periods"]
    assert rows[5] == {"start_time": "Monday: Overlaps the period 08:00–18:00."}
    assert list(rows[6]) == ["end_time"] and all(not rows[index] for index in range(5))
    assert not BusinessCalendar.objects.filter(name="Bad").exists()


def test_an_invalid_time_zone_and_unknown_fields_are_refused(admin_api, db):
    response = admin_api.post(CALENDARS, {"name": "Mars", "time_zone": "Mars/Base"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["time_zone"]
    response = admin_api.post(CALENDARS, {"name": "Mars", "time_zone": "UTC", "revision": "x"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["revision"]


def test_exception_input_is_checked(cast, admin_api):
    calendar = make_calendar(cast)
    url = f"{CALENDARS}{calendar.pk}/exceptions/"
    response = admin_api.post(url, {"date": "2025-10-11", "kind": "working_day"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["works_like_weekday"]
    response = admin_api.post(url, {"date": "2025-10-11", "kind": "working_day", "periods": [
        {"start_time": "09:00", "end_time": "12:00"}, {"start_time": "10:00", "end_time": "11:00"}]}, format="json")
    assert response.status_code == 400 and response.json()["periods"][1] == {
        "start_time": "Overlaps the period 09:00–12:00."}
    assert admin_api.post(url, {"date": "2025-10-01", "kind": "holiday"}, format="json").status_code == 201
    response = admin_api.post(url, {"date": "2025-10-01", "kind": "holiday"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["date"]
    assert admin_api.get(f"{CALENDARS}987654/exceptions/").status_code == 404
    other = make_calendar(cast, name="Other")
    exception = CalendarException.objects.get(calendar=calendar)
    assert admin_api.get(f"{CALENDARS}{other.pk}/exceptions/{exception.pk}/").status_code == 404
    assert admin_api.get(url + "?year=2025&kind=holiday").json()["count"] == 1
    assert admin_api.get(url + "?year=2024").json()["count"] == 0


def test_compute_answers_due_times_and_business_durations(cast, api_as):
    calendar = make_calendar(cast)
    api = api_as(AGENT)
    url = f"{CALENDARS}{calendar.pk}/compute/"
    # Friday 16:00 + 4 h → Monday 10:00; an explicit offset is honoured, the answer is in the calendar's zone.
    assert api.get(url, {"start": "2025-06-06T08:00:00Z", "duration": "04:00:00"}).json()["due"] == \
        "2025-06-09T10:00:00+08:00"
    body = api.get(url, {"start": "2025-06-06T16:00:00", "end": "2025-06-09T10:00:00"}).json()
    assert body["business_duration"] == "04:00:00" and body["business_seconds"] == 14400.0 and body["due"] is None
    assert list(api.get(url, {"start": "2025-06-06T16:00:00"}).json()) == ["duration"]
    assert list(api.get(url, {"start": "2025-06-06T16:00:00", "duration": "-01:00:00"}).json()) == ["duration"]
    assert list(api.get(url, {"start": "2025-06-06T16:00:00", "end": "2025-06-05T16:00:00"}).json()) == ["end"]
    assert list(api.get(url, {"start": "yesterday", "duration": "PT1H"}).json()) == ["start"]
    empty = make_calendar(cast, name="Never", periods=[])
    response = api.get(f"{CALENDARS}{empty.pk}/compute/", {"start": "2025-06-06T16:00:00", "duration": "PT1H"})
    assert response.status_code == 400 and "no working time" in response.json()["duration"][0]


def test_listing_calendars_costs_a_constant_number_of_queries(cast, api_as, django_assert_max_num_queries):
    for index in range(6):
        make_calendar(cast, name=f"Calendar {index}")
    api = api_as(AGENT)
    api.get(CALENDARS)  # warm up: token and role look-ups
    with django_assert_max_num_queries(6):
        body = api.get(CALENDARS).json()
    assert body["count"] == 6 and all(len(entry["periods"]) == 5 for entry in body["results"])


def test_fill_input_is_checked(cast, admin_api):
    calendar = make_calendar(cast)
    url = f"{CALENDARS}{calendar.pk}/fill/"
    assert list(admin_api.post(url, {"year": 2025, "country": "XX"}, format="json").json()) == ["country"]
    assert list(admin_api.post(url, {"year": 1800}, format="json").json()) == ["year"]
    assert list(admin_api.post(url, {"year": 2025, "country": "DE", "subdiv": "ZZ"}, format="json").json()) == \
        ["subdiv"]
    response = admin_api.post(url, {"year": 2025, "works_like_weekday": 4}, format="json")
    assert response.status_code == 200
    assert CalendarException.objects.get(calendar=calendar, date=date(2025, 9, 28)).works_like_weekday == 4


def test_a_manager_reads_but_cannot_change(cast, api_as):
    calendar = make_calendar(cast)
    api = api_as(MANAGER)
    assert api.get(f"{CALENDARS}{calendar.pk}/").status_code == 200
    assert api.patch(f"{CALENDARS}{calendar.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api_as(OWNER).get(f"{CALENDARS}{calendar.pk}/compute/").status_code == 403


def test_years_and_instants_the_date_types_cannot_hold_are_refused_naming_the_field(cast, admin_api):
    calendar = make_calendar(cast)
    for year in ("0", "99999", "1e10"):
        response = admin_api.get(f"{CALENDARS}{calendar.pk}/exceptions/", {"year": year})
        assert response.status_code == 400 and list(response.json()) == ["year"]
    url = f"{CALENDARS}{calendar.pk}/compute/"
    for start in ("0001-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00"):
        response = admin_api.get(url, {"start": start, "duration": "PT4H"})
        assert response.status_code == 400 and list(response.json()) == ["start"], start
    # A span is computed day by day: more than ten years (the longest duration) is refused rather than ground out.
    response = admin_api.get(url, {"start": "2025-01-01T00:00:00", "end": "9999-12-31T00:00:00"})
    assert response.status_code == 400 and list(response.json()) == ["end"]
