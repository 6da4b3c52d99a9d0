"""Bounded request bodies (core.request_body, core.uploads) as a client sees them: refused with a sentence naming the
problem, nothing saved. The same through a real gunicorn and a real socket: tests/test_request_limits_process.py."""

import json

from django.test import Client

from core.roles import Role
from incidents.models import Incident, IncidentAttachment
from tests.api_mixins import api_client
from tests.factories import UserFactory

BOUNDARY = "----itsm-test-boundary"


def multipart(*parts, end=True):
    """A multipart body from (field, file name or None, content) parts; end=False leaves the closing boundary off."""
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        body += b"Content-Type: text/plain\r\n" if filename is not None else b""
        body += b"\r\n" + content + b"\r\n"
    return body + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


def post_multipart(client, path, body):
    return client.generic("POST", path, body, content_type=f"multipart/form-data; boundary={BOUNDARY}")


def test_json_nested_ten_thousand_deep_is_a_400_naming_the_depth(cast):
    client = api_client(cast.end_user)
    twenty_one_deep = {"title": "Deep", "description": json.loads("[" * 20 + '"x"' + "]" * 20)}
    for body in ("[" * 10_000 + "]" * 10_000, json.dumps(twenty_one_deep)):
        response = client.generic("POST", "/api/v1/incidents/", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "nested deeper than 20 levels" in response.json()["detail"]
    assert not Incident.objects.exists()
    ordinary = client.post("/api/v1/incidents/", {"title": "Printer jams", "description": "On floor 3"}, format="json")
    assert ordinary.status_code == 201


def test_a_bare_json_number_or_string_is_a_400_not_a_500(cast):
    client = api_client(cast.end_user)
    for body in ("-723176", '"text"', "null"):
        response = client.generic("POST", "/api/v1/incidents/", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
    assert not Incident.objects.exists()


def test_a_json_body_over_the_limit_is_refused_from_its_length(cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"title": "Long", "description": "y" * 20_000})
    response = api_client(cast.end_user).generic("POST", "/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is 19.6\xa0KB; the limit here is 9.8\xa0KB."
    assert not Incident.objects.exists()


def test_a_file_part_named_dot_dot_is_a_400_naming_it_not_a_silent_drop(cast):
    for name in ("..", ".", "logs/"):
        body = multipart(("title", None, b"Printer jams"), ("attachments", name, b"error log"))
        response = post_multipart(api_client(cast.end_user), "/api/v1/incidents/", body)
        assert response.status_code == 400, (name, response.content)
        assert response.json()["detail"] == f"The file name “{name}” cannot be used: rename the file and send it again."
    assert not Incident.objects.exists()


def test_a_multipart_body_cut_short_is_a_400_naming_the_file(cast):
    body = multipart(("title", None, b"Printer jams"), ("attachments", "error.log", b"first half of the lo"),
                     end=False)
    response = post_multipart(api_client(cast.end_user), "/api/v1/incidents/", body[:-2])
    assert response.status_code == 400
    assert response.json() == {"detail": "The upload was cut short: the file error.log did not arrive whole. "
                                         "Send it again.", "field": "attachments"}
    assert not Incident.objects.exists()


def test_too_many_files_or_a_broken_form_is_a_400_saying_so(cast, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    body = multipart(("title", None, b"Logs"), *[("attachments", f"{n}.log", b"log") for n in range(3)])
    response = post_multipart(api_client(cast.end_user), "/api/v1/incidents/", body)
    assert response.status_code == 400
    assert response.json()["detail"] == ("The form has more fields or files than one request may carry "
                                         "(1000 fields, 2 files).")
    response = api_client(cast.end_user).generic("POST", "/api/v1/incidents/", b"title=x",
                                                 content_type="multipart/form-data")  # no boundary
    assert response.status_code == 400
    assert response.json()["detail"] == "The multipart form could not be read: it is malformed or incomplete."
    assert not Incident.objects.exists()


def test_a_whole_multipart_body_still_creates_the_incident_with_its_file(cast):
    body = multipart(("title", None, b"Printer jams"), ("attachments", "error.log", b"paper jam in tray 2"))
    response = post_multipart(api_client(cast.end_user), "/api/v1/incidents/", body)
    assert response.status_code == 201, response.content
    attachment = IncidentAttachment.objects.get()
    assert attachment.filename == "error.log" and attachment.file.read() == b"paper jam in tray 2"


def test_a_file_over_its_limit_is_refused_as_the_bytes_pass_it_and_names_the_field(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    body = multipart(("title", None, b"Big"), ("attachments", "big.log", b"x" * 5000))
    response = post_multipart(api_client(cast.end_user), "/api/v1/incidents/", body)
    assert response.status_code == 413
    assert response.json() == {"detail": "The file big.log is larger than the limit of 1000\xa0bytes.",
                               "field": "attachments"}
    assert not Incident.objects.exists()


def test_pages_answer_a_translated_page(cast):
    chinese = UserFactory(username="zhang", organisation=cast.org, role=Role.END_USER, language="zh-hans")
    client = Client()
    client.force_login(chinese)
    body = multipart(("title", None, b"Printer jams"), ("urgency", None, b"3"), ("attachments", "..", b"log"))
    response = post_multipart(client, "/portal/report/", body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求被拒绝" in page and "文件名“..”无法使用" in page
    assert not Incident.objects.exists()


def test_the_cmdb_import_keeps_its_own_larger_file_limit(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 10  # an attachment limit must not cut a CMDB import file
    body_parts = [("file", "servers.csv", b"class,external_key,name\nserver,s1,Server 1\n")]
    body = multipart(*body_parts)
    response = post_multipart(api_client(cast.agent), "/api/v1/cmdb/import-jobs/", body)
    assert response.status_code != 413, response.content
    desk = Client()
    desk.force_login(cast.agent)
    page = post_multipart(desk, "/cmdb/import/", multipart(*body_parts, ("source", None, b"import")))
    assert page.status_code != 413, page.content
    settings.CMDB_IMPORT_MAX_BYTES = 20
    response = post_multipart(api_client(cast.agent), "/api/v1/cmdb/import-jobs/", body)
    assert response.status_code == 413 and response.json()["field"] == "file"
    assert post_multipart(desk, "/cmdb/import/", body).status_code == 413


def test_a_cmdb_import_file_nested_ten_thousand_deep_fails_with_its_reason(cast):
    body = multipart(("file", "deep.json", b"[" * 10_000 + b"]" * 10_000))
    response = post_multipart(api_client(cast.agent), "/api/v1/cmdb/import-jobs/", body)
    assert response.status_code == 201, response.content  # a job, failed with the reason, as for any broken file
    assert response.json()["state"] == "failed"
    assert response.json()["error"] == "“deep.json” is nested too deeply to be read."
