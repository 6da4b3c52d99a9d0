"""Saving reply templates: administrators manage every template (a group's, everyone's, anyone's personal one); an
agent manages their own personal ones. One function per change, called by the administration pages and the desk's
"my templates" page alike."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.roles import is_admin, is_staff_member
from core.services import apply_changes, audit, lock_row
from core.stamps import check_stamp

from .models import ReplyTemplate

FIELDS = ("name", "body_en", "body_zh", "group", "owner")
PERSONAL_FIELDS = ("name", "body_en", "body_zh")


def may_manage(actor, template):
    return is_admin(actor) or (is_staff_member(actor) and template.owner_id == actor.pk)


def _clean(template):
    if template.group_id and template.owner_id:
        raise ValidationError({"group": _("A template is either a group's or someone's personal one, not both.")})
    if not (template.body_en or "").strip():
        raise ValidationError({"body_en": _("Write the English text of the template.")})
    template.full_clean()


def create_reply_template(*, actor, **changes):
    """An administrator's template (any scope), or an agent's personal one (the owner is the agent, no group)."""
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff have reply templates."))
    if not is_admin(actor):
        changes = {k: v for k, v in changes.items() if k in PERSONAL_FIELDS}
        changes["owner"] = actor
    template = ReplyTemplate()
    apply_changes(template, FIELDS, changes)
    with transaction.atomic(), audit(actor, "create_reply_template"):
        _clean(template)
        template.save()
    return template


def update_reply_template(template, *, actor, stamp=None, **changes):
    if not may_manage(actor, template):
        raise PermissionDenied(_("You may change only your own reply templates."))
    if not is_admin(actor):
        changes = {k: v for k, v in changes.items() if k in PERSONAL_FIELDS}
    with transaction.atomic(), audit(actor, "update_reply_template"):
        template = lock_row(template)
        check_stamp(template, stamp)
        apply_changes(template, FIELDS, changes)
        _clean(template)
        template.save()
    return template


def delete_reply_template(template, *, actor):
    if not may_manage(actor, template):
        raise PermissionDenied(_("You may delete only your own reply templates."))
    with transaction.atomic(), audit(actor, "delete_reply_template"):
        ReplyTemplate.objects.filter(pk=template.pk).delete()
