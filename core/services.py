"""State changes of people, organisations and assignment groups. The administration pages call only these.

Each runs in a transaction, locks the row it changes, refuses stale edits (core.stamps), validates the record as a
whole (errors by field) and records the audit context (pghistory triggers write the trail).
"""

import zoneinfo

import pghistory
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .exceptions import Conflict
from .models import AssignmentGroup, Organisation, User
from .roles import Role, is_admin, is_staff_member
from .stamps import check_stamp

USER_FIELDS = ("email", "first_name", "last_name", "organisation", "language", "time_zone", "phone",
               "sees_organisation_tickets")
ORGANISATION_FIELDS = ("name", "code")
GROUP_FIELDS = ("name", "email", "lead", "is_active")


def audit(actor, action):
    return pghistory.context(user=actor.pk if actor else None, action=action)


def require_admin(actor):
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator may do this."))


def lock_row(obj):
    """The row of `obj`, locked for this transaction (shared by the services of every app's reference data)."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def apply_changes(obj, fields, changes):
    """Set the `changes` named in `fields` on `obj` (texts trimmed); any other name is refused by field."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _validate(obj, exclude=()):
    obj.full_clean(exclude=list(exclude))


def _check_time_zone(user):
    if user.time_zone and user.time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": _("Unknown time zone.")})


def _check_email(user):
    if not user.email:
        raise ValidationError({"email": _("An e-mail address is required.")})
    clash = User.objects.filter(email__iexact=user.email).exclude(pk=user.pk)
    if clash.exists():
        raise ValidationError({"email": _("Another account already uses this e-mail address.")})


def _set_roles(user, roles):
    unknown = set(roles) - set(Role.LABELS)
    if unknown:
        raise ValidationError({"roles": _("Unknown role.")})
    wanted = Group.objects.filter(name__in=roles)
    user.groups.remove(*user.groups.filter(name__in=Role.LABELS).exclude(name__in=roles))
    user.groups.add(*wanted)
    if hasattr(user, "_itsm_roles"):
        del user._itsm_roles


# People


def invite_user(*, actor, username, email, roles=(Role.END_USER,), **fields):
    """A new account without a password; an e-mail, queued with the account (core.outbox), lets the person choose
    one."""
    require_admin(actor)
    user = User(username=(username or "").strip(), email=(email or "").strip())
    apply_changes(user, USER_FIELDS, fields)
    user.set_unusable_password()
    _check_email(user)
    _check_time_zone(user)
    _validate(user, exclude=["password"])
    with transaction.atomic(), audit(actor, "invite_user"):
        user.save()
        _set_roles(user, roles)
        send_invitation(user, actor=actor)
    return user


def send_invitation(user, *, actor):
    """Mail the set-your-password link, through the outbox: a mail server that refuses delays it, never fails the
    request or loses it."""
    require_admin(actor)
    if not user.is_active:
        raise Conflict(_("This account is deactivated."))
    from .invitations import mail_invitation

    return mail_invitation(user)


def update_user(user, *, actor, stamp=None, roles=None, **changes):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "update_user"):
        user = lock_row(user)
        check_stamp(user, stamp)
        apply_changes(user, USER_FIELDS, changes)
        _check_email(user)
        _check_time_zone(user)
        _validate(user, exclude=["password"])
        if roles is not None:
            if user.pk == actor.pk and Role.ADMIN not in roles and not user.is_superuser:
                raise ValidationError({"roles": _("You cannot take the administrator role from yourself.")})
            _set_roles(user, roles)
        user.save()
    return user


def set_user_active(user, *, actor, active):
    """Deactivate (no login, no API, open sessions end) or reactivate an account. Nothing is deleted."""
    require_admin(actor)
    if user.pk == actor.pk and not active:
        raise Conflict(_("You cannot deactivate your own account."))
    with transaction.atomic(), audit(actor, "activate_user" if active else "deactivate_user"):
        user = lock_row(user)
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
    return user


# Organisations


def create_organisation(*, actor, **fields):
    require_admin(actor)
    organisation = Organisation()
    apply_changes(organisation, ORGANISATION_FIELDS, fields)
    _validate(organisation)
    with transaction.atomic(), audit(actor, "create_organisation"):
        organisation.save()
    return organisation


def update_organisation(organisation, *, actor, stamp=None, **changes):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "update_organisation"):
        organisation = lock_row(organisation)
        check_stamp(organisation, stamp)
        apply_changes(organisation, ORGANISATION_FIELDS, changes)
        _validate(organisation)
        organisation.save()
    return organisation


# Assignment groups


def _check_worker(user, field):
    """Groups work tickets: their members and leads are active staff (end users have the portal)."""
    if not user.is_active:
        raise ValidationError({field: _("Only active accounts can join a group.")})
    if not is_staff_member(user):
        raise ValidationError({field: _("Only agents, team leads, managers and administrators work in groups.")})


def _check_lead(group):
    if group.lead_id:
        _check_worker(group.lead, "lead")


def create_group(*, actor, **fields):
    require_admin(actor)
    group = AssignmentGroup()
    apply_changes(group, GROUP_FIELDS, fields)
    _validate(group)
    _check_lead(group)
    with transaction.atomic(), audit(actor, "create_group"):
        group.save()
        if group.lead_id:  # the lead works in the team
            group.members.add(group.lead_id)
    return group


def update_group(group, *, actor, stamp=None, **changes):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "update_group"):
        group = lock_row(group)
        check_stamp(group, stamp)
        apply_changes(group, GROUP_FIELDS, changes)
        _validate(group)
        _check_lead(group)
        group.save()
        if group.lead_id:
            group.members.add(group.lead_id)
    return group


def add_group_member(group, *, actor, user):
    require_admin(actor)
    _check_worker(user, "user")
    with transaction.atomic(), audit(actor, "add_group_member"):
        group = lock_row(group)
        group.members.add(user)
    return group


def remove_group_member(group, *, actor, user):
    require_admin(actor)
    with transaction.atomic(), audit(actor, "remove_group_member"):
        group = lock_row(group)
        if group.lead_id == user.pk:
            raise Conflict(_("%(person)s leads this group: choose another lead first.") % {"person": user})
        group.members.remove(user)
    return group
