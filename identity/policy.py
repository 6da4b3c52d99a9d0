"""Who must use a second factor: holders of a role an administrator listed in MfaRequiredRole.

Decided once at login and kept in the session, so pages pay no query for it; setting up a factor lifts it at once.
"""

from allauth.mfa.models import Authenticator

from core.roles import roles_of

from .models import MfaRequiredRole

SESSION_KEY = "identity.mfa_setup_required"
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user):
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def mfa_required_for(user):
    """True when one of the user's roles requires a second factor."""
    required = set(MfaRequiredRole.objects.values_list("role", flat=True))
    return bool(required & roles_of(user))


def must_set_up_mfa(user):
    return mfa_required_for(user) and not has_second_factor(user)
