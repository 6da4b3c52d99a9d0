"""Every change to configuration items and relationships, one function each. Pages, API and imports call only these
(the importer writes in bulk but applies the same checks: cmdb.attributes and `relationship_errors`).

Each runs in a transaction, locks what it changes, checks the version and the actor, and records the audit context;
pghistory's triggers write the trail (who, when, old → new).
"""

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, JSONField, Value
from django.utils.translation import gettext as _

from core.exceptions import StaleVersion

from . import attributes as attrs
from .graph import would_create_cycle
from .models import AttributeDefinition, ConfigurationItem, Relationship
from .querysets import can_define_classes, can_edit_cis

EDITABLE_FIELDS = ("ci_class", "name", "state", "owner", "support_group", "organisation", "location", "description",
                   "attributes", "external_source", "external_key")
# Advisory lock namespace serialising new relationships of a type that forbids cycles (second key: the type's id).
CYCLE_LOCK_NAMESPACE = 0x434D4443


def _audit(actor, action, **extra):
    return pghistory.context(user=actor.pk if actor else None, action=action, **extra)


def _require_editor(actor):
    if not can_edit_cis(actor):
        raise PermissionDenied(_("Only service desk and operations staff may change the CMDB."))


def merge_attributes(current, patch):
    """A JSON merge patch of attributes: keys in `patch` are set, keys set to null are removed."""
    merged = dict(current or {})
    for key, value in (patch or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _validate(ci):
    """Field, constraint and attribute checks together, so one answer names every problem. Returns the schema."""
    errors = {}
    try:
        ci.full_clean(exclude=["attributes", "version"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    schema = attrs.schema_for(ci.ci_class)
    cleaned, attribute_errors = attrs.validate_attributes(schema, ci.attributes)
    errors.update(attribute_errors)
    if errors:
        raise ValidationError(errors)
    ci.attributes = cleaned
    return schema


def _check_unique(ci, schema):
    attrs.lock_unique_definitions(schema.unique_definitions)
    errors = attrs.unique_conflicts(schema, ci.attributes, exclude_pk=ci.pk)
    if errors:
        raise ValidationError(errors)


def create_ci(*, actor, ci_class, name, attributes=None, **fields):
    """Record a configuration item of `ci_class`, its attributes checked against the class's definitions."""
    _require_editor(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    ci = ConfigurationItem(ci_class=ci_class, name=name, attributes=attributes or {}, **fields)
    schema = _validate(ci)
    with transaction.atomic(), _audit(actor, "create"):
        _check_unique(ci, schema)
        ci.save()
    return ci


def update_ci(ci, *, actor, version, **changes):
    """Change a CI's fields; `attributes` is the whole new set (see merge_attributes for a patch)."""
    _require_editor(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    with transaction.atomic(), _audit(actor, "update"):
        ci = ConfigurationItem.objects.select_for_update().select_related("ci_class").get(pk=ci.pk)
        if version is not None and int(version) != ci.version:
            raise StaleVersion(current_version=ci.version)
        for name, value in changes.items():
            setattr(ci, name, value)
        schema = _validate(ci)
        _check_unique(ci, schema)
        ci.version += 1
        ci.save()
    return ci


def _allowed(rel_type, ci_class, side):
    allowed = {c.pk for c in getattr(rel_type, f"allowed_{side}_classes").all()}
    return not allowed or any(c.pk in allowed for c in ci_class.lineage())


def relationship_errors(source, target, rel_type, *, check_cycle=True):
    """What is wrong with source —rel_type→ target, keyed by field (empty when it may be made)."""
    if source.pk == target.pk:
        return {"target": _("A CI cannot be related to itself.")}
    errors = {}
    if not _allowed(rel_type, source.ci_class, "source"):
        errors["source"] = _("A %(cls)s cannot be the source of “%(type)s” relationships.") % {
            "cls": source.ci_class.name, "type": rel_type.name}
    if not _allowed(rel_type, target.ci_class, "target"):
        errors["target"] = _("A %(cls)s cannot be the target of “%(type)s” relationships.") % {
            "cls": target.ci_class.name, "type": rel_type.name}
    if errors:
        return errors
    if Relationship.objects.filter(source=source, target=target, type=rel_type).exists():
        return {"target": _("%(source)s already %(label)s %(target)s.") % {
            "source": source.name, "label": rel_type.forward_label, "target": target.name}}
    if check_cycle and not rel_type.allows_cycles and would_create_cycle(source.pk, target.pk, rel_type.pk):
        return {"target": _("%(target)s already %(label)s %(source)s (directly or through others): “%(type)s” "
                            "relationships may not form a loop.") % {
            "source": source.name, "label": rel_type.forward_label, "target": target.name, "type": rel_type.name}}
    return {}


def lock_cycle_check(rel_type):
    """Serialise new links of a type that forbids loops, so two concurrent links cannot close one together."""
    if not rel_type.allows_cycles:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CYCLE_LOCK_NAMESPACE, rel_type.pk])


def create_relationship(*, actor, source, target, type, external_source=""):  # noqa: A002 - the model's field name
    """Link two CIs: `source` —type.forward_label→ `target` (and so target —type.reverse_label→ source)."""
    _require_editor(actor)
    with transaction.atomic(), _audit(actor, "relate"):
        lock_cycle_check(type)
        errors = relationship_errors(source, target, type)
        if errors:
            raise ValidationError(errors)
        return Relationship.objects.create(source=source, target=target, type=type, external_source=external_source)


def delete_relationship(relationship, *, actor):
    _require_editor(actor)
    with transaction.atomic(), _audit(actor, "unrelate"):
        Relationship.objects.filter(pk=relationship.pk).delete()


def delete_attribute_definition(definition, *, actor):
    """Remove an attribute from a class and its value from every CI in scope (recorded in each CI's history)."""
    if not can_define_classes(actor):
        raise PermissionDenied(_("Only an administrator may change CI classes."))
    scope = attrs.descendant_ids(definition.ci_class_id)
    with transaction.atomic(), _audit(actor, "remove_attribute", attribute=definition.key):
        ConfigurationItem.objects.filter(ci_class_id__in=scope, attributes__has_key=definition.key).update(
            attributes=_without_key(definition.key))
        AttributeDefinition.objects.filter(pk=definition.pk).delete()


def _without_key(key):
    return Func(F("attributes"), Value(key), arg_joiner=" - ", template="(%(expressions)s)", output_field=JSONField())
