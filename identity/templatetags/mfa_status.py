from allauth.mfa.models import Authenticator
from django import template

from identity.policy import mfa_required_for

register = template.Library()


@register.simple_tag
def mfa_status(user):
    """What the preferences page shows of a person's second factors (one query for all of them)."""
    authenticators = list(Authenticator.objects.filter(user=user))
    recovery = next((a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None)
    return {
        "totp": next((a for a in authenticators if a.type == Authenticator.Type.TOTP), None),
        "keys": [a for a in authenticators if a.type == Authenticator.Type.WEBAUTHN],
        "recovery_codes_left": len(recovery.wrap().get_unused_codes()) if recovery else None,
        "required": mfa_required_for(user),
    }
