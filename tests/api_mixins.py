"""Declarative permission tests for API endpoints (after NetBox's utilities/testing/api.py, for pytest and our roles).

A test class names an endpoint and states, as one row of a table, what each kind of caller gets:

    class TestIncidentRetrieve(IncidentEndpoint):
        path = "/api/v1/incidents/{subject.number}/"
        expect = row(401, 200, 404, 200, 404, 200, 200, 200, 200)

One test is generated per caller (`ANONYMOUS`, `OWNER`, ... in `ACTORS` order). The subject is built fresh for each
test (by default an incident requested by OWNER and assigned to the cast's group, made through the services). A
number expects that status; `SEES` / `HIDDEN` expect a 200 list that does / does not contain the subject. A refused
write must change nothing: `snapshot(subject)` is compared before and after.
"""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.roles import Role
from incidents import services
from incidents.choices import Channel
from incidents.models import Incident
from tests.factories import UserFactory

ANONYMOUS = "anonymous"
OWNER = "owner"  # the end user who reported the subject
COLLEAGUE = "colleague"  # same organisation, sees only their own tickets
ORG_VIEWER = "org_viewer"  # same organisation, may follow every ticket of it (sees_organisation_tickets)
OUTSIDER = "outsider"  # an end user of another organisation
AGENT = "agent"  # a member of the subject's group, not a lead
LEAD = "lead"  # the lead of the subject's group
MANAGER = "manager"
ADMIN = "admin"
ACTORS = (ANONYMOUS, OWNER, COLLEAGUE, ORG_VIEWER, OUTSIDER, AGENT, LEAD, MANAGER, ADMIN)
END_USERS = (OWNER, COLLEAGUE, ORG_VIEWER, OUTSIDER)
STAFF = (AGENT, LEAD, MANAGER, ADMIN)

SEES = "sees"
HIDDEN = "hidden"


def row(*expected):
    """One row of the permission table, in ACTORS order."""
    assert len(expected) == len(ACTORS), "a row states one outcome per actor"
    return dict(zip(ACTORS, expected, strict=True))


def actor_user(cast, actor):
    """The User playing `actor` in the cast (None for ANONYMOUS)."""
    if actor == ANONYMOUS:
        return None
    if actor == ORG_VIEWER:
        if not hasattr(cast, "org_viewer"):
            cast.org_viewer = UserFactory(username="orgviewer", organisation=cast.org, role=Role.END_USER,
                                          sees_organisation_tickets=True)
        return cast.org_viewer
    return {
        OWNER: cast.end_user, COLLEAGUE: cast.colleague, OUTSIDER: cast.outsider, AGENT: cast.agent,
        LEAD: cast.lead, MANAGER: cast.manager, ADMIN: cast.admin,
    }[actor]


def api_client(user=None):
    """A DRF client authenticated with a real token (the integration path), or anonymous."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_incident(cast, requester=None, **kwargs):
    """An incident logged by the desk for `requester` (default: the cast's end user), assigned to the cast's group."""
    kwargs.setdefault("title", "Printer on floor 3 jams")
    kwargs.setdefault("assignment_group", cast.group)
    kwargs.setdefault("channel", Channel.PHONE)
    return services.create_incident(actor=cast.agent, requester=requester or cast.end_user, **kwargs)


class EndpointMatrix:
    """Base of the declarative permission tests. Subclasses set `path`, `expect` and, when needed, `method`."""

    method = "get"
    path = ""  # formatted with subject=..., cast=...
    expect = {}
    format = "json"
    list_key = "id"

    def pytest_generate_tests(self, metafunc):
        if "actor" in metafunc.fixturenames:
            metafunc.parametrize("actor", list(self.expect), ids=list(self.expect))

    # Hooks a subclass overrides.
    def subject(self, cast):
        return None

    def payload(self, cast, subject, user):
        return None

    def key(self, subject):
        return getattr(subject, self.list_key)

    def snapshot(self, subject):
        return None

    def verify(self, response, actor, cast, subject):
        """Further checks on a response that had the expected status."""

    def test_permission(self, actor, cast):
        subject = self.subject(cast)
        user = actor_user(cast, actor)
        before = self.snapshot(subject)
        url = self.path.format(subject=subject, cast=cast)
        data = self.payload(cast, subject, user)
        response = getattr(api_client(user), self.method)(url, data, format=self.format if data else None)
        expected = self.expect[actor]
        wanted = 200 if expected in (SEES, HIDDEN) else expected
        assert response.status_code == wanted, (actor, response.status_code, getattr(response, "data", None))
        if expected in (SEES, HIDDEN):
            body = response.json()
            rows = body["results"] if isinstance(body, dict) else body
            listed = {entry[self.list_key] for entry in rows}
            assert (self.key(subject) in listed) == (expected == SEES), (actor, listed)
        if wanted >= 400:
            assert "application/json" in response["Content-Type"]
            assert self.snapshot(subject) == before, "a refused request changed the record"
        self.verify(response, actor, cast, subject)


class IncidentEndpoint(EndpointMatrix):
    """An endpoint of one incident: the subject is an assigned incident of OWNER's."""

    list_key = "number"

    def subject(self, cast):
        return make_incident(cast, description="The paper tray jams on every job.")

    def snapshot(self, subject):
        if subject is None:
            return None
        incident = Incident.objects.get(pk=subject.pk)
        return (incident.version, incident.state, incident.updated_at, incident.duplicate_of_id,
                incident.comments.count(), incident.attachments.count())


@pytest.fixture
def client_for(cast):
    """client_for(actor) → an API client authenticated as that member of the cast."""
    return lambda actor: api_client(actor_user(cast, actor))
