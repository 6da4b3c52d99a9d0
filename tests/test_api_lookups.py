"""The read-only lookups of the API (people, organisations, groups, services, categories, the priority matrix, the
caller): who may read what, as one table, and the administrator-only edit of a matrix cell.
"""

from incidents.models import PriorityMatrixEntry
from tests.api_mixins import ACTORS, ANONYMOUS, HIDDEN, SEES, EndpointMatrix, actor_user, api_client, row
from tests.factories import CategoryFactory, OrganisationFactory

S, H = SEES, HIDDEN
#                     ANONYMOUS OWNER COLLEAGUE ORG_VIEWER OUTSIDER AGENT LEAD MANAGER ADMIN
MATRIX = {
    "users":          row(401,  H,    H,        H,         H,       S,    S,   S,      S),
    "user":           row(401,  404,  404,      404,       404,     200,  200, 200,    200),
    "organisations":  row(401,  H,    H,        H,         H,       S,    S,   S,      S),
    "groups":         row(401,  S,    S,        S,         S,       S,    S,   S,      S),
    "services":       row(401,  S,    S,        S,         S,       S,    S,   S,      S),
    "categories":     row(401,  S,    S,        S,         S,       S,    S,   S,      S),
    "matrix":         row(401,  S,    S,        S,         S,       S,    S,   S,      S),
    "matrix_change":  row(401,  403,  403,      403,       403,     403,  403, 403,    200),
    "me":             row(401,  200,  200,      200,       200,     200,  200, 200,    200),
}


class TestUsers(EndpointMatrix):
    """A colleague on the desk: end users never list other people."""

    path = "/api/v1/users/"
    expect = MATRIX["users"]

    def subject(self, cast):
        return cast.agent2


class TestUser(TestUsers):
    path = "/api/v1/users/{subject.pk}/"
    expect = MATRIX["user"]


class TestOrganisations(EndpointMatrix):
    """Customers do not see each other, not even by name."""

    path = "/api/v1/organisations/"
    expect = MATRIX["organisations"]

    def subject(self, cast):
        return OrganisationFactory(name="Initech", code="initech")


class TestGroups(EndpointMatrix):
    path = "/api/v1/groups/"
    expect = MATRIX["groups"]

    def subject(self, cast):
        return cast.group


class TestServices(EndpointMatrix):
    path = "/api/v1/services/"
    expect = MATRIX["services"]

    def subject(self, cast):
        return cast.service


class TestCategories(EndpointMatrix):
    path = "/api/v1/categories/"
    expect = MATRIX["categories"]

    def subject(self, cast):
        return CategoryFactory(name="Printers")


class TestPriorityMatrix(EndpointMatrix):
    path = "/api/v1/priority-matrix/"
    expect = MATRIX["matrix"]

    def subject(self, cast):
        return PriorityMatrixEntry.objects.get(impact=1, urgency=1)


class TestPriorityMatrixChange(TestPriorityMatrix):
    method = "patch"
    path = "/api/v1/priority-matrix/{subject.pk}/"
    expect = MATRIX["matrix_change"]

    def payload(self, cast, subject, user):
        return {"priority": 2}

    def snapshot(self, subject):
        return PriorityMatrixEntry.objects.get(pk=subject.pk).priority

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            assert (response.data["priority"], response.data["priority_display"]) == (2, "P2 Important")


class TestMe(EndpointMatrix):
    path = "/api/v1/me/"
    expect = MATRIX["me"]

    def verify(self, response, actor, cast, subject):
        if actor != ANONYMOUS:
            assert response.data["username"] == actor_user(cast, actor).username


def test_end_user_lists_only_themselves_and_their_organisation(cast):
    client = api_client(cast.end_user)
    assert [u["username"] for u in client.get("/api/v1/users/").json()["results"]] == ["enduser"]
    assert [o["code"] for o in client.get("/api/v1/organisations/").json()["results"]] == ["acme"]
    me = client.get("/api/v1/me/").json()
    assert (me["roles"], me["is_staff_member"], me["organisation"]["code"]) == (["end_user"], False, "acme")


def test_staff_see_roles_and_filter_people(cast):
    client = api_client(cast.agent)
    users = client.get("/api/v1/users/", {"role": "team_lead"}).json()["results"]
    assert [(u["username"], u["roles"]) for u in users] == [("lead", ["team_lead"])]
    members = client.get("/api/v1/users/", {"group": cast.group.pk}).json()["results"]
    assert {u["username"] for u in members} == {"agent", "agent2", "lead"}
    assert client.get("/api/v1/users/", {"role": "emperor"}).status_code == 400
    group = client.get(f"/api/v1/groups/{cast.group.pk}/").json()
    assert group["lead"]["username"] == "lead" and len(group["members"]) == 3


def test_matrix_cell_validation(cast):
    cell = PriorityMatrixEntry.objects.get(impact=1, urgency=1)
    client = api_client(cast.admin)
    response = client.patch(f"/api/v1/priority-matrix/{cell.pk}/", {"priority": 7}, format="json")
    assert response.status_code == 400 and "priority" in response.json()
    assert client.get("/api/v1/priority-matrix/").json()[0]["priority"] == 1
    assert len(client.get("/api/v1/priority-matrix/").json()) == 16
    assert client.delete(f"/api/v1/priority-matrix/{cell.pk}/").status_code == 405


def test_every_actor_is_covered():
    assert all(set(expected) == set(ACTORS) for expected in MATRIX.values())
