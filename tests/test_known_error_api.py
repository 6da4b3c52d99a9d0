"""The known-error API: the permission matrix (end users 404, agents write drafts, leads publish), filters and search,
updates with the version, actions with 409s naming the allowed actions, linking an incident, and the token scope."""

import pytest

from incidents import services as incident_services
from known_errors.choices import State
from known_errors.models import KnownError
from known_errors.testing import make_known_error
from tests.api_mixins import HIDDEN, SEES, EndpointMatrix, api_client, row

pytestmark = pytest.mark.django_db


class KnownErrorEndpoint(EndpointMatrix):
    list_key = "number"

    def subject(self, cast):
        return make_known_error(cast.agent, title="打印机卡纸 printer jams", publish_as=cast.lead)

    def snapshot(self, subject):
        fresh = KnownError.objects.get(pk=subject.pk)
        return (fresh.version, fresh.state, fresh.title, fresh.link_count)


class TestList(KnownErrorEndpoint):
    path = "/api/v1/known-errors/"
    expect = row(401, 404, 404, 404, 404, SEES, SEES, SEES, SEES)


class TestSearch(KnownErrorEndpoint):
    path = "/api/v1/known-errors/?q=打印&state=published"
    expect = row(401, 404, 404, 404, 404, SEES, SEES, SEES, SEES)


class TestSearchMisses(KnownErrorEndpoint):
    path = "/api/v1/known-errors/?q=VPN"
    expect = row(401, 404, 404, 404, 404, HIDDEN, HIDDEN, HIDDEN, HIDDEN)


class TestRetrieve(KnownErrorEndpoint):
    path = "/api/v1/known-errors/{subject.number}/"
    expect = row(401, 404, 404, 404, 404, 200, 200, 200, 200)

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            body = response.json()
            assert body["workaround_html"] == "<p>Use the manual feed tray.</p>\n"
            assert body["allowed_actions"] == ([] if actor == "agent" else ["retire", "revise"])


class TestCreate(EndpointMatrix):
    method = "post"
    path = "/api/v1/known-errors/"
    expect = row(401, 404, 404, 404, 404, 201, 201, 201, 201)

    def payload(self, cast, subject, user):
        return {"title": "VPN drops", "workaround": "Reconnect", "service": cast.service.pk}

    def snapshot(self, subject):
        return KnownError.objects.count()

    def verify(self, response, actor, cast, subject):
        if response.status_code == 201:
            body = response.json()
            assert body["state"] == "draft" and body["number"].startswith("KE-")
            assert response["Location"].endswith(f"/api/v1/known-errors/{body['number']}/")


class TestUpdate(KnownErrorEndpoint):
    method = "patch"
    path = "/api/v1/known-errors/{subject.number}/"
    expect = row(401, 404, 404, 404, 404, 200, 200, 200, 200)

    def payload(self, cast, subject, user):
        return {"version": subject.version, "title": "Printer jams (tray 1)"}


class TestPublish(EndpointMatrix):
    method = "post"
    path = "/api/v1/known-errors/{subject.number}/transition/"
    expect = row(401, 404, 404, 404, 404, 403, 200, 200, 200)

    def subject(self, cast):
        return make_known_error(cast.agent)

    def payload(self, cast, subject, user):
        return {"action": "publish", "version": 1}

    def snapshot(self, subject):
        return KnownError.objects.get(pk=subject.pk).state


class TestLinkIncident(KnownErrorEndpoint):
    method = "post"
    path = "/api/v1/known-errors/{subject.number}/link-incident/"
    expect = row(401, 404, 404, 404, 404, 200, 200, 200, 200)

    def payload(self, cast, subject, user):
        incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams")
        return {"incident": incident.number}

    def verify(self, response, actor, cast, subject):
        if response.status_code == 200:
            body = response.json()
            assert body["link_count"] == 1
            assert [r["kind"] for r in body["linked_records"]] == ["incident"]


def test_bad_input_is_named_and_changes_nothing(cast):
    client = api_client(cast.lead)
    draft = make_known_error(cast.agent, workaround="")
    base = f"/api/v1/known-errors/{draft.number}/"
    response = client.post(base + "transition/", {"action": "publish"}, format="json")
    assert response.status_code == 400 and "workaround" in response.json()
    response = client.post(base + "transition/", {"action": "retire"}, format="json")
    assert response.status_code == 409 and response.json()["allowed"] == ["publish"]
    response = client.post(base + "transition/", {"action": "explode"}, format="json")
    assert response.status_code == 400 and "action" in response.json()
    response = client.patch(base, {"version": 7, "title": "Stale"}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 1
    response = client.patch(base, {"version": 1, "state": "published"}, format="json")
    assert response.status_code == 400 and "state" in response.json()
    response = client.post("/api/v1/known-errors/", {"title": "", "configuration_items": [999999]}, format="json")
    assert response.status_code == 400 and {"title", "configuration_items"} <= set(response.json())
    response = client.post(base + "link-incident/", {"incident": "INC-999999"}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    response = client.post(base + "link-incident/", {"incident": incident_services.create_incident(
        actor=cast.end_user, title="x").number}, format="json")
    assert response.status_code == 409  # a draft is not linked
    assert client.delete(base).status_code == 405
    fresh = KnownError.objects.get(pk=draft.pk)
    assert (fresh.state, fresh.version, fresh.title, fresh.link_count) == (State.DRAFT, 1, draft.title, 0)
    assert client.get("/api/v1/known-errors/KE-999999/").status_code == 404


def test_filters_by_state_service_and_category(cast):
    from tests.factories import CategoryFactory

    category = CategoryFactory(name="Printing")
    wanted = make_known_error(cast.agent, service=cast.service, category=category, publish_as=cast.lead)
    make_known_error(cast.agent, service=cast.service)
    client = api_client(cast.agent)
    body = client.get("/api/v1/known-errors/", {"state": "published", "service": cast.service.pk,
                                                "category": category.pk}).json()
    assert [r["number"] for r in body["results"]] == [wanted.number]
    assert client.get("/api/v1/known-errors/", {"state": "nonsense"}).status_code == 400


def test_a_token_needs_the_known_errors_scope(cast):
    from rest_framework.test import APIClient

    from apitokens import services as token_services

    make_known_error(cast.agent)
    _token, incidents_only = token_services.create_token(actor=cast.agent, name="x", scopes=["read", "incidents"])
    _token, scoped = token_services.create_token(actor=cast.agent, name="y", scopes=["read", "known_errors"])
    for key, wanted in ((incidents_only, 403), (scoped, 200)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        assert client.get("/api/v1/known-errors/").status_code == wanted
