"""Creating, using and revoking personal API tokens. Pages and the API call only these."""

import hashlib
import secrets
from datetime import timedelta

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import is_admin

from .models import ApiToken
from .scopes import READ, WRITE, scope_codes

KEY_PREFIX = "itsm_"
# Writing last_used_at on every request would cost a write per call; once a minute is precise enough to spot
# unused tokens.
LAST_USED_PRECISION = timedelta(seconds=60)


def digest_of(key):
    return hashlib.sha256(key.encode()).hexdigest()


def _audit(actor, action):
    return pghistory.context(user=actor.pk if actor else None, action=action)


def _check_days(days):
    maximum = settings.API_TOKEN_MAX_DAYS
    if days in (None, ""):
        return settings.API_TOKEN_DEFAULT_DAYS
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"expires_in_days": _("Enter a whole number of days.")}) from None
    if not 1 <= days <= maximum:
        raise ValidationError({"expires_in_days": _("A token lasts from 1 to %(max)s days.") % {"max": maximum}})
    return days


def _check_scopes(scopes, via_token):
    scopes = list(dict.fromkeys(scopes or []))
    unknown = [s for s in scopes if s not in scope_codes()]
    if unknown:
        raise ValidationError({"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}})
    if READ not in scopes and WRITE not in scopes:
        raise ValidationError({"scopes": _("Choose at least “read” or “write”.")})
    if via_token is not None:  # a token may not mint a stronger one
        beyond = [s for s in scopes if s not in via_token.scopes]
        if beyond:
            raise ValidationError({"scopes": _("The token you are using does not hold: %(scopes)s.")
                                   % {"scopes": ", ".join(beyond)}})
    return scopes


def create_token(*, actor, name, scopes, expires_in_days=None, via_token=None):
    """A new token for `actor`: returns (token, key). The key is shown once; only its digest is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    days = _check_days(expires_in_days)
    scopes = _check_scopes(scopes, via_token)
    prefix = KEY_PREFIX + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic(), _audit(actor, "create_api_token"):
        token = ApiToken.objects.create(
            user=actor, name=name, prefix=prefix, digest=digest_of(key), scopes=scopes,
            expires_at=timezone.now() + timedelta(days=days),
        )
    return token, key


def revoke_token(token, *, actor):
    """Revoke a token (its owner or an administrator). Revoking a revoked token changes nothing."""
    if token.user_id != actor.pk and not is_admin(actor):
        raise PermissionDenied(_("Only the token's owner or an administrator may revoke it."))
    with transaction.atomic(), _audit(actor, "revoke_api_token"):
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def find_token(key):
    """The token a presented key belongs to (any state), or None."""
    return ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()


def record_use(token, now=None):
    """Note that a token was used: at most one write a minute per token, and never a lock wait."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
