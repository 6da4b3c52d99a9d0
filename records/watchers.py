"""Watchers: people who follow a record and hear of its public changes like the requester."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.roles import is_staff_member

from .models import Watcher
from .registry import kind_of


def watch(record, user, *, actor):
    """`user` follows `record` (idempotent). Anyone who can see the record may follow it; only staff add others."""
    if actor.pk != user.pk and not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may add someone else as a watcher."))
    if not type(record).objects.visible_to(user).filter(pk=record.pk).exists():
        raise PermissionDenied(_("This person may not see the record."))
    try:
        with transaction.atomic():
            Watcher.objects.get_or_create(record_kind=kind_of(record).key, record_id=record.pk, user=user)
    except IntegrityError:  # the same click twice at once
        pass


def unwatch(record, user, *, actor):
    if actor.pk != user.pk and not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may remove someone else as a watcher."))
    Watcher.objects.filter(record_kind=kind_of(record).key, record_id=record.pk, user=user).delete()


def watchers_of(record):
    from core.models import User

    return User.objects.filter(watching__record_kind=kind_of(record).key, watching__record_id=record.pk,
                               is_active=True).order_by("username")
