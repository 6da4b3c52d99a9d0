"""Sign-in rules administrators change, one service each (the desk's administration page calls these)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.roles import Role
from core.services import audit, require_admin

from .models import MfaRequiredRole


def set_mfa_required_roles(*, actor, roles):
    """Make `roles` exactly the roles whose holders must set up a second factor. Answers (added, removed).

    Each person's requirement is decided when they sign in (identity.policy), so a change applies from their next
    sign-in; people already holding a factor are not affected either way.
    """
    require_admin(actor)
    wanted = set(roles)
    unknown = wanted - set(Role.LABELS)
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(sorted(unknown))}})
    with transaction.atomic(), audit(actor, "mfa_policy"):
        current = set(MfaRequiredRole.objects.select_for_update().values_list("role", flat=True))
        MfaRequiredRole.objects.filter(role__in=current - wanted).delete()
        MfaRequiredRole.objects.bulk_create([MfaRequiredRole(role=role) for role in sorted(wanted - current)],
                                            ignore_conflicts=True)  # two administrators at once: one row each
    return wanted - current, current - wanted
