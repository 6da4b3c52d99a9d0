"""Changes to services and categories (reference data administrators own). The administration pages call these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import apply_changes, audit, lock_row, require_admin
from core.stamps import check_stamp

from .models import Category, Service

SERVICE_FIELDS = ("name", "description", "support_group", "is_active", "is_critical")
CATEGORY_FIELDS = ("name", "parent", "default_group", "is_active")


def create_service(*, actor, **fields):
    require_admin(actor)
    service = Service()
    apply_changes(service, SERVICE_FIELDS, fields)
    service.full_clean()
    with transaction.atomic(), audit(actor, "create_service"):
        service.save()
    return service


def update_service(service, *, actor, stamp=None, **changes):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "update_service"):
        service = lock_row(service)
        check_stamp(service, stamp)
        apply_changes(service, SERVICE_FIELDS, changes)
        service.full_clean()
        service.save()
    return service


def _check_parent(category):
    node, seen = category.parent, set()
    while node is not None and node.pk not in seen:
        if category.pk and node.pk == category.pk:
            raise ValidationError({"parent": _("A category cannot be inside itself.")})
        seen.add(node.pk)
        node = node.parent


def _clean_category(category):
    # The unique (parent, name) constraint does not catch two top-level categories of one name (NULL parent).
    category.full_clean()
    _check_parent(category)
    clash = Category.objects.filter(parent=category.parent, name__iexact=category.name).exclude(pk=category.pk)
    if clash.exists():
        raise ValidationError({"name": _("A category of this name already exists here.")})


def create_category(*, actor, **fields):
    require_admin(actor)
    category = Category()
    apply_changes(category, CATEGORY_FIELDS, fields)
    _clean_category(category)
    with transaction.atomic(), audit(actor, "create_category"):
        category.save()
    return category


def update_category(category, *, actor, stamp=None, **changes):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "update_category"):
        category = lock_row(category)
        check_stamp(category, stamp)
        apply_changes(category, CATEGORY_FIELDS, changes)
        _clean_category(category)
        category.save()
    return category
