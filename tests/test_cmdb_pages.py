"""CMDB pages: who sees which CI, filters, creating and editing CIs (errors on the attribute's own field),
relationships from the CI page, history and comparison, imports, and the seeded demo estate."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cmdb import graph
from cmdb.models import ConfigurationItem, Relationship
from tests.test_cmdb_api import estate

pytestmark = pytest.mark.django_db



def test_list_shows_what_each_person_may_see(cast, client, as_user):
    estate(cast)
    assert client.get(reverse("cmdb:list")).status_code == 302
    page = as_user(cast.end_user).get(reverse("cmdb:list")).content.decode()
    assert "web-01" in page and "ERP" in page and "db-01" not in page and "New CI" not in page
    page = as_user(cast.outsider).get(reverse("cmdb:list")).content.decode()
    assert "web-01" not in page
    page = as_user(cast.agent).get(reverse("cmdb:list"), {"attr": "os:Linux"}).content.decode()
    assert "web-01" in page and "db-01" not in page and "New CI" in page
    response = as_user(cast.agent).get(reverse("cmdb:list"), {"attr": "nonsense"})
    assert response.status_code == 400 and "key:value" in response.content.decode()


def test_detail_page_draws_and_lists_the_impact(cast, as_user):
    e = estate(cast)
    response = as_user(cast.agent).get(reverse("cmdb:detail", args=[e["web"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    data = json.loads(page.split('id="impact-graph-data" type="application/json">')[1].split("</script>")[0])
    assert {n["name"]: (n["side"], n["depth"]) for n in data["nodes"]} == {
        "web-01": ("self", 0), "ERP": ("down", 1), "Finance": ("down", 2)}
    assert len(data["edges"]) == 2
    assert "vendor/cytoscape/cytoscape.min.js" in page and "cmdb/impact-graph.js" in page
    assert f'web-01 <em>hosts</em> <a href="/cmdb/{e["erp"].pk}/">ERP</a>' in page
    assert 'data-key="os">Linux<' in page


def test_end_users_read_only_and_other_organisations_not_at_all(cast, as_user):
    e = estate(cast)
    page = as_user(cast.end_user).get(reverse("cmdb:detail", args=[e["web"].pk])).content.decode()
    assert "relationship-form" not in page and "edit-ci" not in page and 'id="history"' not in page
    assert as_user(cast.end_user).get(reverse("cmdb:detail", args=[e["db"].pk])).status_code == 404
    assert as_user(cast.outsider).get(reverse("cmdb:detail", args=[e["web"].pk])).status_code == 404
    for name, args in (("edit", [e["web"].pk]), ("history", [e["web"].pk]), ("create", []), ("import", [])):
        assert as_user(cast.end_user).get(reverse(f"cmdb:{name}", args=args)).status_code == 403


def test_create_puts_the_service_errors_on_the_attribute_fields(cast, as_user):
    estate(cast)
    client = as_user(cast.agent)
    assert "virtual_machine" in client.get(reverse("cmdb:create")).content.decode()
    url = reverse("cmdb:create") + "?class=server"
    response = client.post(url, {"name": "web-09", "state": "in_use", "attr_cpu_count": "lots"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="attr_cpu_count">CPUs (cpu_count) must be a whole number' in page
    assert 'data-field="attr_os">Operating system (os) is required' in page
    response = client.post(url, {"name": "web-09", "state": "in_use", "attr_os": "Linux", "attr_cpu_count": "2"})
    ci = ConfigurationItem.objects.get(name="web-09")
    assert response.status_code == 302 and ci.attributes == {"os": "Linux", "cpu_count": 2}


def test_edit_checks_the_version(cast, as_user):
    e = estate(cast)
    client = as_user(cast.agent)
    url = reverse("cmdb:edit", args=[e["web"].pk])
    form = {"name": "web-01x", "state": "maintenance", "attr_os": "Linux", "attr_cpu_count": "", "version": 1}
    assert client.post(url, form).status_code == 302
    web = ConfigurationItem.objects.get(pk=e["web"].pk)
    assert (web.name, web.state, web.attributes, web.version) == ("web-01x", "maintenance", {"os": "Linux"}, 2)
    response = client.post(url, {**form, "name": "late"})
    assert response.status_code == 409 and "Someone else changed" in response.content.decode()


def test_relationships_from_the_ci_page(cast, as_user):
    e = estate(cast)
    client = as_user(cast.agent)
    url = reverse("cmdb:relationship-add", args=[e["db"].pk])
    response = client.post(url, {"type": e["depends"].pk, "direction": "outgoing", "other": "db-01"})
    assert response.status_code == 400 and "A CI cannot be related to itself." in response.content.decode()
    response = client.post(url, {"type": e["runs_on"].pk, "direction": "incoming", "other": "ERP"})
    assert response.status_code == 400 and "ERP already runs on db-01." in response.content.decode()
    response = client.post(url, {"type": e["depends"].pk, "direction": "outgoing", "other": str(e["web"].pk)})
    assert response.status_code == 302
    rel = Relationship.objects.get(source=e["db"], target=e["web"])
    assert graph.dependants([e["web"].pk]) == {e["db"].pk: 1, e["erp"].pk: 1, e["finance"].pk: 2}
    response = client.post(reverse("cmdb:relationship-delete", args=[e["db"].pk, rel.pk]))
    assert response.status_code == 302 and not Relationship.objects.filter(pk=rel.pk).exists()


def test_history_and_compare_pages(cast, as_user):
    e = estate(cast)
    client = as_user(cast.agent)
    client.post(reverse("cmdb:edit", args=[e["web"].pk]),
                {"name": "web-01", "state": "in_use", "attr_os": "Windows", "attr_cpu_count": "8", "version": 1})
    page = client.get(reverse("cmdb:history", args=[e["web"].pk])).content.decode()
    assert "Operating system:</span> Linux → <strong>Windows</strong>" in page
    response = client.get(reverse("cmdb:compare", args=[e["web"].pk]),
                          {"earlier": "2000-01-01T00:00", "later": "2100-01-01T00:00"})
    assert response.status_code == 200 and "web-01 hosts ERP" in response.content.decode()
    assert client.get(reverse("cmdb:compare", args=[e["web"].pk]), {"earlier": "x"}).status_code == 400


def test_import_page_shows_the_refused_rows(cast, as_user):
    estate(cast)
    client = as_user(cast.agent)
    upload = SimpleUploadedFile("estate.csv", b"class,external_key,name,attr.os\nserver,s1,S1,Linux\nrouter,r1,R1,\n")
    response = client.post(reverse("cmdb:import"), {"file": upload, "source": "sheet"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Unknown CI class “router”." in page and 'data-state="done"' in page
    response = client.post(reverse("cmdb:import"), {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4"),
                                                    "source": "sheet"})
    assert response.status_code == 400 and "neither a CSV nor a JSON file" in response.content.decode()


def test_seed_cmdb_demo_is_idempotent_and_its_estate_is_connected(db, capsys):
    call_command("seed_cmdb_demo")
    first = capsys.readouterr().out
    call_command("seed_cmdb_demo")
    second = capsys.readouterr().out
    assert "refused 0" in first and "created 0, updated 0, unchanged" in second
    core = ConfigurationItem.objects.get(external_key="sw-core-a")
    hit = graph.affected_services([core.pk])
    names = {s.external_key for s in hit.services}
    assert {"bs-finance", "bs-email", "bs-logistics", "ts-network"} <= names
    assert {o.code for o in hit.organisations} >= {"hq", "ecl"}
    classes = set(ConfigurationItem.objects.values_list("ci_class__code", flat=True).distinct())
    assert classes >= {"server", "virtual_machine", "network_device", "desktop", "laptop", "mobile_device",
                       "application", "database", "business_service", "technical_service", "document", "contract",
                       "telecom_line"}


def test_list_and_detail_pages_cost_a_bounded_number_of_queries(cast, as_user, django_assert_max_num_queries):
    e = estate(cast)
    client = as_user(cast.agent)
    client.get(reverse("cmdb:list"))
    for i in range(30):
        ConfigurationItem.objects.create(ci_class=e["server"], name=f"extra-{i}", owner=cast.agent,
                                         organisation=cast.org, attributes={"os": "Linux"})
    with django_assert_max_num_queries(8):
        assert client.get(reverse("cmdb:list")).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("cmdb:detail", args=[e["erp"].pk])).status_code == 200


def test_admin_defines_classes_and_removing_an_attribute_clears_its_values(cast, client):
    from cmdb.models import AttributeDefinition

    e = estate(cast)
    cast.admin.is_staff = cast.admin.is_superuser = True  # Django's admin site: model permissions
    cast.admin.save()
    client.force_login(cast.admin)
    server = e["server"]
    url = reverse("admin:cmdb_ciclass_change", args=[server.pk])
    assert client.get(url).status_code == 200
    definitions = list(AttributeDefinition.objects.filter(ci_class=server).order_by("pk"))
    form = {"name": server.name, "code": server.code, "parent": "", "colour": server.colour, "description": "",
            "attribute_definitions-TOTAL_FORMS": str(len(definitions)),
            "attribute_definitions-INITIAL_FORMS": str(len(definitions)),
            "attribute_definitions-MIN_NUM_FORMS": "0", "attribute_definitions-MAX_NUM_FORMS": "1000"}
    for n, d in enumerate(definitions):
        prefix = f"attribute_definitions-{n}-"
        form.update({f"{prefix}id": d.pk, f"{prefix}ci_class": server.pk, f"{prefix}position": d.position,
                     f"{prefix}key": d.key, f"{prefix}label": d.label, f"{prefix}type": d.type,
                     f"{prefix}choices": json.dumps(d.choices), f"{prefix}help_text": ""})
        if d.required:
            form[f"{prefix}required"] = "on"
        if d.key == "cpu_count":
            form[f"{prefix}DELETE"] = "on"
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not AttributeDefinition.objects.filter(key="cpu_count").exists()
    assert ConfigurationItem.objects.get(pk=e["web"].pk).attributes == {"os": "Linux"}


def test_odd_input_on_the_pages_is_refused_not_a_server_error(cast, as_user):
    e = estate(cast)
    client = as_user(cast.agent)
    assert client.get(reverse("cmdb:create") + "?class=%00").status_code == 200  # the class chooser again
    response = client.post(reverse("cmdb:relationship-add", args=[e["web"].pk]),
                           {"type": e["runs_on"].pk, "direction": "outgoing", "other": "²"})
    assert response.status_code == 400 and "No CI “²”." in response.content.decode()


def test_an_end_user_picks_only_their_own_organisation(cast, as_user):
    estate(cast)
    client = as_user(cast.end_user)
    page = client.get(reverse("cmdb:list")).content.decode()
    assert "Acme" in page and "Globex" not in page
    assert client.get(reverse("cmdb:list"), {"organisation": cast.other_org.pk}).status_code == 400


def test_the_import_report_shows_outcomes_by_their_labels(cast, as_user):
    estate(cast)
    client = as_user(cast.agent)
    upload = SimpleUploadedFile("estate.csv", b"class,external_key,name,attr.os\nrouter,r1,R1,\n")
    response = client.post(reverse("cmdb:import"), {"file": upload, "source": "sheet"})
    page = client.get(response["Location"]).content.decode()
    assert "Refused 1" in page and "<td>Refused</td>" in page and "<td>CIs</td>" in page
