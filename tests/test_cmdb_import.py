"""Bulk import: idempotent (same file twice changes nothing), updates what changed, reports every row, refuses bad
rows without storing anything of them, refuses bad files whole, and flags CIs their source stopped reporting."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cmdb import importer
from cmdb.choices import AttributeType, ImportOutcome, ImportState, Lifecycle
from cmdb.import_files import FileRefused
from cmdb.models import ConfigurationItem, Relationship
from cmdb.testing import make_ci, make_class, make_type
from core.exceptions import PayloadTooLarge
from core.messages import shown

pytestmark = pytest.mark.django_db

SERVERS = """class,external_key,name,state,owner,organisation,location,attr.os,attr.cpu_count,attr.serial
server,srv-1,Web 01,in_use,agent,acme,机房 A,Linux,8,SN-1
server,srv-2,Web 02,,,,,windows,4,SN-2
application,app-1,ERP 系统,planned,,,,,,
"""
RELATIONSHIPS = """source_key,type,target_key
app-1,runs_on,srv-1
app-1,runs_on,srv-2
"""


@pytest.fixture
def schema(db):
    server = make_class("server", "Server", attributes=[
        {"key": "os", "label": "Operating system", "type": AttributeType.CHOICE, "choices": ["Linux", "Windows"],
         "required": True},
        {"key": "cpu_count", "label": "CPUs", "type": AttributeType.INTEGER},
        {"key": "serial", "label": "Serial number", "unique": True},
    ])
    app = make_class("application", "Application")
    runs_on = make_type("runs_on", forward="runs on", reverse="hosts", allows_cycles=False, sources=[app],
                        targets=[server])
    depends = make_type("depends_on", forward="depends on", reverse="is depended on by", allows_cycles=True)
    return {"server": server, "app": app, "runs_on": runs_on, "depends": depends}


def run(actor, text, *, relationships=None, name="estate.csv", source="discovery"):
    upload = SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)
    rel = SimpleUploadedFile("links.csv", relationships.encode()) if relationships else None
    job = importer.create_job(actor=actor, file=upload, relationships_file=rel, external_source=source)
    return importer.run_job(job.pk)


def row_errors(row):
    """A row's problems as a reader sees them (stored as msgid and parameters, shown in the active language)."""
    return {field: shown(message) for field, message in row["errors"].items()}


def outcomes(job, section="cis"):
    return [(r["row"], r["outcome"]) for r in job.rows if r["section"] == section]


def events():
    return ConfigurationItem.pgh_event_model.objects.count() + Relationship.pgh_event_model.objects.count()


def test_first_import_creates_and_reports_each_row(cast, schema):
    job = run(cast.agent, SERVERS, relationships=RELATIONSHIPS)
    assert job.state == ImportState.DONE and job.payload == b""
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "created")]
    assert outcomes(job, "relationships") == [(2, "created"), (3, "created")]
    assert job.summary["cis"] == {"created": 3, "updated": 0, "unchanged": 0, "refused": 0}
    web = ConfigurationItem.objects.get(external_key="srv-1")
    assert (web.name, web.state, web.owner, web.organisation, web.location) == (
        "Web 01", Lifecycle.IN_USE, cast.agent, cast.org, "机房 A")
    assert web.attributes == {"os": "Linux", "cpu_count": 8, "serial": "SN-1"}
    assert ConfigurationItem.objects.get(external_key="srv-2").attributes["os"] == "Windows"
    assert web.last_seen_at is not None and web.external_source == "discovery"
    erp = ConfigurationItem.objects.get(external_key="app-1")
    assert sorted(r.target.external_key for r in erp.outgoing.all()) == ["srv-1", "srv-2"]
    event = ConfigurationItem.pgh_event_model.objects.filter(pgh_obj=web).get()
    assert event.pgh_context.metadata == {"user": cast.agent.pk, "action": "import", "import_job": job.pk}


def test_same_file_twice_changes_nothing(cast, schema):
    run(cast.agent, SERVERS, relationships=RELATIONSHIPS)
    before = {ci.pk: (ci.version, ci.updated_at, ci.last_seen_at) for ci in ConfigurationItem.objects.all()}
    count = events()
    job = run(cast.agent, SERVERS, relationships=RELATIONSHIPS)
    assert job.summary["cis"] == {"created": 0, "updated": 0, "unchanged": 3, "refused": 0}
    assert job.summary["relationships"] == {"created": 0, "unchanged": 2, "refused": 0}
    assert events() == count, "an unchanged import writes no history"
    for ci in ConfigurationItem.objects.all():
        version, updated_at, seen = before[ci.pk]
        assert (ci.version, ci.updated_at) == (version, updated_at)
        assert ci.last_seen_at >= seen
    assert Relationship.objects.count() == 2


def test_a_changed_attribute_is_updated(cast, schema):
    run(cast.agent, SERVERS)
    job = run(cast.agent, SERVERS.replace("Linux,8,SN-1", "Linux,16,SN-1"))
    assert outcomes(job) == [(2, "updated"), (3, "unchanged"), (4, "unchanged")]
    web = ConfigurationItem.objects.get(external_key="srv-1")
    assert web.attributes["cpu_count"] == 16 and web.version == 2
    update = ConfigurationItem.pgh_event_model.objects.filter(pgh_obj=web, pgh_label="update").get()
    assert update.attributes["cpu_count"] == 16


def test_empty_cells_keep_what_the_cmdb_has(cast, schema):
    run(cast.agent, SERVERS)
    job = run(cast.agent, "class,external_key,attr.cpu_count\nserver,srv-1,12\n")
    assert outcomes(job) == [(2, "updated")]
    web = ConfigurationItem.objects.get(external_key="srv-1")
    assert (web.name, web.owner, web.attributes) == ("Web 01", cast.agent, {"os": "Linux", "cpu_count": 12,
                                                                            "serial": "SN-1"})


def test_bad_rows_are_refused_naming_row_and_field_and_the_rest_goes_in(cast, schema):
    make_ci(schema["server"], "Existing", attributes={"os": "Linux", "serial": "SN-TAKEN"})
    text = "\n".join([
        "class,external_key,name,state,owner,attr.os,attr.cpu_count,attr.serial,attr.colour",
        "router,r-1,Router,,,,,,",                    # 2 unknown class
        "server,s-1,Good,,,Linux,2,SN-10,",           # 3 fine
        "server,s-2,Bad type,,,Linux,two,,",          # 4 wrong type
        "server,s-3,No OS,,,,,,",                     # 5 missing required
        "server,s-4,Dup DB,,,Linux,,SN-TAKEN,",       # 6 unique clash with the CMDB
        "server,s-5,Dup file,,,Linux,,SN-10,",        # 7 unique clash with row 3
        "server,s-1,Again,,,Linux,,,",                # 8 key twice
        "server,s-6,Who,,nobody,Linux,,,",            # 9 unknown owner
        "server,s-7,State,lost,,Linux,,,",            # 10 bad state
        "server,s-8,Colour,,,Linux,,,red",            # 11 unknown attribute
        ",s-9,No class,,,,,,",                        # 12 no class
        "server,,No key,,,Linux,,,",                  # 13 no key
    ])
    job = run(cast.agent, text + "\n")
    refused = {r["row"]: row_errors(r) for r in job.rows if r["outcome"] == ImportOutcome.REFUSED}
    assert refused == {
        2: {"class": "Unknown CI class “router”."},
        4: {"attr.cpu_count": "CPUs (cpu_count) must be a whole number; got “two”."},
        5: {"attr.os": "Operating system (os) is required for class Server."},
        6: {"attr.serial": f"Serial number (serial) “SN-TAKEN” is already used by CI "
                           f"#{ConfigurationItem.objects.get(name='Existing').pk}."},
        7: {"attr.serial": "Serial number (serial) “SN-10” is already used by row 3."},
        8: {"external_key": "“s-1” appears more than once in the file (first at row 3)."},
        9: {"owner": "No user “nobody”."},
        10: {"state": "“lost” is not a lifecycle state (planned, in_stock, in_use, maintenance, retired, "
                      "disposed)."},
        11: {"attr.colour": "“colour” is not an attribute of class Server."},
        12: {"class": "A class is required."},
        13: {"external_key": "An external key is required: it is how the next import finds this CI."},
    }
    assert job.summary["cis"] == {"created": 1, "updated": 0, "unchanged": 0, "refused": 11}
    assert sorted(ConfigurationItem.objects.values_list("name", flat=True)) == ["Existing", "Good"]


def test_a_class_change_is_refused(cast, schema):
    run(cast.agent, SERVERS)
    job = run(cast.agent, "class,external_key\napplication,srv-1\n")
    assert row_errors(job.rows[0]) == {"class": "“srv-1” is a Server in the CMDB; an import does not change a CI's "
                                              "class."}


def test_partial_files_leave_the_rest_alone_and_stale_cis_are_flagged(cast, schema, settings):
    run(cast.agent, SERVERS)
    long_ago = timezone.now() - timedelta(days=40)
    ConfigurationItem.objects.update(last_seen_at=long_ago)
    settings.CMDB_STALE_AFTER_DAYS = 30
    job = run(cast.agent, "class,external_key,name\nserver,srv-1,Web 01\n")
    assert outcomes(job) == [(2, "unchanged")]
    assert ConfigurationItem.objects.count() == 3
    assert sorted(ConfigurationItem.objects.stale().values_list("external_key", flat=True)) == ["app-1", "srv-2"]
    assert job.summary["stale"] == 2
    make_ci(schema["app"], "Hand-made")  # CIs entered by hand are never stale
    assert ConfigurationItem.objects.stale().count() == 2


def test_relationship_rows_are_checked_like_the_services(cast, schema):
    run(cast.agent, SERVERS, relationships=RELATIONSHIPS)
    links = "\n".join([
        "source_key,type,target_key",
        "app-1,hosts,srv-1",          # 2 unknown type
        "app-1,runs_on,srv-9",        # 3 unknown CI
        "srv-1,depends_on,srv-1",     # 4 itself
        "srv-1,runs_on,app-1",        # 5 classes not allowed
        "srv-1,depends_on,srv-2",     # 6 fine
        "srv-2,depends_on,srv-1",     # 7 fine: depends_on allows loops
        "app-1,runs_on,srv-1",        # 8 unchanged
    ])
    job = run(cast.agent, SERVERS, relationships=links + "\n")
    assert {r["row"]: (r["outcome"], row_errors(r)) for r in job.rows if r["section"] == "relationships"} == {
        2: ("refused", {"type": "Unknown relationship type “hosts”."}),
        3: ("refused", {"target_key": "No CI with external key “srv-9” in source “discovery” (or its row was "
                                      "refused)."}),
        4: ("refused", {"target_key": "A CI cannot be related to itself."}),
        5: ("refused", {"source_key": "A Server cannot be the source of “Runs on” relationships.",
                        "target_key": "A Application cannot be the target of “Runs on” relationships."}),
        6: ("created", {}), 7: ("created", {}), 8: ("unchanged", {}),
    }
    assert Relationship.objects.count() == 4


def test_a_loop_of_a_forbidding_type_is_refused_within_one_file(cast, schema):
    part_of = make_type("part_of", forward="is part of", reverse="has part", allows_cycles=False)
    assert part_of.pk
    text = "class,external_key,name\napplication,a,A\napplication,b,B\napplication,c,C\n"
    links = "source_key,type,target_key\na,part_of,b\nb,part_of,c\nc,part_of,a\n"
    job = run(cast.agent, text, relationships=links)
    assert outcomes(job, "relationships") == [(2, "created"), (3, "created"), (4, "refused")]
    assert "may not form a loop" in row_errors(job.rows[-1])["target_key"]


def test_json_with_relationships_and_null_removing_an_attribute(cast, schema):
    document = {
        "cis": [
            {"class": "server", "external_key": "srv-1", "name": "Web 01",
             "attributes": {"os": "Linux", "cpu_count": 8}},
            {"class": "application", "external_key": "app-1", "name": "ERP"},
            {"class": "server", "external_key": "srv-x", "name": "Bad", "attributes": {"os": "Linux"}, "rack": 3},
            "not an object",
        ],
        "relationships": [{"source_key": "app-1", "type": "runs_on", "target_key": "srv-1"}],
    }
    job = run(cast.agent, json.dumps(document), name="export.json")
    assert outcomes(job) == [(1, "created"), (2, "created"), (3, "refused"), (4, "refused")]
    assert row_errors(job.rows[2]) == {"rack": "Unknown field."}
    assert outcomes(job, "relationships") == [(1, "created")]
    document["cis"][0]["attributes"]["cpu_count"] = None
    job = run(cast.agent, json.dumps(document), name="export.json")
    assert outcomes(job)[0] == (1, "updated")
    assert ConfigurationItem.objects.get(external_key="srv-1").attributes == {"os": "Linux"}


@pytest.mark.parametrize(("name", "content", "message"), [
    ("estate.xlsx", b"PK\x03\x04\x00\x00binary", "binary file"),
    ("estate.pdf", b"%PDF-1.7 something", "neither a CSV nor a JSON file"),
    ("estate.csv", "class,external_key\n".encode("utf-16"), "binary file"),
    ("estate.csv", b"class,external_key\nserver,\xff\xfe\n", "not UTF-8"),
])
def test_a_file_that_is_not_csv_or_json_is_refused_whole(cast, schema, name, content, message):
    with pytest.raises(FileRefused, match=message):
        run(cast.agent, content, name=name)
    assert not ConfigurationItem.objects.exists()


def test_a_file_with_an_unknown_column_or_broken_json_fails_whole(cast, schema):
    job = run(cast.agent, "class,external_key,colour\nserver,s,red\n")
    assert job.state == ImportState.FAILED and "unknown column “colour”" in job.error
    job = run(cast.agent, '{"cis": [', name="broken.json")
    assert job.state == ImportState.FAILED and "not valid JSON" in job.error
    job = run(cast.agent, '{"servers": []}', name="x.json")
    assert job.state == ImportState.FAILED and "unknown section “servers”" in job.error
    assert not ConfigurationItem.objects.exists()


def test_a_file_over_the_limit_is_refused_whole(cast, schema, settings):
    settings.CMDB_IMPORT_MAX_BYTES = 100
    with pytest.raises(PayloadTooLarge):
        run(cast.agent, SERVERS)
    assert not ConfigurationItem.objects.exists()


def test_only_staff_import(cast, schema):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(cast.end_user, SERVERS)


def test_a_finished_job_is_not_run_again(cast, schema):
    job = run(cast.agent, SERVERS)
    ConfigurationItem.objects.all().delete()
    assert importer.run_job(job.pk).state == ImportState.DONE
    assert not ConfigurationItem.objects.exists()


def test_row_problems_are_shown_in_the_readers_language_not_the_importers(cast, schema, client):
    from django.utils import translation

    with translation.override("en"):
        job = run(cast.agent, "class,external_key,name,attr.os,attr.cpu_count\nrouter,r-1,Router,,\n"
                              "server,s-2,Bad type,Linux,two\n")
    with translation.override("zh-hans"):
        shown_in_chinese = [row_errors(row) for row in job.rows]
    assert shown_in_chinese[0]["class"] == "未知的配置项类“router”。"
    assert "整数" in shown_in_chinese[1]["attr.cpu_count"] and "two" in shown_in_chinese[1]["attr.cpu_count"]
    cast.agent.language = "zh-hans"
    cast.agent.save(update_fields=["language"])
    client.force_login(cast.agent)
    page = client.get(f"/cmdb/import/{job.pk}/?outcome=refused").content.decode()
    assert "未知的配置项类“router”。" in page and "Unknown CI class" not in page
