"""Idempotent creates: a retried API call (same Idempotency-Key) or a resent form (same hidden token) makes one
incident, and answers with the one already made."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.idempotency import forget_expired
from core.models import IdempotencyKey
from incidents.models import Incident
from tests.api_mixins import api_client

REPORT = {"title": "Laptop will not boot", "description": "Black screen."}


def _post(user, body=REPORT, key="key-1"):
    return api_client(user).post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _token(page):
    return re.search(r'name="idempotency_token" value="([0-9a-f]+)"', page.content.decode()).group(1)


class TestApi:
    def test_same_key_twice_makes_one_incident_and_answers_it_again(self, cast):
        first = _post(cast.end_user)
        again = _post(cast.end_user)
        assert first.status_code == again.status_code == 201
        assert again.data["number"] == first.data["number"]
        assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
        assert again["Location"].endswith(f"/api/v1/incidents/{first.data['number']}/")
        assert Incident.objects.filter(title=REPORT["title"]).count() == 1

    def test_same_key_with_another_body_is_refused_naming_the_key(self, cast):
        _post(cast.end_user)
        response = _post(cast.end_user, {**REPORT, "title": "Printer on fire"})
        assert response.status_code == 422
        assert "idempotency key" in response.data["detail"]
        assert not Incident.objects.filter(title="Printer on fire").exists()

    def test_other_people_and_other_keys_make_their_own(self, cast):
        numbers = {_post(cast.end_user).data["number"], _post(cast.colleague).data["number"],
                   _post(cast.end_user, key="key-2").data["number"]}
        assert len(numbers) == 3

    def test_a_refused_request_keeps_no_key_so_the_corrected_one_goes_through(self, cast):
        assert _post(cast.end_user, {"title": ""}).status_code == 400
        response = _post(cast.end_user)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response

    def test_a_key_too_long_is_bad_input_naming_the_header(self, cast):
        response = _post(cast.end_user, key="k" * 256)
        assert response.status_code == 400 and "Idempotency-Key" in response.data
        assert not Incident.objects.exists()

    def test_without_a_key_every_post_creates(self, cast):
        client = api_client(cast.end_user)
        for _ in range(2):
            assert client.post("/api/v1/incidents/", REPORT, format="json").status_code == 201
        assert Incident.objects.count() == 2

    def test_expired_keys_are_forgotten(self, cast):
        first = _post(cast.end_user)
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        again = _post(cast.end_user)
        assert again.status_code == 201 and again.data["number"] != first.data["number"]
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        assert forget_expired() == 1 and not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_make_one_incident(cast):
    """The second waits on the key's unique index until the first commits, then answers with its incident."""
    barrier, answers = threading.Barrier(2), []

    def send():
        barrier.wait()
        try:
            answers.append(_post(cast.end_user))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].data["number"] == answers[1].data["number"]
    assert Incident.objects.count() == 1


class TestForms:
    def test_portal_report_sent_twice_with_its_token_records_one_incident(self, cast, as_user):
        client = as_user(cast.end_user)
        form = {"title": "VPN drops", "description": "Every ten minutes.", "urgency": 2,
                "idempotency_token": _token(client.get("/portal/report/"))}
        first = client.post("/portal/report/", form)
        again = client.post("/portal/report/", form, follow=True)
        assert first.status_code == 302 and again.redirect_chain[0][0] == first["Location"]
        assert "already sent" in again.content.decode()
        assert Incident.objects.filter(title="VPN drops").count() == 1

    def test_desk_log_an_incident_sent_twice_records_one(self, cast, as_user):
        client = as_user(cast.agent)
        form = {"requester": cast.end_user.pk, "channel": "phone", "title": "Caller cannot log in", "impact": 3,
                "urgency": 2, "idempotency_token": _token(client.get("/desk/incidents/new/"))}
        first = client.post("/desk/incidents/new/", form)
        again = client.post("/desk/incidents/new/", form)
        assert first.status_code == again.status_code == 302 and again["Location"] == first["Location"]
        assert Incident.objects.filter(title="Caller cannot log in").count() == 1

    def test_the_token_resent_with_other_content_is_refused_with_a_message(self, cast, as_user):
        client = as_user(cast.end_user)
        token = _token(client.get("/portal/report/"))
        client.post("/portal/report/", {"title": "VPN drops", "urgency": 2, "idempotency_token": token})
        page = client.post("/portal/report/", {"title": "Mail down", "urgency": 2, "idempotency_token": token},
                           follow=True)
        assert "already sent with other content" in page.content.decode()
        assert not Incident.objects.filter(title="Mail down").exists()

    def test_each_form_gets_its_own_token(self, cast, as_user):
        client = as_user(cast.end_user)
        assert _token(client.get("/portal/report/")) != _token(client.get("/portal/report/"))
