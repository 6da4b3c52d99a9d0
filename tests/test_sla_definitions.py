"""Agreements (SLA / OLA / underpinning contract): the API's permissions, and bad input refused with the field named.

The issue's "Bad input": a calendar with overlapping or inverted ranges, a target of zero or negative, a threshold over
100 %, an escalation to a deleted group, a calendar without working time attached to an agreement.
"""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import Conflict
from sla import definitions
from sla import services as calendar_services
from sla.models import EscalationStep, SLAClock, SLADefinition, SLATarget
from tests.api_mixins import (
    ADMIN,
    AGENT,
    ANONYMOUS,
    MANAGER,
    OWNER,
    SEES,
    EndpointMatrix,
    IncidentEndpoint,
    actor_user,
    api_client,
    make_incident,
    row,
)
from tests.factories import AssignmentGroupFactory
from tests.sla_helpers import make_agreement, make_calendar, office_hours, step, targets

S = SEES
#                     ANONYMOUS OWNER COLLEAGUE ORG_VIEWER OUTSIDER AGENT LEAD MANAGER ADMIN
MATRIX = {
    "list":           row(401,   403,  403,      403,       403,     S,    S,   S,      S),
    "retrieve":       row(401,   403,  403,      403,       403,     200,  200, 200,    200),
    "create":         row(401,   403,  403,      403,       403,     403,  403, 403,    201),
    "partial_update": row(401,   403,  403,      403,       403,     403,  403, 403,    200),
    "delete":         row(401,   403,  403,      403,       403,     403,  403, 403,    204),
    "clocks":         row(401,   403,  403,      403,       403,     200,  200, 200,    200),
}
AGREEMENTS = "/api/v1/sla/agreements/"
AGREEMENT = AGREEMENTS + "{subject.pk}/"
GOOD_TARGETS = [{"priority": 3, "metric": "response", "duration": "01:00:00"},
                {"priority": 3, "metric": "resolution", "duration": "PT48H"}]


def payload(calendar, **changes):
    return {"name": "Gold", "kind": "sla", "calendar": calendar.pk, "targets": GOOD_TARGETS,
            "steps": [{"at_percent": 100, "action": "notify_group_lead"}], **changes}


class AgreementEndpoint(EndpointMatrix):
    def subject(self, cast):
        return make_agreement(cast.admin, make_calendar(cast.admin), steps=[step(90, "notify_assignee")])

    def snapshot(self, subject):
        agreement = SLADefinition.objects.filter(pk=subject.pk).first()
        return agreement and (agreement.name, agreement.updated_at, agreement.targets.count())


class TestList(AgreementEndpoint):
    path = AGREEMENTS
    expect = MATRIX["list"]


class TestRetrieve(AgreementEndpoint):
    path = AGREEMENT
    expect = MATRIX["retrieve"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            data = response.data
            assert data["checkpoints"] == [75, 90, 100] and data["warning_thresholds"] == [75, 90]
            assert [(t["priority"], t["metric"], t["duration"]) for t in data["targets"]] == [
                (3, "resolution", "04:00:00"), (3, "response", "01:00:00")]
            assert data["steps"] == [{"at_percent": 90, "metric": "", "action": "notify_assignee",
                                      "action_display": "Notify the assignee", "target_group": None}]


class TestCreate(AgreementEndpoint):
    method = "post"
    path = AGREEMENTS
    expect = MATRIX["create"]

    def payload(self, cast, subject, user):
        return payload(subject.calendar, name="Gold", services=[cast.service.pk], priorities=[1, 2, 3])

    def verify(self, response, actor, cast, subject):
        created = SLADefinition.objects.filter(name="Gold").first()
        assert (created is not None) == (response.status_code == 201)
        if created:
            assert list(created.services.all()) == [cast.service] and created.priorities == [1, 2, 3]
            assert created.targets.get(metric="resolution").duration == timedelta(hours=48)


class TestPartialUpdate(AgreementEndpoint):
    method = "patch"
    path = AGREEMENT
    expect = MATRIX["partial_update"]

    def payload(self, cast, subject, user):
        return {"name": "Silver", "warning_thresholds": [50, 80]}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["checkpoints"] == [50, 80, 90, 100] and response.data["name"] == "Silver"


class TestDelete(AgreementEndpoint):
    method = "delete"
    path = AGREEMENT
    expect = MATRIX["delete"]


class TestClocksOfAnIncident(IncidentEndpoint):
    path = "/api/v1/sla/clocks/?incident={subject.number}"
    expect = MATRIX["clocks"]

    def subject(self, cast):
        make_agreement(cast.admin, make_calendar(cast.admin, periods=[
            {"weekday": day, "start_time": time(0), "end_time": time(0)} for day in range(7)]))
        return make_incident(cast, impact=3, urgency=3)

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            rows = response.json()["results"]
            assert {r["metric"] for r in rows} == {"response", "resolution"}
            assert {r["incident"] for r in rows} == {subject.number}
            resolution = next(r for r in rows if r["metric"] == "resolution")
            assert resolution["status"] == "running" and resolution["target"] == "04:00:00"
            assert "03:59:" in resolution["business_time_left"] or resolution["business_time_left"] == "04:00:00"


# --- Bad input, through the API (the field is named) and the service ----------------------------------------------

def post(cast, data):
    return api_client(actor_user(cast, ADMIN)).post(AGREEMENTS, data, format="json")


@pytest.fixture
def office(cast):
    return make_calendar(cast.admin)


@pytest.mark.parametrize("duration", ["00:00:00", "-01:00:00", "P400D"])
def test_a_target_of_zero_negative_or_too_long_is_refused(cast, office, duration):
    bad = [GOOD_TARGETS[0], {"priority": 3, "metric": "resolution", "duration": duration}]
    response = post(cast, payload(office, targets=bad))
    assert response.status_code == 400
    assert response.json()["targets"][0] == {} and "duration" in response.json()["targets"][1]
    assert not SLADefinition.objects.exists()


def test_a_repeated_target_and_no_target_at_all_are_refused(cast, office):
    response = post(cast, payload(office, targets=[GOOD_TARGETS[0], GOOD_TARGETS[0]]))
    assert response.status_code == 400 and "priority" in response.json()["targets"][1]
    response = post(cast, payload(office, targets=[]))
    assert response.status_code == 400 and "targets" in response.json()


@pytest.mark.parametrize("thresholds", [[75, 120], [0], [90, 90]])
def test_a_warning_threshold_outside_1_to_99_or_repeated_is_refused(cast, office, thresholds):
    response = post(cast, payload(office, warning_thresholds=thresholds))
    assert response.status_code == 400 and list(response.json()) == ["warning_thresholds"]


def test_an_escalation_step_over_100_percent_is_refused(cast, office):
    response = post(cast, payload(office, steps=[{"at_percent": 90, "action": "notify_assignee"},
                                                 {"at_percent": 150, "action": "notify_managers"}]))
    assert response.status_code == 400
    assert response.json()["steps"][0] == {} and "at_percent" in response.json()["steps"][1]


def test_an_escalation_to_a_deleted_or_inactive_group_is_refused(cast, office):
    gone = AssignmentGroupFactory(name="Dissolved")
    gone_pk = gone.pk
    gone.delete()
    response = post(cast, payload(office, steps=[{"at_percent": 100, "action": "reassign", "target_group": gone_pk}]))
    assert response.status_code == 400 and "target_group" in response.json()["steps"][0]
    retired = AssignmentGroupFactory(name="Retired", is_active=False)
    response = post(cast, payload(office, steps=[{"at_percent": 100, "action": "reassign",
                                                  "target_group": retired.pk}]))
    assert response.status_code == 400 and "no longer active" in response.json()["steps"][0]["target_group"]
    response = post(cast, payload(office, steps=[{"at_percent": 100, "action": "reassign"}]))
    assert response.status_code == 400 and "target_group" in response.json()["steps"][0]


def test_a_calendar_without_working_time_cannot_be_attached(cast):
    empty = make_calendar(cast.admin, name="Nothing", periods=[])
    response = post(cast, payload(empty))
    assert response.status_code == 400 and "no working time" in response.json()["calendar"][0]
    with pytest.raises(ValidationError) as error:
        make_agreement(cast.admin, empty)
    assert "calendar" in error.value.message_dict


def test_a_calendar_with_overlapping_or_inverted_ranges_is_refused_naming_the_field(cast):
    api = api_client(actor_user(cast, ADMIN))
    overlapping = [{"weekday": 0, "start_time": "08:00", "end_time": "12:00"},
                   {"weekday": 0, "start_time": "11:00", "end_time": "14:00"}]
    response = api.post("/api/v1/sla/calendars/", {"name": "Bad", "time_zone": "Asia/Shanghai",
                                                   "periods": overlapping}, format="json")
    assert response.status_code == 400 and "start_time" in response.json()["periods"][1]
    inverted = [{"weekday": 0, "start_time": "18:00", "end_time": "08:00"}]
    response = api.post("/api/v1/sla/calendars/", {"name": "Bad", "time_zone": "Asia/Shanghai",
                                                   "periods": inverted}, format="json")
    assert response.status_code == 400 and "end_time" in response.json()["periods"][0]


def test_a_calendar_in_use_keeps_working_time_and_cannot_be_deleted(cast, office):
    make_agreement(cast.admin, office)
    with pytest.raises(ValidationError) as error:
        calendar_services.update_calendar(office, actor=cast.admin, periods=[])
    assert "periods" in error.value.message_dict
    response = api_client(actor_user(cast, ADMIN)).delete(f"/api/v1/sla/calendars/{office.pk}/")
    assert response.status_code == 409 and office.periods.count() == 5


def test_the_service_names_fields_and_rows_too(cast, office):
    with pytest.raises(ValidationError) as error:
        definitions.create_agreement(
            actor=cast.admin, name="Bad", calendar=office, warning_thresholds=[101],
            targets=targets(P3_response=timedelta(0)), steps=[step(0, "notify_assignee")],
        )
    problems = error.value.message_dict
    assert set(problems) == {"warning_thresholds", "targets", "steps"}
    assert problems["targets"][0].startswith("1. duration:") and problems["steps"][0].startswith("1. at_percent:")


def test_only_administrators_change_agreements(cast, office):
    agreement = make_agreement(cast.admin, office)
    with pytest.raises(Exception) as error:
        definitions.update_agreement(agreement, actor=cast.manager, name="Mine")
    assert error.type.__name__ == "PermissionDenied"


def test_an_agreement_that_ran_clocks_is_kept(cast, office):
    agreement = make_agreement(cast.admin, office)
    make_incident(cast, impact=3, urgency=3)
    assert SLAClock.objects.filter(sla=agreement).count() == 2
    with pytest.raises(Conflict):
        definitions.delete_agreement(agreement, actor=cast.admin)
    response = api_client(actor_user(cast, ADMIN)).delete(f"{AGREEMENTS}{agreement.pk}/")
    assert response.status_code == 409 and SLADefinition.objects.filter(pk=agreement.pk).exists()
    definitions.update_agreement(agreement, actor=cast.admin, is_active=False)
    assert not SLAClock.objects.filter(incident=make_incident(cast, impact=3, urgency=3)).exists()


def test_writing_targets_and_steps_replaces_the_sets_and_keeps_history(cast, office):
    network = AssignmentGroupFactory(name="Second line")
    agreement = make_agreement(cast.admin, office, steps=[step(75, "notify_assignee")])
    response = api_client(actor_user(cast, ADMIN)).patch(f"{AGREEMENTS}{agreement.pk}/", {
        "targets": [{"priority": 1, "metric": "resolution", "duration": "PT4H"}],
        "steps": [{"at_percent": 50, "action": "raise_priority", "metric": "resolution"},
                  {"at_percent": 100, "action": "reassign", "target_group": network.pk}],
    }, format="json")
    assert response.status_code == 200, response.json()
    assert list(SLATarget.objects.filter(sla=agreement).values_list("priority", "metric")) == [(1, "resolution")]
    assert list(EscalationStep.objects.filter(sla=agreement).values_list("at_percent", "action")) == [
        (50, "raise_priority"), (100, "reassign")]
    assert response.json()["checkpoints"] == [50, 75, 90, 100]
    assert SLATarget.pgh_event_model.objects.filter(pgh_obj_id__isnull=False).count() >= 3


def test_end_users_and_anonymous_see_no_clocks(cast, office):
    make_agreement(cast.admin, office)
    incident = make_incident(cast, impact=3, urgency=3)
    for actor in (ANONYMOUS, OWNER):
        response = api_client(actor_user(cast, actor)).get(f"/api/v1/sla/clocks/?incident={incident.number}")
        assert response.status_code in (401, 403)
    for actor in (AGENT, MANAGER):
        response = api_client(actor_user(cast, actor)).get("/api/v1/sla/clocks/", {"breached": "false"})
        assert response.status_code == 200 and response.json()["count"] == 2


def test_office_hours_helper_is_a_five_day_week():
    assert [p["weekday"] for p in office_hours()] == [0, 1, 2, 3, 4]
