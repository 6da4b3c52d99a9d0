"""Gaps an outside security test found in what users send: an end user raising their own priority, control
characters in URLs, a date PostgreSQL refuses, and an upload that lies about its type."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cmdb.testing import make_ci, make_class
from incidents import services
from incidents.choices import Impact, Priority, Urgency
from incidents.models import Incident, IncidentAttachment, PriorityMatrixEntry
from tests.api_mixins import api_client, make_incident

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/incidents/')</script></body></html>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


# What an end user may set: one rule in incidents.services.create_incident ------------------------------------------

def test_end_user_cannot_raise_impact_through_the_api(cast):
    response = api_client(cast.end_user).post("/api/v1/incidents/", {
        "title": "Everything is down", "impact": Impact.EXTENSIVE, "urgency": Urgency.CRITICAL}, format="json")
    assert response.status_code == 201
    incident = Incident.objects.get(number=response.json()["number"])
    assert incident.impact == Impact.MINOR
    assert incident.priority == PriorityMatrixEntry.priority_for(Impact.MINOR, Urgency.CRITICAL) != Priority.P1
    assert response.json()["impact"] == Impact.MINOR


def test_staff_still_set_impact_through_the_api(cast):
    response = api_client(cast.agent).post("/api/v1/incidents/", {
        "title": "Everything is down", "requester": cast.end_user.pk, "impact": Impact.EXTENSIVE,
        "urgency": Urgency.CRITICAL}, format="json")
    assert response.status_code == 201
    assert (response.json()["impact"], response.json()["priority"]) == (Impact.EXTENSIVE, Priority.P1)


def test_end_user_cannot_raise_impact_through_the_portal(cast):
    response = client_for(cast.end_user).post("/portal/report/", {
        "title": "Everything is down", "urgency": Urgency.CRITICAL, "impact": Impact.EXTENSIVE})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.impact, incident.urgency) == (Impact.MINOR, Urgency.CRITICAL)


def test_the_rule_is_in_the_service_whatever_calls_it(cast):
    incident = services.create_incident(actor=cast.end_user, title="By mail", impact=Impact.EXTENSIVE,
                                        urgency=Urgency.CRITICAL)
    assert incident.impact == Impact.MINOR and incident.priority != Priority.P1


# Control characters in the path -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/desk/incidents/INC-000001%00/", "/portal/incidents/INC-000001%00/", "/api/v1/incidents/INC-000001%00/",
    "/desk/incidents/%00/", "/cmdb/1%0a/", "/api/v1/cmdb/cis/1%1f/", "/sla/dashboard/%7f", "/%c2%85/",
])
def test_a_control_character_in_the_path_is_404(cast, path):
    make_incident(cast)
    for user in (None, cast.end_user, cast.admin):
        client = Client() if user is None else client_for(user)
        response = client.get(path)
        assert response.status_code == 404, (path, user)
        assert response.status_code == client.post(path, {}).status_code


def test_a_control_character_in_an_api_path_answers_the_apis_json_404(cast):
    response = client_for(cast.admin).get("/api/v1/cmdb/cis/%08%C3%8B/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


# A CMDB compare date PostgreSQL cannot store -----------------------------------------------------------------------

def test_compare_with_an_offset_postgresql_refuses_is_400_naming_the_field(cast):
    ci = make_ci(make_class("server"), "web-01")
    url = f"/api/v1/cmdb/cis/{ci.pk}/compare/"
    client = api_client(cast.agent)
    response = client.get(url, {"from": "2000-01-01T00:00:00Z", "to": "0515-01-05T21:29:25+20:27"})
    assert response.status_code == 200  # Python and PostgreSQL both take it once in UTC
    response = client.get(url, {"from": "0001-01-01T01:00:00+20:27", "to": "2000-01-01T00:00:00Z"})
    assert response.status_code == 400 and "from" in response.json()


def test_compare_page_takes_such_an_offset_too(cast):
    ci = make_ci(make_class("server"), "web-01")
    client = client_for(cast.agent)
    response = client.get(f"/cmdb/{ci.pk}/compare/", {"earlier": "2000-01-01T00:00:00Z",
                                                       "later": "0515-01-05T21:29:25+20:27"})
    assert response.status_code == 200
    response = client.get(f"/cmdb/{ci.pk}/compare/", {"earlier": "0001-01-01T01:00:00+20:27",
                                                       "later": "2000-01-01T00:00:00Z"})
    assert response.status_code == 400


# Uploads: the stored type comes from the bytes -----------------------------------------------------------------------

def _upload(name, content, claimed):
    return SimpleUploadedFile(name, content, content_type=claimed)


def test_html_claimed_as_png_is_stored_and_served_as_text(cast):
    response = api_client(cast.end_user).post("/api/v1/incidents/", {
        "title": "Screenshot", "attachments": [_upload("x.png", HTML, "image/png")]}, format="multipart")
    assert response.status_code == 201, response.content
    attachment = IncidentAttachment.objects.get()
    assert attachment.content_type == "text/plain"
    for download in (api_client(cast.end_user).get(f"/api/v1/attachments/{attachment.pk}/download/"),
                     client_for(cast.end_user).get(f"/attachments/{attachment.pk}/")):
        assert download.status_code == 200
        assert download["Content-Type"] == "text/plain"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Security-Policy"] == "sandbox"
        assert download["Content-Disposition"].startswith('attachment; filename="x.png"')
        assert b"".join(download.streaming_content) == HTML


def test_a_real_image_claimed_as_html_is_stored_as_an_image(cast):
    client_for(cast.end_user).post("/portal/report/", {
        "title": "Screenshot", "urgency": Urgency.LOW, "attachments": [_upload("shot.png", PNG, "text/html")]})
    assert IncidentAttachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n" + b"x" * 100, "application/pdf"),
    ("日志：打印机卡纸\n".encode() * 2000, "text/plain"),  # longer than the sample: cut inside a character
    (b"\x00\x01\x02\xfe\xff binary", "application/octet-stream"),
    (b"", "text/plain"),
])
def test_the_stored_type_is_sniffed(cast, content, expected):
    incident = make_incident(cast)
    services.add_comment(incident, actor=cast.agent, body="File", attachments=[
        _upload("file.bin" if content else "empty.txt", content, "image/png")])
    assert IncidentAttachment.objects.get().content_type == expected


def test_a_file_stored_before_sniffing_is_served_with_the_type_of_its_bytes(cast):
    incident = make_incident(cast, attachments=[_upload("x.png", HTML, "image/png")])
    attachment = incident.attachments.get()
    IncidentAttachment.objects.filter(pk=attachment.pk).update(content_type="text/html")  # as an old row had it
    download = client_for(cast.end_user).get(f"/attachments/{attachment.pk}/")
    assert (download["Content-Type"], download["Content-Security-Policy"]) == ("text/plain", "sandbox")
