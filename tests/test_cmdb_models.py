"""CI classes and their attribute definitions; a CI's attributes validated against them through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cmdb import attributes as attrs
from cmdb import services
from cmdb.choices import AttributeType, Lifecycle
from cmdb.models import AttributeDefinition, CIClass, ConfigurationItem
from cmdb.testing import make_class
from core.exceptions import StaleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def hardware():
    return make_class("hardware", "Hardware", attributes=[
        {"key": "serial_number", "label": "Serial number", "unique": True},
        {"key": "purchased_on", "label": "Purchase date", "type": AttributeType.DATE},
    ])


@pytest.fixture
def server(hardware):
    return make_class("server", "Server", parent=hardware, attributes=[
        {"key": "os", "label": "Operating system", "type": AttributeType.CHOICE, "choices": ["Linux", "Windows"],
         "required": True},
        {"key": "cpu_count", "label": "CPUs", "type": AttributeType.INTEGER},
        {"key": "ram_gb", "label": "Memory (GB)", "type": AttributeType.DECIMAL},
        {"key": "virtualised", "label": "Virtualised", "type": AttributeType.BOOLEAN},
        {"key": "ip", "label": "IP address", "type": AttributeType.IP_ADDRESS, "unique": True},
        {"key": "console", "label": "Console", "type": AttributeType.URL},
    ])


def errors_of(call):
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def test_schema_inherits_the_parents_definitions_first(server):
    schema = attrs.schema_for(server)
    assert list(schema.definitions) == ["serial_number", "purchased_on", "os", "cpu_count", "ram_gb", "virtualised",
                                        "ip", "console"]
    assert {d.key for d in schema.unique_definitions} == {"serial_number", "ip"}
    assert attrs.all_schemas()[server.pk].definitions.keys() == schema.definitions.keys()


def test_values_are_stored_in_a_canonical_form(cast, server):
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="srv-01", attributes={
        "os": "linux", "cpu_count": "8", "ram_gb": "16.50", "virtualised": "yes", "ip": "2001:0db8::0001",
        "console": "https://ilo.example.com/", "purchased_on": "2024-03-31", "serial_number": 12345,
    })
    ci.refresh_from_db()
    assert ci.attributes == {"os": "Linux", "cpu_count": 8, "ram_gb": "16.5", "virtualised": True,
                             "ip": "2001:db8::1", "console": "https://ilo.example.com/", "purchased_on": "2024-03-31",
                             "serial_number": "12345"}
    assert ci.state == Lifecycle.IN_USE and ci.version == 1


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("cpu_count", "eight", "CPUs (cpu_count) must be a whole number; got “eight”"),
    ("cpu_count", 2.5, "CPUs (cpu_count) must be a whole number"),
    ("cpu_count", True, "must be a whole number"),
    ("ram_gb", "lots", "Memory (GB) (ram_gb) must be a number"),
    ("virtualised", "perhaps", "Virtualised (virtualised) must be yes or no"),
    ("ip", "10.0.0.300", "IP address (ip) must be an IPv4 or IPv6 address"),
    ("console", "ilo01", "Console (console) must be a URL"),
    ("purchased_on", "31/03/2024", "Purchase date (purchased_on) must be a date"),
    ("purchased_on", "2024-02-30", "must be a date"),
    ("os", "BeOS", "Operating system (os) must be one of Linux, Windows"),
    ("serial_number", {"a": 1}, "Serial number (serial_number) must be text"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_attribute(cast, server, key, value, fragment):
    attributes = {"os": "Linux", key: value}
    errors = errors_of(lambda: services.create_ci(actor=cast.agent, ci_class=server, name="x", attributes=attributes))
    assert list(errors) == [f"attributes.{key}"]
    assert fragment in errors[f"attributes.{key}"][0]
    assert not ConfigurationItem.objects.exists()


def test_required_and_unknown_attributes(cast, server):
    errors = errors_of(lambda: services.create_ci(actor=cast.agent, ci_class=server, name="x",
                                                  attributes={"colour": "red", "os": "  "}))
    assert errors == {
        "attributes.colour": ["“colour” is not an attribute of class Server."],
        "attributes.os": ["Operating system (os) is required for class Server."],
    }


def test_field_and_attribute_errors_come_together(cast, server):
    errors = errors_of(lambda: services.create_ci(actor=cast.agent, ci_class=server, name="", state="lost",
                                                  attributes={"cpu_count": "x"}))
    assert set(errors) == {"name", "state", "attributes.os", "attributes.cpu_count"}


def test_unique_attribute_within_the_class_and_its_subclasses(cast, hardware, server):
    first = services.create_ci(actor=cast.agent, ci_class=server, name="a", attributes={"os": "Linux",
                                                                                          "serial_number": "SN1"})
    errors = errors_of(lambda: services.create_ci(actor=cast.agent, ci_class=hardware, name="b",
                                                  attributes={"serial_number": "SN1"}))
    assert errors == {"attributes.serial_number": [f"Serial number (serial_number) “SN1” is already used by a "
                                                   f"(#{first.pk})."]}
    # the same value is free in an unrelated class; a CI keeps its own value when edited
    other = make_class("document", attributes=[{"key": "serial_number", "unique": True}])
    services.create_ci(actor=cast.agent, ci_class=other, name="c", attributes={"serial_number": "SN1"})
    services.update_ci(first, actor=cast.agent, version=1, name="a2")
    # the normalised form is what is compared: 10.0.0.1 and 010.0.0.1 are not both accepted as different
    services.create_ci(actor=cast.agent, ci_class=server, name="d", attributes={"os": "Linux", "ip": "10.0.0.1"})
    errors = errors_of(lambda: services.create_ci(actor=cast.agent, ci_class=server, name="e",
                                                  attributes={"os": "Linux", "ip": " 10.0.0.1 "}))
    assert list(errors) == ["attributes.ip"]


def test_update_checks_the_version_and_revalidates(cast, server):
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="a", attributes={"os": "Linux"})
    ci = services.update_ci(ci, actor=cast.agent, version=1,
                            attributes=services.merge_attributes(ci.attributes, {"cpu_count": 4}))
    assert ci.version == 2 and ci.attributes == {"os": "Linux", "cpu_count": 4}
    with pytest.raises(StaleVersion):
        services.update_ci(ci, actor=cast.agent, version=1, name="b")
    errors = errors_of(lambda: services.update_ci(ci, actor=cast.agent, version=2,
                                                  attributes=services.merge_attributes(ci.attributes, {"os": None})))
    assert list(errors) == ["attributes.os"]
    errors = errors_of(lambda: services.update_ci(ci, actor=cast.agent, version=2, colour="red"))
    assert list(errors) == ["colour"]
    ci.refresh_from_db()
    assert ci.version == 2 and ci.attributes == {"os": "Linux", "cpu_count": 4}


def test_changing_the_class_checks_the_attributes_against_the_new_one(cast, server):
    laptop = make_class("laptop", attributes=[{"key": "screen_inches", "type": AttributeType.DECIMAL}])
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="a", attributes={"os": "Linux"})
    errors = errors_of(lambda: services.update_ci(ci, actor=cast.agent, version=1, ci_class=laptop))
    assert errors == {"attributes.os": ["“os” is not an attribute of class Laptop."]}
    ci = services.update_ci(ci, actor=cast.agent, version=1, ci_class=laptop, attributes={"screen_inches": "14"})
    assert ci.ci_class == laptop


def test_only_staff_change_cis(cast, server):
    with pytest.raises(PermissionDenied):
        services.create_ci(actor=cast.end_user, ci_class=server, name="x", attributes={"os": "Linux"})


def test_definition_rules(server, hardware):
    with pytest.raises(ValidationError, match="needs a list"):
        AttributeDefinition(ci_class=server, key="rack", label="Rack", type=AttributeType.CHOICE).full_clean()
    with pytest.raises(ValidationError, match="Only a choice attribute"):
        AttributeDefinition(ci_class=server, key="rack", label="Rack", choices=["a"]).full_clean()
    with pytest.raises(ValidationError, match="already defines"):
        AttributeDefinition(ci_class=server, key="serial_number", label="Serial").full_clean()
    with pytest.raises(ValidationError, match="lower-case"):
        AttributeDefinition(ci_class=server, key="Rack Unit", label="Rack").full_clean()
    with pytest.raises(ValidationError, match="cannot be unique"):
        AttributeDefinition(ci_class=server, key="hot", label="Hot", type=AttributeType.BOOLEAN,
                            unique=True).full_clean()
    hardware.parent = server
    with pytest.raises(ValidationError, match="own ancestor"):
        hardware.full_clean()
    assert [c.code for c in server.lineage()] == ["hardware", "server"]


def test_removing_a_definition_removes_its_values(cast, server):
    ci = services.create_ci(actor=cast.agent, ci_class=server, name="a", attributes={"os": "Linux", "cpu_count": 2})
    definition = AttributeDefinition.objects.get(ci_class=server, key="cpu_count")
    with pytest.raises(PermissionDenied):
        services.delete_attribute_definition(definition, actor=cast.agent)
    services.delete_attribute_definition(definition, actor=cast.admin)
    ci.refresh_from_db()
    assert ci.attributes == {"os": "Linux"}
    assert not AttributeDefinition.objects.filter(key="cpu_count").exists()


def test_filter_values_are_typed_per_definition(server):
    assert attrs.filter_values("cpu_count", "8") == ["8", 8]
    assert attrs.filter_values("virtualised", "yes") == ["yes", True]
    assert attrs.filter_values("nothing", "x") == ["x"]
    assert CIClass.objects.get(code="server").colour == "#6c757d"
