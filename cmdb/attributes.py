"""Class attribute validation: a CI's attributes checked against its class's definitions (own and inherited).

Values are stored in a canonical JSON form per type, so equal values compare equal in `attributes @> {...}` filters
and unique checks: integers and booleans as JSON numbers/booleans, decimals as normalised strings ("16.5"), dates as
ISO strings, IP addresses in compressed form. Inputs may be native JSON or text (CSV cells), both coerced the same way.
Every message names the attribute (label and key) so a form, an API client or an import report can point at it.
"""

import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection

from core.messages import translatable as _  # row errors are stored, and shown in the reader's language

from .choices import AttributeType
from .models import AttributeDefinition, CIClass, ConfigurationItem

MAX_TEXT = 1000
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_TRUE = {"true", "yes", "y", "1", "on", "是"}
_FALSE = {"false", "no", "n", "0", "off", "否"}
_url = URLValidator()
# Advisory lock namespace of unique-attribute checks (the second key is the definition's id).
UNIQUE_LOCK_NAMESPACE = 0x434D4442  # "CMDB"


class AttributeError_(ValueError):  # noqa: N801 - not the builtin AttributeError
    """A value that does not fit its definition; the message is the whole sentence to show."""


@dataclass(frozen=True)
class ClassSchema:
    """A class with every attribute definition that applies to it, in display order (ancestors' first)."""

    ci_class: CIClass
    definitions: dict  # key → AttributeDefinition
    lineage_ids: tuple  # ids of the class and its ancestors

    @property
    def unique_definitions(self):
        return [d for d in self.definitions.values() if d.unique]


def all_schemas():
    """Every class's schema, keyed by class id: two queries, for bulk work (imports, filters)."""
    classes = {c.pk: c for c in CIClass.objects.all()}
    own = {}
    for definition in AttributeDefinition.objects.order_by("position", "key"):
        definition.ci_class = classes[definition.ci_class_id]
        own.setdefault(definition.ci_class_id, []).append(definition)
    schemas = {}
    for ci_class in classes.values():
        if ci_class.parent_id:
            ci_class.parent = classes.get(ci_class.parent_id)
    for ci_class in classes.values():
        lineage = ci_class.lineage()
        definitions = {d.key: d for node in lineage for d in own.get(node.pk, [])}
        schemas[ci_class.pk] = ClassSchema(ci_class, definitions, tuple(c.pk for c in lineage))
    return schemas


def schema_for(ci_class):
    lineage = ci_class.lineage()
    own = AttributeDefinition.objects.filter(ci_class__in=[c.pk for c in lineage]).order_by("position", "key")
    by_class = {}
    for definition in own:
        by_class.setdefault(definition.ci_class_id, []).append(definition)
    definitions = {d.key: d for node in lineage for d in by_class.get(node.pk, [])}
    return ClassSchema(ci_class, definitions, tuple(c.pk for c in lineage))


def descendant_ids(class_id, classes=None):
    """The class and every class below it (the scope of a unique attribute defined on it)."""
    if classes is None:
        classes = list(CIClass.objects.values_list("pk", "parent_id"))
    children = {}
    for pk, parent_id in classes:
        children.setdefault(parent_id, []).append(pk)
    found, todo = {class_id}, [class_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _name(definition):
    return f"{definition.label} ({definition.key})"


def _is_empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def coerce(definition, raw):
    """The canonical stored value of `raw` for this definition, or AttributeError_ naming the attribute."""
    kind = definition.type
    text = raw.strip() if isinstance(raw, str) else raw

    def fail(expected):
        shown = raw if isinstance(raw, str) else repr(raw)
        return AttributeError_(_("%(attribute)s must be %(expected)s; got “%(value)s”.")
                               % {"attribute": _name(definition), "expected": expected, "value": str(shown)[:80]})

    if kind == AttributeType.STRING:
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise fail(_("text"))
        text = str(text)
        if len(text) > MAX_TEXT:
            raise AttributeError_(_("%(attribute)s is longer than %(limit)s characters.")
                                  % {"attribute": _name(definition), "limit": MAX_TEXT})
        return text
    if kind == AttributeType.INTEGER:
        if isinstance(text, bool):
            raise fail(_("a whole number"))
        if isinstance(text, float) and text.is_integer():
            text = int(text)
        if isinstance(text, int) and abs(text) < 10**18:
            return text
        if isinstance(text, str) and _INTEGER.match(text):
            return int(text)
        raise fail(_("a whole number"))
    if kind == AttributeType.DECIMAL:
        if isinstance(text, bool) or not isinstance(text, str | int | float | Decimal):
            raise fail(_("a number"))
        try:
            number = Decimal(str(text).replace(",", "")) if isinstance(text, str) else Decimal(str(text))
        except InvalidOperation:
            raise fail(_("a number")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 18:
            raise fail(_("a number"))
        return format(number.normalize(), "f")
    if kind == AttributeType.BOOLEAN:
        if isinstance(text, bool):
            return text
        if isinstance(text, int) and text in (0, 1):
            return bool(text)
        if isinstance(text, str) and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise fail(_("yes or no"))
    if kind == AttributeType.DATE:
        if isinstance(text, date):
            return text.isoformat()
        if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        raise fail(_("a date like 2024-03-31"))
    if kind == AttributeType.CHOICE:
        if isinstance(text, str | int) and not isinstance(text, bool):
            wanted = str(text).casefold()
            for choice in definition.choices or []:
                if choice.casefold() == wanted:
                    return choice
        raise fail(_("one of %(choices)s") % {"choices": ", ".join(definition.choices or [])})
    if kind == AttributeType.IP_ADDRESS:
        if isinstance(text, str):
            try:
                return str(ipaddress.ip_address(text))
            except ValueError:
                pass
        raise fail(_("an IPv4 or IPv6 address"))
    if kind == AttributeType.URL:
        if isinstance(text, str) and len(text) <= MAX_TEXT:
            try:
                _url(text)
                return text
            except ValidationError:
                pass
        raise fail(_("a URL like https://example.com/"))
    raise fail(kind)  # a type added to the choices without a coercion here


def validate_attributes(schema, values, *, prefix="attributes."):
    """Clean `values` (a dict) against the schema: (cleaned dict, errors dict keyed by `prefix + key`).

    Empty values of optional attributes are dropped; a required attribute must have a value; unknown keys are refused.
    """
    cleaned, errors = {}, {}
    if not isinstance(values, dict):
        return {}, {prefix.rstrip("."): _("Attributes must be an object of key → value.")}
    class_name = schema.ci_class.name
    for key, raw in values.items():
        definition = schema.definitions.get(key)
        if definition is None:
            errors[f"{prefix}{key}"] = _("“%(key)s” is not an attribute of class %(cls)s.") % {
                "key": key, "cls": class_name}
            continue
        if _is_empty(raw):
            continue
        try:
            cleaned[key] = coerce(definition, raw)
        except AttributeError_ as exc:
            errors[f"{prefix}{key}"] = exc.args[0]  # the message itself (a core.messages.Message), not a copy
    for key, definition in schema.definitions.items():
        if definition.required and key not in cleaned and f"{prefix}{key}" not in errors:
            errors[f"{prefix}{key}"] = _("%(attribute)s is required for class %(cls)s.") % {
                "attribute": _name(definition), "cls": class_name}
    return cleaned, errors


def lock_unique_definitions(definitions):
    """Serialise writers of these unique attributes until the transaction ends (ids sorted: no deadlock)."""
    ids = sorted(d.pk for d in definitions)
    if ids:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
                           [UNIQUE_LOCK_NAMESPACE, ids])


def unique_conflicts(schema, attributes, *, exclude_pk=None, prefix="attributes."):
    """Errors for unique attributes whose value another CI in scope already has. Call under the lock."""
    errors = {}
    classes = None
    for definition in schema.unique_definitions:
        if definition.key not in attributes:
            continue
        if classes is None:
            classes = list(CIClass.objects.values_list("pk", "parent_id"))
        scope = descendant_ids(definition.ci_class_id, classes)
        clash = (ConfigurationItem.objects.filter(ci_class_id__in=scope)
                 .with_attribute(definition.key, [attributes[definition.key]]))
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        other = clash.only("pk", "name").first()
        if other is not None:
            message = _("%(attribute)s “%(value)s” is already used by %(ci)s (#%(pk)s).")
            errors[f"{prefix}{definition.key}"] = message % {
                "attribute": _name(definition), "value": attributes[definition.key], "ci": other.name, "pk": other.pk}
    return errors


def filter_values(key, raw):
    """The JSON values a filter `key=raw` should match: the text itself and its coercion per definition of `key`
    (so `cpu_count=8` finds the JSON number 8 and `in_warranty=yes` the boolean true)."""
    values = [raw]
    for definition in AttributeDefinition.objects.filter(key=key):
        try:
            value = coerce(definition, raw)
        except AttributeError_:
            continue
        if not any(value == v and type(value) is type(v) for v in values):
            values.append(value)
    return values
