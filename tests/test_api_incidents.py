"""The incident API: the permission matrix of every endpoint (one table) and its behaviour on good and bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services, workflow
from incidents.choices import Action, ResolutionCode, State
from incidents.models import Incident
from tests.api_mixins import HIDDEN, SEES, EndpointMatrix, IncidentEndpoint, api_client, make_incident, row

S, H = SEES, HIDDEN
# What each caller gets from each endpoint (an incident of OWNER's, assigned to the cast's group; see api_mixins).
#                      ANONYMOUS OWNER COLLEAGUE ORG_VIEWER OUTSIDER AGENT LEAD MANAGER ADMIN
MATRIX = {
    "list":           row(401,   S,    H,        S,         H,       S,    S,   S,      S),
    "retrieve":       row(401,   200,  404,      200,       404,     200,  200, 200,    200),
    "create":         row(401,   201,  201,      201,       201,     201,  201, 201,    201),
    "partial_update": row(401,   403,  404,      403,       404,     200,  200, 200,    200),
    "put":            row(401,   405,  405,      405,       405,     405,  405, 405,    405),
    "delete":         row(401,   405,  405,      405,       405,     405,  405, 405,    405),
    "transition":     row(401,   403,  404,      403,       404,     200,  200, 200,    200),
    "cancel":         row(401,   403,  404,      403,       404,     403,  200, 200,    200),
    "comments":       row(401,   200,  404,      200,       404,     200,  200, 200,    200),
    "add_comment":    row(401,   201,  404,      201,       404,     201,  201, 201,    201),
    "add_note":       row(401,   403,  404,      403,       404,     201,  201, 201,    201),
    "history":        row(401,   200,  404,      200,       404,     200,  200, 200,    200),
    "merge":          row(401,   403,  404,      403,       404,     403,  200, 200,    200),
    "attachments":    row(401,   200,  404,      200,       404,     200,  200, 200,    200),
    "download":       row(401,   200,  404,      200,       404,     200,  200, 200,    200),
    "download_note":  row(401,   404,  404,      404,       404,     200,  200, 200,    200),
}

INCIDENT = "/api/v1/incidents/{subject.number}/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


class TestList(IncidentEndpoint):
    path = "/api/v1/incidents/"
    expect = MATRIX["list"]


class TestRetrieve(IncidentEndpoint):
    path = INCIDENT
    expect = MATRIX["retrieve"]

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["number"] == subject.number
            assert response.data["state"] == State.ASSIGNED and response.data["state_display"] == "Assigned"


class TestCreate(EndpointMatrix):
    method = "post"
    path = "/api/v1/incidents/"
    expect = MATRIX["create"]

    def payload(self, cast, subject, user):
        return {"title": "VPN drops every ten minutes", "urgency": 2}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 201:
            incident = Incident.objects.get(number=response.data["number"])
            assert incident.requester.username == response.data["requester"]["username"]
            assert response.data["channel"] == "api" and response["Location"].endswith(f"/{incident.number}/")


class TestPartialUpdate(IncidentEndpoint):
    method = "patch"
    path = INCIDENT
    expect = MATRIX["partial_update"]

    def payload(self, cast, subject, user):
        return {"version": subject.version, "impact": 1, "urgency": 1}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert (response.data["priority"], response.data["version"]) == (1, subject.version + 1)


class TestPut(IncidentEndpoint):
    method = "put"
    path = INCIDENT
    expect = MATRIX["put"]

    def payload(self, cast, subject, user):
        return {"version": subject.version, "title": "Replaced"}


class TestDelete(IncidentEndpoint):
    method = "delete"
    path = INCIDENT
    expect = MATRIX["delete"]


class TestTransition(IncidentEndpoint):
    method = "post"
    path = INCIDENT + "transition/"
    expect = MATRIX["transition"]

    def payload(self, cast, subject, user):
        return {"action": Action.RESOLVE, "version": subject.version, "resolution_code": ResolutionCode.SOLVED,
                "resolution_notes": "Cleared the paper path."}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["state"] == State.RESOLVED
            assert set(response.data["allowed_actions"]) <= {Action.CLOSE, Action.REOPEN}


class TestCancel(TestTransition):
    """A lead's action: the requester may withdraw only a NEW incident, and a plain agent never."""

    expect = MATRIX["cancel"]

    def payload(self, cast, subject, user):
        return {"action": Action.CANCEL, "version": subject.version}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["state"] == State.CANCELLED and response.data["allowed_actions"] == []


class TestComments(IncidentEndpoint):
    path = INCIDENT + "comments/"
    expect = MATRIX["comments"]


class TestAddComment(IncidentEndpoint):
    method = "post"
    path = INCIDENT + "comments/"
    expect = MATRIX["add_comment"]

    def payload(self, cast, subject, user):
        return {"body": "Any news?"}


class TestAddInternalNote(TestAddComment):
    expect = MATRIX["add_note"]

    def payload(self, cast, subject, user):
        return {"body": "Checked the spooler.", "is_internal": True}


class TestHistory(IncidentEndpoint):
    path = INCIDENT + "history/"
    expect = MATRIX["history"]


class TestMerge(IncidentEndpoint):
    method = "post"
    path = INCIDENT + "merge/"
    expect = MATRIX["merge"]

    def payload(self, cast, subject, user):
        # The target is the owner's too, so every caller who can see the subject can also name the target.
        return {"into": make_incident(cast, title="Printer jams (first report)").number}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response.data["state"] == State.CLOSED and response.data["duplicate_of"]


class TestAttachments(IncidentEndpoint):
    path = INCIDENT + "attachments/"
    expect = MATRIX["attachments"]


class TestDownload(EndpointMatrix):
    path = "/api/v1/attachments/{subject.pk}/download/"
    expect = MATRIX["download"]
    internal = False

    def subject(self, cast):
        incident = make_incident(cast)
        comment = services.add_comment(
            incident, actor=cast.agent, body="Log attached.", internal=self.internal,
            attachments=[SimpleUploadedFile("spooler.log", b"job 42 failed", content_type="text/plain")],
        )
        return comment.attachments.get()

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert response["Content-Disposition"].startswith('attachment; filename="spooler.log"')
            assert b"".join(response.streaming_content) == b"job 42 failed"


class TestDownloadInternalNoteAttachment(TestDownload):
    expect = MATRIX["download_note"]
    internal = True


# Behaviour ------------------------------------------------------------------------------------------------------------

def test_create_with_token_as_end_user_and_on_behalf_as_staff(cast):
    response = api_client(cast.end_user).post("/api/v1/incidents/", {
        "title": "Laptop will not boot", "description": "Black screen.", "channel": "phone", "service": cast.service.pk,
    }, format="json")
    assert response.status_code == 201, response.data
    assert response.data["channel"] == "api"  # an end user cannot claim another channel
    assert response.data["number"].startswith("INC-") and response.data["service"]["name"] == "E-mail"
    assert response.data["requester"]["username"] == "enduser"

    response = api_client(cast.agent).post("/api/v1/incidents/", {
        "title": "Caller cannot print", "requester": cast.colleague.pk, "channel": "phone",
        "assignment_group": cast.group.pk, "impact": 2, "urgency": 2,
    }, format="json")
    assert response.status_code == 201, response.data
    data = response.data
    assert (data["channel"], data["requester"]["username"], data["logged_by"]["username"]) == ("phone", "colleague",
                                                                                              "agent")
    assert (data["state"], data["priority"], data["priority_display"]) == ("assigned", 2, "P2 Important")
    assert data["assignment_group"] == {"id": cast.group.pk, "name": "Service desk"}


def test_end_user_cannot_log_for_someone_else(cast):
    response = api_client(cast.end_user).post(
        "/api/v1/incidents/", {"title": "For my colleague", "requester": cast.colleague.pk}, format="json")
    assert response.status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-real-token", "Bearer whatever"])
def test_malformed_or_unknown_token_is_401(cast, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401, header
    assert response["WWW-Authenticate"] == "Token" and "detail" in response.json()


def test_update_needs_the_current_version(cast):
    incident = make_incident(cast)
    client = api_client(cast.agent)
    url = f"/api/v1/incidents/{incident.number}/"
    assert client.patch(url, {"title": "No version"}, format="json").json().keys() == {"version"}
    assert client.patch(url, {"version": 1, "title": "Fresh"}, format="json").status_code == 200
    response = client.patch(url, {"version": 1, "title": "Stale"}, format="json")
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Fresh", 2)
    state_change = client.patch(url, {"version": 2, "state": "resolved"}, format="json")
    assert state_change.status_code == 400 and "state" in state_change.json()


def test_illegal_transition_is_409_with_the_allowed_actions(cast):
    incident = make_incident(cast)
    response = api_client(cast.agent).post(f"/api/v1/incidents/{incident.number}/transition/",
                                           {"action": "close"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["state"] == State.ASSIGNED
    assert body["allowed"] == workflow.legal_from(State.ASSIGNED) and "close" not in body["allowed"]
    incident.refresh_from_db()
    assert (incident.state, incident.version) == (State.ASSIGNED, 1)


def test_transition_input_errors_name_the_field(cast):
    incident = make_incident(cast)
    client = api_client(cast.agent)
    url = f"/api/v1/incidents/{incident.number}/transition/"
    assert "action" in client.post(url, {"action": "explode"}, format="json").json()
    response = client.post(url, {"action": "resolve", "resolution_notes": "Done"}, format="json")
    assert response.status_code == 400 and "resolution_code" in response.json()  # the service's ValidationError
    response = client.post(url, {"action": "resolve", "version": 7, "resolution_code": "solved",
                                 "resolution_notes": "x"}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 1


def test_only_a_lead_reassigns_someone_elses_incident(cast):
    incident = make_incident(cast)
    services.transition_incident(incident, Action.ASSIGN, actor=cast.agent2, assignment_group=cast.group,
                                 assignee=cast.agent2)
    payload = {"action": "assign", "assignment_group": cast.group.pk, "assignee": cast.agent.pk}
    url = f"/api/v1/incidents/{incident.number}/transition/"
    assert api_client(cast.agent).post(url, payload, format="json").status_code == 403
    assert Incident.objects.get(pk=incident.pk).assignee == cast.agent2
    response = api_client(cast.lead).post(url, payload, format="json")
    assert response.status_code == 200 and response.data["assignee"]["username"] == "agent"


def test_merge_target_must_be_visible(cast):
    incident = make_incident(cast)
    hidden_from_owner = make_incident(cast, requester=cast.outsider)
    response = api_client(cast.lead).post(f"/api/v1/incidents/{incident.number}/merge/",
                                          {"into": "INC-999999"}, format="json")
    assert response.status_code == 400 and "into" in response.json()
    response = api_client(cast.lead).post(f"/api/v1/incidents/{incident.number}/merge/",
                                          {"into": hidden_from_owner.number}, format="json")
    assert response.status_code == 200 and response.data["duplicate_of"] == hidden_from_owner.number


def test_end_user_never_sees_internal_notes_or_their_attachments(cast):
    incident = make_incident(cast)
    staff = api_client(cast.agent)
    for internal, name in ((False, "public.txt"), (True, "internal.txt")):
        response = staff.post(f"/api/v1/incidents/{incident.number}/comments/", {
            "body": f"{name} attached", "is_internal": internal,
            "attachments": [SimpleUploadedFile(name, b"data", content_type="text/plain")],
        }, format="multipart")
        assert response.status_code == 201, response.data
        assert response.data["attachments"][0]["filename"] == name
    owner = api_client(cast.end_user)
    comments = owner.get(f"/api/v1/incidents/{incident.number}/comments/").json()["results"]
    assert [c["body"] for c in comments] == ["public.txt attached"]
    files = owner.get(f"/api/v1/incidents/{incident.number}/attachments/").json()["results"]
    assert [f["filename"] for f in files] == ["public.txt"]
    history = owner.get(f"/api/v1/incidents/{incident.number}/history/").json()["results"]
    assert "internal.txt attached" not in str(history)
    staff_view = staff.get(f"/api/v1/incidents/{incident.number}/comments/").json()["results"]
    assert [c["is_internal"] for c in staff_view] == [False, True]
    staff_history = staff.get(f"/api/v1/incidents/{incident.number}/history/").json()["results"]
    assert "internal.txt attached" in str(staff_history)


def test_history_says_who_changed_what_and_when(cast):
    incident = make_incident(cast)
    api_client(cast.agent).post(f"/api/v1/incidents/{incident.number}/transition/", {"action": "take"}, format="json")
    events = api_client(cast.end_user).get(f"/api/v1/incidents/{incident.number}/history/").json()["results"]
    take = next(e for e in events if e["action"] == "take")
    assert take["user"]["username"] == "agent" and take["model"] == "incidents.Incident"
    assert take["diff"]["state"] == ["assigned", "in_progress"]
    assert take["created_at"][:4].isdigit() and "T" in take["created_at"]
    assert events[0]["label"] == "insert" and events[0]["action"] == "create"
