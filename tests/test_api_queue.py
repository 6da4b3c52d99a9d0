"""The queue's API: saved views, bulk changes (a result per row, a stale row 409 and the others changed), and the
requester picker's people search. Permission matrices as in tests/api_mixins.py."""

import pytest

from core.models import SavedView
from core.saved_views import create_saved_view
from incidents import services
from incidents.choices import Action, Impact, Priority, State, Urgency
from incidents.models import Incident
from tests.api_mixins import (
    HIDDEN,
    SEES,
    EndpointMatrix,
    IncidentEndpoint,
    actor_user,
    api_client,
    make_incident,
    row,
)

S, H = SEES, HIDDEN
#                      ANONYMOUS OWNER COLLEAGUE ORG_VIEWER OUTSIDER AGENT LEAD MANAGER ADMIN
MATRIX = {
    "views_list":     row(401,   H,    H,        H,         H,       S,    S,   H,      H),
    "views_retrieve": row(401,   404,  404,      404,       404,     200,  200, 404,    404),
    "views_create":   row(401,   403,  403,      403,       403,     201,  201, 201,    201),
    "views_delete":   row(401,   404,  404,      404,       404,     204,  403, 404,    404),
    "bulk":           row(401,   200,  200,      200,       200,     200,  200, 200,    200),
}
# The status of the subject's row in a bulk "take": end users who see it may not take it; others do not see it.
BULK_ROW = row(None, 403, 404, 403, 404, 200, 200, 400, 400)  # managers and admins: in no group to take it into


@pytest.fixture
def api(cast):
    """api(actor) → an API client signed in (with a token) as that member of the cast."""
    return lambda actor: api_client(actor_user(cast, actor))


class SavedViewEndpoint(EndpointMatrix):
    """The subject: the agent's view of the queue, shared with the cast's group (agent, agent2, lead)."""

    def subject(self, cast):
        return create_saved_view(owner=cast.agent, list_key="incidents", name="Urgent", query="priority=1",
                                 columns=["number", "title"], sort="-created", shared_with=cast.group)

    def snapshot(self, subject):
        return list(SavedView.objects.values_list("pk", "name", "query"))


class TestSavedViewList(SavedViewEndpoint):
    path = "/api/v1/saved-views/?list_key=incidents"
    expect = MATRIX["views_list"]


class TestSavedViewRetrieve(SavedViewEndpoint):
    path = "/api/v1/saved-views/{subject.pk}/"
    expect = MATRIX["views_retrieve"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["query"] == "priority=1" and response.data["columns"] == ["number", "title"]
            assert response.data["shared_with"] == cast.group.pk and response.data["owner"]["username"] == "agent"


class TestSavedViewCreate(SavedViewEndpoint):
    method = "post"
    path = "/api/v1/saved-views/"
    expect = MATRIX["views_create"]

    def subject(self, cast):
        return None

    def payload(self, cast, subject, user):
        return {"list_key": "incidents", "name": "Mine, by priority", "query": "mine=true&state=&page=2",
                "sort": "priority", "columns": ["number", "title", "priority"]}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 201:
            view = SavedView.objects.get(pk=response.data["id"])
            assert view.owner.username == actor and view.query == "mine=true"  # blank and paging dropped


class TestSavedViewDelete(SavedViewEndpoint):
    method = "delete"
    path = "/api/v1/saved-views/{subject.pk}/"
    expect = MATRIX["views_delete"]

    def verify(self, response, actor, cast, subject):
        assert SavedView.objects.filter(pk=subject.pk).exists() == (response.status_code != 204)


class TestBulkPermissions(IncidentEndpoint):
    method = "post"
    path = "/api/v1/incidents/bulk/"
    expect = MATRIX["bulk"]

    def payload(self, cast, subject, user):
        return {"action": "take", "incidents": [{"number": subject.number, "version": subject.version}]}

    def snapshot(self, subject):
        return None  # a 200 may leave the row unchanged; checked per row below

    def verify(self, response, actor, cast, subject):
        if response.status_code != 200:
            return
        [result] = response.data["results"]
        assert result["status"] == BULK_ROW[actor], result
        incident = Incident.objects.get(pk=subject.pk)
        assert (incident.state == State.IN_PROGRESS) == (result["status"] == 200)


@pytest.mark.parametrize("field,value,message", [
    ("columns", ["number", "colour"], "colour"),
    ("sort", "title", "title"),
    ("name", "  ", "name"),
    ("list_key", "problems", "problems"),
])
def test_saved_view_bad_input_names_the_field(cast, api, field, value, message):
    payload = {"list_key": "incidents", "name": "A view", field: value}
    response = api("agent").post("/api/v1/saved-views/", payload, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert message in str(response.data[field]) or field == "name"
    assert not SavedView.objects.exists()


def test_saved_view_shared_only_with_own_group_and_names_unique(cast, api):
    agent = api("agent")
    response = agent.post("/api/v1/saved-views/", {"list_key": "incidents", "name": "Net",
                                                   "shared_with": cast.other_group.pk}, format="json")
    assert response.status_code == 400 and "shared_with" in response.data
    assert agent.post("/api/v1/saved-views/", {"list_key": "incidents", "name": "Net"},
                      format="json").status_code == 201
    response = agent.post("/api/v1/saved-views/", {"list_key": "incidents", "name": "Net"}, format="json")
    assert response.status_code == 400 and "name" in response.data
    assert SavedView.objects.count() == 1


def test_bulk_with_one_stale_row_changes_the_others(cast, api):
    first, second, third = (make_incident(cast, title=f"Printer {n}") for n in range(3))
    services.update_incident(second, actor=cast.agent2, version=second.version, urgency=Urgency.HIGH)  # meanwhile
    response = api("lead").post("/api/v1/incidents/bulk/", {
        "action": "assign", "assignment_group": cast.group.pk, "assignee": cast.agent2.pk,
        "incidents": [{"number": i.number, "version": i.version} for i in (first, second, third)],
    }, format="json")
    assert response.status_code == 200
    statuses = [(r["number"], r["status"]) for r in response.data["results"]]
    assert statuses == [(first.number, 200), (second.number, 409), (third.number, 200)]
    assert "changed" in response.data["results"][1]["detail"]
    assignees = dict(Incident.objects.values_list("number", "assignee__username"))
    assert assignees == {first.number: "agent2", second.number: None, third.number: "agent2"}
    assert response.data["results"][0]["version"] == Incident.objects.get(pk=first.pk).version


def test_bulk_set_priority_through_impact_and_urgency(cast, api):
    incidents = [make_incident(cast, title=f"Mail {n}") for n in range(2)]
    response = api("agent").post("/api/v1/incidents/bulk/", {
        "action": "set_priority", "impact": Impact.EXTENSIVE, "urgency": Urgency.CRITICAL,
        "incidents": [{"number": i.number} for i in incidents],
    }, format="json")
    assert [r["status"] for r in response.data["results"]] == [200, 200]
    assert set(Incident.objects.values_list("priority", flat=True)) == {Priority.P1}


def test_bulk_transition_follows_the_lifecycle_table(cast, api):
    new = make_incident(cast, title="New one")
    taken = services.transition_incident(make_incident(cast, title="Taken"), Action.TAKE, actor=cast.agent)
    response = api("agent").post("/api/v1/incidents/bulk/", {
        "action": "start", "incidents": [{"number": new.number}, {"number": taken.number}]}, format="json")
    assert [r["status"] for r in response.data["results"]] == [200, 409]  # start is legal only from assigned
    assert Incident.objects.get(pk=new.pk).state == State.IN_PROGRESS


@pytest.mark.parametrize("payload,field", [
    ({"action": "explode", "incidents": [{"number": "INC-000001"}]}, "action"),
    ({"action": "take", "incidents": []}, "incidents"),
    ({"action": "take"}, "incidents"),
    ({"action": "take", "incidents": [{"number": "INC-000001"}], "state": "closed"}, "state"),
])
def test_bulk_bad_request_changes_nothing(cast, api, payload, field):
    incident = make_incident(cast)
    response = api("agent").post("/api/v1/incidents/bulk/", payload, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert Incident.objects.get(pk=incident.pk).version == incident.version


@pytest.mark.parametrize("query", ["Zhang", "wei.zhang@", "138 0013", "Acme"])
def test_people_search_by_name_email_phone_organisation(cast, api, query):
    cast.end_user.first_name, cast.end_user.last_name = "Wei", "Zhang"
    cast.end_user.email, cast.end_user.phone = "wei.zhang@acme.example", "+86 138 0013 8000"
    cast.end_user.save()
    response = api("agent").get("/api/v1/users/", {"q": query})
    usernames = {person["username"] for person in response.data["results"]}
    assert "enduser" in usernames and "outsider" not in usernames


def test_people_search_is_restricted_to_what_an_end_user_may_see(cast, api):
    response = api("colleague").get("/api/v1/users/", {"q": "Acme"})
    assert [person["username"] for person in response.data["results"]] == ["colleague"]


def test_the_new_endpoints_are_in_the_openapi_schema(db, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/incidents/bulk/", "/api/v1/saved-views/", "/api/v1/saved-views/{id}/"):
        assert f"{path}:" in text
