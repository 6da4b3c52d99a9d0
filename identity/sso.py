"""What a single sign-on brings into the portal: the person's roles (from the IdP's groups) and organisation.

The claims come from the OpenID Connect ID token and userinfo, or from the SAML assertion's attributes. Which claim
holds the groups and which the organisation is a SocialApp setting (`groups_claim`, `organisation_claim`,
`default_organisation` in its JSON settings), else the SSO_* settings.
"""

import hmac

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from core.models import Organisation
from core.roles import Role

from .models import IdpGroupRole


def _app_setting(sociallogin, name, default):
    app = getattr(sociallogin.provider, "app", None)
    return ((app.settings or {}) if app else {}).get(name, default)


def claims_of(sociallogin):
    """One flat dict of what the IdP said: ID token overlaid with userinfo (OIDC), or the SAML attributes."""
    data = sociallogin.account.extra_data or {}
    if "id_token" in data or "userinfo" in data:
        return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
    return data


def _values(claim):
    """A claim as a list of strings: SAML attributes are lists, OIDC claims a string or a list."""
    if claim is None:
        return []
    if isinstance(claim, list | tuple):
        return [str(value) for value in claim]
    return [str(claim)]


def nonce_matches(sociallogin):
    """OpenID Connect logins must return the nonce their authorisation request sent; other providers pass."""
    if sociallogin.provider is None or sociallogin.provider.id != "openid_connect":
        return True
    sent = (sociallogin.state or {}).get("nonce")
    returned = ((sociallogin.account.extra_data or {}).get("id_token") or {}).get("nonce")
    return bool(sent and returned) and hmac.compare_digest(str(sent), str(returned))


def roles_for_groups(provider_key, groups):
    """The portal roles the IdP groups map to (mappings for this provider or for every provider)."""
    return set(
        IdpGroupRole.objects.filter(Q(provider="") | Q(provider=provider_key), group__in=groups)
        .values_list("role", flat=True)
    )


@transaction.atomic
def apply_group_roles(user, sociallogin):
    """Make the user's portal roles exactly those their IdP groups map to (end user when none does).

    Runs at each single sign-on, so a person moved between groups at the IdP has the new role at their next login.
    Django groups that are not portal roles are left alone.
    """
    groups_claim = _app_setting(sociallogin, "groups_claim", settings.SSO_GROUPS_CLAIM)
    roles = roles_for_groups(sociallogin.account.provider, _values(claims_of(sociallogin).get(groups_claim)))
    roles = roles or {Role.END_USER}
    for role in roles:
        Group.objects.get_or_create(name=role)
    role_groups = Group.objects.filter(name__in=list(Role.LABELS))
    user.groups.remove(*[group for group in role_groups if group.name not in roles])
    user.groups.add(*[group for group in role_groups if group.name in roles])
    if hasattr(user, "_itsm_roles"):
        del user._itsm_roles


def organisation_for(sociallogin):
    """The organisation a user created by single sign-on joins: the one the claim names (code or name), else the
    provider's or the portal's default (a code), else none."""
    claim = _app_setting(sociallogin, "organisation_claim", settings.SSO_ORGANISATION_CLAIM)
    for value in _values(claims_of(sociallogin).get(claim)):
        found = Organisation.objects.filter(Q(code=value) | Q(name=value)).first()
        if found:
            return found
    default = _app_setting(sociallogin, "default_organisation", settings.SSO_DEFAULT_ORGANISATION)
    return Organisation.objects.filter(code=default).first() if default else None
