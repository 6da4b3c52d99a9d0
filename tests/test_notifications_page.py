"""Notifications appear in the portal for the person notified, and only for them."""

import pytest
from django.test import Client

from incidents import services
from incidents.notifications import send_incident_mail

pytestmark = pytest.mark.django_db


def test_acknowledgement_shows_in_the_requesters_notifications(cast):
    incident = services.create_incident(actor=cast.end_user, title="Wi-Fi is slow")
    assert send_incident_mail(incident.pk, "acknowledgement")
    mine, theirs = Client(), Client()
    mine.force_login(cast.end_user)
    theirs.force_login(cast.colleague)
    assert mine.get("/accounts/notifications/unread/").content == b"1"
    page = mine.get("/accounts/notifications/").content.decode()
    assert incident.number in page and f"/portal/incidents/{incident.number}/" in page
    assert incident.number not in theirs.get("/accounts/notifications/").content.decode()
    assert mine.post("/accounts/notifications/read/").status_code == 302
    assert mine.get("/accounts/notifications/unread/").content == b""
