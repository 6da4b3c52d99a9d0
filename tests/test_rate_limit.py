"""The creation rate limit (core.ratelimit): per user and per token, 429 with Retry-After, open when Redis is down."""

import uuid

import pytest
from django.test import Client

from incidents.models import Incident
from tests.api_mixins import api_client


@pytest.fixture
def two_a_minute(settings):
    """CREATE_RATE_LIMIT 2/minute, counted under a key prefix of this test's own (counts of earlier runs for the
    same user ids would otherwise still be in Redis)."""
    settings.CREATE_RATE_LIMIT = "2/minute"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def _retry_after(response):
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 60
    return seconds


def test_the_api_refuses_the_third_create_in_a_minute_with_429_and_retry_after(cast, two_a_minute):
    client = api_client(cast.end_user)
    for n in range(2):
        assert client.post("/api/v1/incidents/", {"title": f"Report {n}"}, format="json").status_code == 201
    response = client.post("/api/v1/incidents/", {"title": "One too many"}, format="json")
    assert response.status_code == 429 and _retry_after(response)
    assert response.json()["detail"].startswith("You are creating records faster than allowed (2/minute).")
    assert Incident.objects.count() == 2
    # Another person is not held back by it; reading is not limited.
    assert api_client(cast.colleague).post("/api/v1/incidents/", {"title": "Mine"}, format="json").status_code == 201
    assert client.get("/api/v1/incidents/").status_code == 200


def test_the_portal_and_the_desk_count_per_person_and_answer_a_429_page(cast, two_a_minute):
    portal = Client()
    portal.force_login(cast.end_user)
    for n in range(2):
        response = portal.post("/portal/report/", {"title": f"Report {n}", "urgency": 3})
        assert response.status_code == 302
    response = portal.post("/portal/report/", {"title": "One too many", "urgency": 3})
    assert response.status_code == 429 and _retry_after(response)
    assert "You are creating records faster than allowed" in response.content.decode()
    assert portal.get("/portal/report/").status_code == 200  # the form itself still opens

    desk = Client()
    desk.force_login(cast.agent)
    form = {"requester": cast.end_user.pk, "channel": "phone", "title": "Call", "impact": 3, "urgency": 3}
    assert [desk.post("/desk/incidents/new/", form).status_code for _n in range(3)] == [302, 302, 429]
    assert Incident.objects.count() == 4


def test_a_token_and_the_same_persons_pages_share_the_count(cast, two_a_minute):
    api = api_client(cast.end_user)
    assert api.post("/api/v1/incidents/", {"title": "By token"}, format="json").status_code == 201
    portal = Client()
    portal.force_login(cast.end_user)
    assert portal.post("/portal/report/", {"title": "By page", "urgency": 3}).status_code == 302
    assert api.post("/api/v1/incidents/", {"title": "Third"}, format="json").status_code == 429


def test_creates_go_through_when_redis_is_down(cast, settings):
    # The portal, not the API: DRF's own throttle also reads the cache (the cache's fail-open is issue 8's other part).
    settings.CREATE_RATE_LIMIT = "1/minute"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing there
    portal = Client()
    portal.force_login(cast.end_user)
    codes = [portal.post("/portal/report/", {"title": f"Report {n}", "urgency": 3}).status_code for n in range(3)]
    assert codes == [302, 302, 302] and Incident.objects.count() == 3


def test_a_replayed_idempotent_create_is_not_counted_or_refused(cast, two_a_minute):
    client = api_client(cast.end_user)
    headers = {"Idempotency-Key": "retry-me"}
    answers = [client.post("/api/v1/incidents/", {"title": "Once"}, format="json", headers=headers).status_code
               for _n in range(4)]
    assert answers == [201, 201, 201, 201] and Incident.objects.count() == 1
    # The replays used none of the two creations a minute allows (no 429 check after it: the minute may roll over).
    assert client.post("/api/v1/incidents/", {"title": "Second"}, format="json").status_code == 201
