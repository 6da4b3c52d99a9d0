"""Changes to CI classes and their attribute definitions (rules administrators own). Removing a definition is
cmdb.services.delete_attribute_definition, which also clears the values from the CIs."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import apply_changes, audit, lock_row
from core.stamps import check_stamp

from .models import AttributeDefinition, CIClass
from .querysets import can_define_classes

CLASS_FIELDS = ("name", "code", "description", "parent", "is_service", "colour")
NEW_ATTRIBUTE_FIELDS = ("key", "label", "type", "required", "unique", "choices", "help_text", "position")
# Key and type stay as created: CIs store values under the key, in the type's canonical form.
ATTRIBUTE_FIELDS = ("label", "required", "help_text", "position")


def _require(actor):
    if not can_define_classes(actor):
        raise PermissionDenied(_("Only an administrator may change CI classes."))


def create_ci_class(*, actor, **fields):
    _require(actor)
    ci_class = CIClass()
    apply_changes(ci_class, CLASS_FIELDS, fields)
    ci_class.full_clean()
    with transaction.atomic(), audit(actor, "create_ci_class"):
        ci_class.save()
    return ci_class


def update_ci_class(ci_class, *, actor, stamp=None, **changes):
    _require(actor)
    with transaction.atomic(), audit(actor, "update_ci_class"):
        ci_class = lock_row(ci_class)
        check_stamp(ci_class, stamp)
        apply_changes(ci_class, CLASS_FIELDS, changes)
        ci_class.full_clean()
        ci_class.save()
    return ci_class


def add_attribute_definition(ci_class, *, actor, **fields):
    _require(actor)
    definition = AttributeDefinition(ci_class=ci_class)
    apply_changes(definition, NEW_ATTRIBUTE_FIELDS, fields)
    definition.full_clean()
    with transaction.atomic(), audit(actor, "add_attribute"):
        lock_row(ci_class)  # two administrators adding one key to a class and its parent: one wins
        definition.full_clean()
        definition.save()
    return definition


def update_attribute_definition(definition, *, actor, stamp=None, **changes):
    _require(actor)
    with transaction.atomic(), audit(actor, "update_attribute"):
        definition = lock_row(definition)
        check_stamp(definition, stamp)
        apply_changes(definition, ATTRIBUTE_FIELDS, changes)
        definition.full_clean()
        definition.save()
    return definition
