"""Typed relationships and their rules (classes allowed, not to itself, no loop where the type forbids one), their
reading in both directions, and the history of CIs and relationships (who, when, old → new; two instants compared).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cmdb import history, services
from cmdb.choices import AttributeType
from cmdb.models import Relationship
from cmdb.testing import make_ci, make_class, make_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    hardware = make_class("hardware")
    server = make_class("server", parent=hardware)
    app = make_class("application")
    runs_on = make_type("runs_on", forward="runs on", reverse="hosts", allows_cycles=False, sources=[app],
                        targets=[hardware])
    depends = make_type("depends_on", forward="depends on", reverse="is depended on by", allows_cycles=True)
    return {
        "server": server, "app": app, "runs_on": runs_on, "depends": depends,
        "erp": make_ci(app, "ERP"), "crm": make_ci(app, "CRM"), "srv": make_ci(server, "srv-01"),
    }


def errors_of(call):
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def test_relationship_and_its_two_readings(cast, estate):
    rel = services.create_relationship(actor=cast.agent, source=estate["erp"], target=estate["srv"],
                                       type=estate["runs_on"])
    assert str(rel) == "ERP runs on srv-01"
    assert [str(r.source) for r in estate["srv"].incoming.all()] == ["ERP"]
    assert f"{rel.target} {rel.type.reverse_label} {rel.source}" == "srv-01 hosts ERP"


def test_a_subclass_of_an_allowed_class_is_allowed_and_others_are_not(cast, estate):
    errors = errors_of(lambda: services.create_relationship(actor=cast.agent, source=estate["srv"],
                                                            target=estate["erp"], type=estate["runs_on"]))
    assert errors == {"source": ["A Server cannot be the source of “Runs on” relationships."],
                      "target": ["A Application cannot be the target of “Runs on” relationships."]}
    assert not Relationship.objects.exists()


def test_not_to_itself_and_not_twice(cast, estate):
    errors = errors_of(lambda: services.create_relationship(actor=cast.agent, source=estate["erp"],
                                                            target=estate["erp"], type=estate["depends"]))
    assert errors == {"target": ["A CI cannot be related to itself."]}
    services.create_relationship(actor=cast.agent, source=estate["erp"], target=estate["crm"], type=estate["depends"])
    errors = errors_of(lambda: services.create_relationship(actor=cast.agent, source=estate["erp"],
                                                            target=estate["crm"], type=estate["depends"]))
    assert errors == {"target": ["ERP already depends on CRM."]}


def test_a_loop_is_refused_only_where_the_type_forbids_it(cast, estate):
    host = make_class("host", attributes=[{"key": "rack", "type": AttributeType.STRING}])
    part_of = make_type("part_of", forward="is part of", reverse="has part", allows_cycles=False)
    a, b, c = (make_ci(host, name) for name in "abc")
    services.create_relationship(actor=cast.agent, source=a, target=b, type=part_of)
    services.create_relationship(actor=cast.agent, source=b, target=c, type=part_of)
    errors = errors_of(lambda: services.create_relationship(actor=cast.agent, source=c, target=a, type=part_of))
    assert list(errors) == ["target"] and "may not form a loop" in errors["target"][0]
    # a type that allows loops takes the same link; the forbidding type is not confused by it
    services.create_relationship(actor=cast.agent, source=c, target=a, type=estate["depends"])
    services.create_relationship(actor=cast.agent, source=a, target=c, type=part_of)
    assert Relationship.objects.filter(type=part_of).count() == 3


def test_only_staff_relate_and_unrelate(cast, estate):
    with pytest.raises(PermissionDenied):
        services.create_relationship(actor=cast.end_user, source=estate["erp"], target=estate["crm"],
                                     type=estate["depends"])
    rel = services.create_relationship(actor=cast.agent, source=estate["erp"], target=estate["crm"],
                                       type=estate["depends"])
    with pytest.raises(PermissionDenied):
        services.delete_relationship(rel, actor=cast.end_user)
    services.delete_relationship(rel, actor=cast.agent)
    assert not Relationship.objects.exists()


def test_history_records_who_changed_what(cast, estate):
    server = make_class("rack_server", attributes=[{"key": "os", "label": "Operating system"}])
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="db-01", attributes={"os": "Windows"})
    ci = services.update_ci(ci, actor=cast.agent2, version=1, name="db-01a", owner=cast.lead,
                       attributes={"os": "Linux"})
    app = estate["erp"]
    depends = estate["depends"]
    rel = services.create_relationship(actor=cast.agent, source=app, target=ci, type=depends)
    services.delete_relationship(rel, actor=cast.lead)
    rows = history.ci_history(ci)
    assert [(r["kind"], r["who"]) for r in rows] == [
        ("created", str(cast.agent)), ("updated", str(cast.agent2)), ("related", str(cast.agent)),
        ("unrelated", str(cast.lead))]
    assert rows[1]["changes"] == [
        {"field": "name", "old": "db-01", "new": "db-01a"},
        {"field": "owner", "old": "—", "new": str(cast.lead)},
        {"field": "Operating system", "old": "Windows", "new": "Linux"},
    ]
    assert rows[1]["action"] == "update"
    assert rows[2]["relationship"] == "db-01a is depended on by ERP"
    # the triggers record writes that bypass the services too (make_ci), with no person
    assert [(r["kind"], r["who"]) for r in history.ci_history(app)] == [
        ("created", ""), ("related", str(cast.agent)), ("unrelated", str(cast.lead))]


def test_compare_two_instants(transactional_db, cast, estate):
    """Each service call commits on its own here: PostgreSQL stamps events with their transaction's start."""
    server = make_class("blade", attributes=[{"key": "os", "label": "Operating system"}])
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="b-1", attributes={"os": "Windows"})
    first = timezone.now()
    services.update_ci(ci, actor=cast.agent, version=1, attributes={"os": "Linux"})
    services.create_relationship(actor=cast.agent, source=estate["erp"], target=ci, type=estate["depends"])
    second = timezone.now()
    assert history.compare(ci, first, second) == {
        "existed_before": True, "exists_after": True,
        "changes": [{"field": "Operating system", "old": "Windows", "new": "Linux"}],
        "added": ["b-1 is depended on by ERP"], "removed": [],
    }
    before_creation = history.compare(ci, first.replace(year=2000), first)
    assert not before_creation["existed_before"] and before_creation["exists_after"]


def test_history_names_an_attribute_as_the_cis_own_class_does(cast):
    switch = make_class("switch", attributes=[{"key": "ip_address", "label": "Management IP",
                                               "type": AttributeType.IP_ADDRESS}])
    make_class("workstation", attributes=[{"key": "ip_address", "label": "IP address",
                                            "type": AttributeType.IP_ADDRESS}])
    ci = services.create_ci(actor=cast.agent, ci_class=switch, name="sw-01", attributes={"ip_address": "10.0.0.1"})
    services.update_ci(ci, actor=cast.agent, version=1, attributes={"ip_address": "10.0.0.2"})
    changes = history.ci_history(ci)[1]["changes"]
    assert changes == [{"field": "Management IP", "old": "10.0.0.1", "new": "10.0.0.2"}]
