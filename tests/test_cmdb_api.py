"""The CMDB API: who may see and change what (declarative tables), filters (attribute values included), impact
analysis, relationships read both ways, history, and imports (at once, and in the background on a real worker).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import services
from cmdb.choices import AttributeType, ImportState, Lifecycle
from cmdb.models import CIClass, ConfigurationItem, ImportJob, Relationship
from cmdb.testing import link, make_ci, make_class, make_type
from tests.api_mixins import HIDDEN, SEES, EndpointMatrix, api_client, row

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cmdb"


def estate(cast):
    """A small estate of the cast's organisation: an application on a server, used by a business service."""
    server = make_class("server", "Server", attributes=[
        {"key": "os", "label": "Operating system", "type": AttributeType.CHOICE, "choices": ["Linux", "Windows"],
         "required": True},
        {"key": "cpu_count", "label": "CPUs", "type": AttributeType.INTEGER},
    ])
    vm = make_class("virtual_machine", "Virtual machine", parent=server)
    app = make_class("application", "Application")
    service = make_class("business_service", "Business service", is_service=True)
    runs_on = make_type("runs_on", forward="runs on", reverse="hosts", allows_cycles=False)
    depends = make_type("depends_on", forward="depends on", reverse="is depended on by")
    web = make_ci(server, "web-01", organisation=cast.org, attributes={"os": "Linux", "cpu_count": 8})
    db = make_ci(vm, "db-01", attributes={"os": "Windows", "cpu_count": 4})
    erp = make_ci(app, "ERP", organisation=cast.org)
    finance = make_ci(service, "Finance", organisation=cast.org)
    link(erp, web, runs_on)
    link(erp, db, runs_on)
    link(finance, erp, depends)
    return {"server": server, "vm": vm, "web": web, "db": db, "erp": erp, "finance": finance, "runs_on": runs_on,
            "depends": depends}


class CIEndpoint(EndpointMatrix):
    """An endpoint of one CI of the cast's organisation."""

    def subject(self, cast):
        return estate(cast)["web"]

    def snapshot(self, subject):
        ci = ConfigurationItem.objects.get(pk=subject.pk)
        return (ci.version, ci.name, ci.attributes, Relationship.objects.count(), ConfigurationItem.objects.count())


class TestCIList(CIEndpoint):
    path = f"{BASE}/cis/"
    expect = row(401, SEES, SEES, SEES, HIDDEN, SEES, SEES, SEES, SEES)


class TestCIRetrieve(CIEndpoint):
    path = BASE + "/cis/{subject.pk}/"
    expect = row(401, 200, 200, 200, 404, 200, 200, 200, 200)


class TestCICreate(CIEndpoint):
    method = "post"
    path = f"{BASE}/cis/"
    expect = row(401, 403, 403, 403, 403, 201, 201, 201, 201)

    def payload(self, cast, subject, user):
        return {"ci_class": "server", "name": "web-02", "attributes": {"os": "Linux"}}


class TestCIUpdate(CIEndpoint):
    method = "patch"
    path = BASE + "/cis/{subject.pk}/"
    expect = row(401, 403, 403, 403, 404, 200, 200, 200, 200)

    def payload(self, cast, subject, user):
        return {"version": 1, "name": "web-01a"}


class TestCIDeleteIsNotOffered(CIEndpoint):
    method = "delete"
    path = BASE + "/cis/{subject.pk}/"
    expect = row(401, 405, 405, 405, 405, 405, 405, 405, 405)


class TestCIImpact(CIEndpoint):
    path = BASE + "/cis/{subject.pk}/impact/"
    expect = row(401, 200, 200, 200, 404, 200, 200, 200, 200)


class TestCIHistory(CIEndpoint):
    path = BASE + "/cis/{subject.pk}/history/"
    expect = row(401, 403, 403, 403, 404, 200, 200, 200, 200)


class TestRelationshipCreate(CIEndpoint):
    method = "post"
    path = f"{BASE}/relationships/"
    expect = row(401, 403, 403, 403, 403, 201, 201, 201, 201)

    def payload(self, cast, subject, user):
        finance = ConfigurationItem.objects.get(name="Finance")
        return {"source": finance.pk, "type": "depends_on", "target": subject.pk}


class TestRelationshipDelete(CIEndpoint):
    method = "delete"
    path = BASE + "/relationships/{subject.rel_id}/"
    expect = row(401, 403, 403, 403, 404, 204, 204, 204, 204)

    def subject(self, cast):
        ci = super().subject(cast)
        ci.rel_id = Relationship.objects.get(target=ci).pk
        return ci


class TestClassCreate(CIEndpoint):
    method = "post"
    path = f"{BASE}/classes/"
    expect = row(401, 403, 403, 403, 403, 403, 403, 403, 201)

    def payload(self, cast, subject, user):
        return {"code": "printer", "name": "Printer", "parent": None}


class TestClassList(CIEndpoint):
    path = f"{BASE}/classes/"
    expect = row(401, 200, 200, 200, 200, 200, 200, 200, 200)


class TestImportCreate(CIEndpoint):
    method = "post"
    path = f"{BASE}/import-jobs/"
    format = "multipart"
    expect = row(401, 403, 403, 403, 403, 201, 201, 201, 201)

    def payload(self, cast, subject, user):
        return {"file": SimpleUploadedFile("x.csv", b"class,external_key,name,attr.os\nserver,k1,K1,Linux\n"),
                "source": "scanner"}

    def snapshot(self, subject):
        return ConfigurationItem.objects.count()


def names(response):
    assert response.status_code == 200, response.json()
    return sorted(item["name"] for item in response.json()["results"])


def test_filters_on_class_state_owner_organisation_and_attributes(cast):
    e = estate(cast)
    services.update_ci(e["db"], actor=cast.agent, version=1, owner=cast.agent, state=Lifecycle.MAINTENANCE)
    client = api_client(cast.agent)
    assert names(client.get(f"{BASE}/cis/", {"attr": "os:Linux"})) == ["web-01"]
    assert names(client.get(f"{BASE}/cis/", {"attributes__os": "windows"})) == ["db-01"]  # typed as the choice
    assert names(client.get(f"{BASE}/cis/", {"attr": "cpu_count:8"})) == ["web-01"]  # the JSON number 8
    assert names(client.get(f"{BASE}/cis/", {"attr": ["os:Linux", "cpu_count:4"]})) == []
    assert names(client.get(f"{BASE}/cis/", {"ci_class": "server"})) == ["db-01", "web-01"]  # with the subclass
    assert names(client.get(f"{BASE}/cis/", {"ci_class": "virtual_machine"})) == ["db-01"]
    assert names(client.get(f"{BASE}/cis/", {"state": "maintenance"})) == ["db-01"]
    assert names(client.get(f"{BASE}/cis/", {"owner": cast.agent.pk})) == ["db-01"]
    assert names(client.get(f"{BASE}/cis/", {"organisation": cast.org.pk})) == ["ERP", "Finance", "web-01"]
    assert names(client.get(f"{BASE}/cis/", {"q": "web"})) == ["web-01"]
    bad = client.get(f"{BASE}/cis/", {"attr": "os=Linux"})
    assert bad.status_code == 400 and "key:value" in str(bad.json())


def test_list_costs_a_constant_number_of_queries(cast):
    e = estate(cast)
    client = api_client(cast.agent)
    client.get(f"{BASE}/cis/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/cis/")
    for i in range(10):
        make_ci(e["server"], f"extra-{i}", owner=cast.agent, organisation=cast.org, attributes={"os": "Linux"})
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{BASE}/cis/").json()["results"]) == 14
    assert len(many) == len(few)


def test_create_and_update_name_the_failing_attribute_and_check_the_version(cast):
    estate(cast)
    client = api_client(cast.agent)
    response = client.post(f"{BASE}/cis/", {"ci_class": "server", "name": "x", "attributes": {"cpu_count": "many"}},
                           format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"attributes.cpu_count", "attributes.os"}
    response = client.post(f"{BASE}/cis/", {"ci_class": "server", "name": "x", "attributes": {"os": "Linux"},
                                           "colour": "red"}, format="json")
    assert response.status_code == 400 and "colour" in response.json()
    ci = ConfigurationItem.objects.get(name="web-01")
    response = client.patch(f"{BASE}/cis/{ci.pk}/", {"version": 1, "attributes": {"cpu_count": None}}, format="json")
    assert response.status_code == 200 and response.json()["attributes"] == {"os": "Linux"}
    response = client.patch(f"{BASE}/cis/{ci.pk}/", {"version": 1, "name": "late"}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 2


def test_impact_down_and_up_with_affected_services(cast):
    e = estate(cast)
    client = api_client(cast.agent)
    body = client.get(f"{BASE}/cis/{e['web'].pk}/impact/").json()
    assert [(i["name"], i["depth"]) for i in body["items"]] == [("ERP", 1), ("Finance", 2)]
    assert [s["name"] for s in body["affected"]["services"]] == ["Finance"]
    assert [o["name"] for o in body["affected"]["organisations"]] == ["Acme"]
    body = client.get(f"{BASE}/cis/{e['finance'].pk}/impact/", {"direction": "up", "depth": 1}).json()
    assert [(i["name"], i["depth"]) for i in body["items"]] == [("ERP", 1)] and "affected" not in body
    assert client.get(f"{BASE}/cis/{e['web'].pk}/impact/", {"direction": "sideways"}).status_code == 400
    # an end user sees only their organisation's CIs in the answer (db-01 has none)
    body = api_client(cast.end_user).get(f"{BASE}/cis/{e['finance'].pk}/impact/", {"direction": "up"}).json()
    assert [i["name"] for i in body["items"]] == ["ERP", "web-01"]
    body = client.get(f"{BASE}/cis/affected-services/", {"ci": [e["db"].pk, e["web"].pk]}).json()
    assert [s["name"] for s in body["services"]] == ["Finance"] and body["user_count"] >= 2
    assert client.get(f"{BASE}/cis/affected-services/").status_code == 400


def test_relationships_read_from_each_end_and_bad_links_are_refused(cast):
    e = estate(cast)
    client = api_client(cast.agent)
    body = client.get(f"{BASE}/cis/{e['erp'].pk}/relationships/").json()["results"]
    assert sorted((r["direction"], r["label"], r["other"]["name"]) for r in body) == [
        ("incoming", "is depended on by", "Finance"), ("outgoing", "runs on", "db-01"), ("outgoing", "runs on",
                                                                                          "web-01")]
    body = client.get(f"{BASE}/cis/{e['web'].pk}/relationships/").json()["results"]
    assert [(r["label"], r["other"]["name"]) for r in body] == [("hosts", "ERP")]
    refused = client.post(f"{BASE}/relationships/", {"source": e["web"].pk, "type": "runs_on", "target": e["erp"].pk})
    assert refused.status_code == 400 and "may not form a loop" in refused.json()["target"][0]
    refused = client.post(f"{BASE}/relationships/", {"source": e["web"].pk, "type": "runs_on",
                                                     "target": e["web"].pk})
    assert refused.json() == {"target": ["A CI cannot be related to itself."]}
    listed = client.get(f"{BASE}/relationships/", {"ci": e["web"].pk}).json()["results"]
    assert [r["reading"] for r in listed] == ["ERP runs on web-01"]


def test_history_through_the_api(cast):
    e = estate(cast)
    services.update_ci(e["web"], actor=cast.agent, version=1, name="web-01b")
    body = api_client(cast.agent).get(f"{BASE}/cis/{e['web'].pk}/history/").json()["results"]
    assert [r["kind"] for r in body] == ["created", "updated", "related"]
    assert body[1]["changes"] == [{"field": "name", "old": "web-01", "new": "web-01b"}]
    compare = api_client(cast.agent).get(f"{BASE}/cis/{e['web'].pk}/compare/", {"from": "2000-01-01T00:00:00Z",
                                                                                 "to": "2100-01-01T00:00:00Z"})
    assert compare.status_code == 200 and compare.json()["added"] == ["web-01b hosts ERP"]


def test_import_through_the_api_reports_rows(cast):
    estate(cast)
    client = api_client(cast.agent)
    upload = SimpleUploadedFile("x.csv", b"class,external_key,name,attr.os\nserver,k1,K1,Linux\nserver,k2,K2,BeOS\n")
    response = client.post(f"{BASE}/import-jobs/", {"file": upload, "source": "scanner"}, format="multipart")
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["state"] == "done" and job["summary"]["cis"]["created"] == 1 and job["summary"]["cis"]["refused"] == 1
    rows = client.get(f"{BASE}/import-jobs/{job['id']}/rows/", {"outcome": "refused"}).json()["results"]
    assert rows == [{"row": 3, "section": "cis", "key": "k2", "ci": None, "outcome": "refused",
                     "errors": {"attr.os": "Operating system (os) must be one of Linux, Windows; got “BeOS”."}}]
    bad = client.post(f"{BASE}/import-jobs/", {"file": SimpleUploadedFile("x.exe", b"MZ\x00\x00")},
                      format="multipart")
    assert bad.status_code == 400 and "binary file" in bad.json()["detail"]


def test_a_file_over_the_limit_answers_413(cast, settings):
    settings.CMDB_IMPORT_MAX_BYTES = 10
    response = api_client(cast.agent).post(
        f"{BASE}/import-jobs/", {"file": SimpleUploadedFile("x.csv", b"class,external_key\nserver,k\n")},
        format="multipart")
    assert response.status_code == 413 and not ImportJob.objects.exists()


@pytest.mark.slow
def test_a_large_import_runs_on_the_worker(cast, settings, celery_worker_process):
    estate(cast)
    settings.CMDB_IMPORT_SYNC_MAX_BYTES = 10
    lines = ["class,external_key,name,attr.os"] + [f"server,bulk-{i},bulk {i},Linux" for i in range(300)]
    upload = SimpleUploadedFile("bulk.csv", ("\n".join(lines) + "\n").encode())
    response = api_client(cast.agent).post(f"{BASE}/import-jobs/", {"file": upload}, format="multipart")
    assert response.status_code == 202 and response.json()["state"] == "queued"
    job_id = response.json()["id"]
    assert celery_worker_process(lambda: ImportJob.objects.get(pk=job_id).is_finished, timeout=60)
    job = ImportJob.objects.get(pk=job_id)
    assert job.state == ImportState.DONE, job.error
    assert job.summary["cis"]["created"] == 300
    assert ConfigurationItem.objects.filter(external_source="import").count() == 300


def test_class_definitions_through_the_api(cast):
    estate(cast)
    admin = api_client(cast.admin)
    body = admin.get(f"{BASE}/classes/", {"code": "virtual_machine"}).json()["results"][0]
    assert [(a["key"], a["ci_class"]) for a in body["attributes"]] == [("os", "server"), ("cpu_count", "server")]
    response = admin.post(f"{BASE}/attribute-definitions/", {"ci_class": "server", "key": "rack", "label": "Rack",
                                                              "type": "choice", "choices": []}, format="json")
    assert response.status_code == 400 and "choices" in response.json()
    response = admin.post(f"{BASE}/attribute-definitions/", {"ci_class": "virtual_machine", "key": "os",
                                                              "label": "OS"}, format="json")
    assert response.status_code == 400 and "already defines" in response.json()["key"][0]
    assert admin.delete(f"{BASE}/classes/{CIClass.objects.get(code='server').pk}/").status_code == 409


def test_a_choice_attribute_can_be_defined_through_the_api(cast):
    estate(cast)
    admin = api_client(cast.admin)
    response = admin.post(f"{BASE}/attribute-definitions/", {"ci_class": "server", "key": "tier", "label": "Tier",
                                                              "type": "choice", "choices": ["gold", "silver"]},
                          format="json")
    assert response.status_code == 201 and response.json()["choices"] == ["gold", "silver"]
    response = admin.patch(f"{BASE}/attribute-definitions/{response.json()['id']}/", {"choices": ["gold", "gold"]},
                           format="json")
    assert response.status_code == 400 and "repeat" in response.json()["choices"][0]


def test_compare_refuses_impossible_instants_and_reads_plain_ones_in_local_time(cast):
    e = estate(cast)
    client = api_client(cast.agent)
    url = f"{BASE}/cis/{e['web'].pk}/compare/"
    response = client.get(url, {"from": "2024-13-45T00:00:00", "to": "2024-01-01T00:00:00"})
    assert response.status_code == 400 and "from" in response.json()
    response = client.get(url, {"from": "2000-01-01T00:00:00", "to": "2100-01-01T00:00:00"})
    assert response.status_code == 200 and response.json()["exists_after"] is True
