"""DRF authentication and scope check for personal API tokens.

`Authorization: Bearer itsm_…` (or `Token itsm_…`). Keys of DRF's authtoken (40 hex digits, the legacy tokens tests
and the demo use) are left to rest_framework.authentication.TokenAuthentication, which follows in the settings; they
act with every scope (legacy full-scope tokens).

The scope check runs here, right after the token is found, as well as in TokenScopePermission: several viewsets set
their own `permission_classes`, which would drop a default permission, and no endpoint may forget the check.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from .models import ApiToken
from .scopes import required_scopes
from .services import KEY_PREFIX, find_token, record_use

KEYWORDS = (b"bearer", b"token")


class MissingScope(exceptions.PermissionDenied):
    """403 that names the scope the token lacks."""

    def __init__(self, scope):
        super().__init__({
            "detail": _("This API token lacks the scope “%(scope)s”.") % {"scope": scope},
            "required_scope": scope,
        })


def check_token_scopes(request, view):
    token = request.auth
    if not isinstance(token, ApiToken) or view is None:
        return
    for scope in required_scopes(view, request.method):
        if scope not in token.scopes:
            raise MissingScope(scope)


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in KEYWORDS:
            return None
        try:
            key = parts[1].decode()
        except UnicodeError:
            return None
        if not key.startswith(KEY_PREFIX):
            return None  # a legacy DRF token: TokenAuthentication's
        token = find_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        request.auth = token  # so the scope check below sees it
        check_token_scopes(request, request.parser_context.get("view") if request.parser_context else None)
        record_use(token)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"  # the keyword both kinds of token accept (Bearer works for personal tokens too)


class TokenScopePermission(BasePermission):
    """A request made with a personal token needs read/write by its method and the view's practice scope."""

    def has_permission(self, request, view):
        check_token_scopes(request, view)
        return True
