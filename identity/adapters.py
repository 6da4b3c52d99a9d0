"""django-allauth adapters: local sign-up closed, single sign-on creates users, OpenID Connect nonces checked."""

import secrets
import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from core.notify import mail_later

from . import sso


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """People are created by administrators or by single sign-on, never by signing themselves up."""
        return False

    def send_mail(self, template_prefix, email, context):
        """allauth's mails, rendered now (in the reader's language) and sent through the outbox: a mail server or
        broker that is away never fails the sign-in page, and the mail leaves once it is back."""
        message = self.render_mail(template_prefix, email, context)
        mail_later(message, key=f"allauth:{template_prefix}:{uuid.uuid4().hex}")

    def is_reauthentication_required(self, *, app, **kwargs):
        """Sensitive changes (adding or removing a factor) ask for the password again, except of people who signed
        in through an identity provider: they have no password here, and allauth would have no way to ask."""
        user = getattr(context.request, "user", None)
        if user is not None and user.is_authenticated and not user.has_usable_password():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


class NonceOpenIDConnectProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider, plus a nonce: sent with the authorisation request, kept in the login's
    state, and required back in the ID token (OpenID Connect Core §3.1.2.1), so a replayed token logs nobody in."""

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True  # the IdP vouches for the person; roles come from its groups

    def get_provider(self, request, provider, client_id=None):
        found = super().get_provider(request, provider, client_id=client_id)
        if type(found) is OpenIDConnectProvider:
            return NonceOpenIDConnectProvider(request, app=found.app)
        return found

    def pre_social_login(self, request, sociallogin):
        if not sso.nonce_matches(sociallogin):
            raise ImmediateHttpResponse(render_authentication_error(request, sociallogin.provider))
        if sociallogin.is_existing:
            sso.apply_group_roles(sociallogin.user, sociallogin)

    def save_user(self, request, sociallogin, form=None):
        user = sociallogin.user
        user.organisation = sso.organisation_for(sociallogin)
        user = super().save_user(request, sociallogin, form=form)
        sso.apply_group_roles(user, sociallogin)
        return user
