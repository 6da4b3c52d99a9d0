"""The login form keeps its `username` field; second-factor codes count against the same lock-out as passwords."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.adapter import get_adapter as mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn import forms as allauth_webauthn_forms
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from core.roles import Role


class LoginForm(AllauthLoginForm):
    """allauth's login form, posted as `username` like the portal's login form always was (scripts, password
    managers and the demo instructions rely on it)."""

    def add_prefix(self, field_name):
        return "username" if field_name == "login" else super().add_prefix(field_name)


class AxesCountedCodeMixin:
    """A wrong TOTP or recovery code is a failed login for django-axes (same username and address), and no code is
    accepted while that lock-out lasts: guessing codes is as slow as guessing passwords."""

    def clean_code(self):
        request = context.request
        credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True  # AxesMiddleware answers with the lock-out page
            raise ValidationError(_("Too many failed logins. Wait a few minutes and try again."), code="locked")
        try:
            return super().clean_code()
        except ValidationError:
            user_login_failed.send(sender=type(self), credentials=credentials, request=request)
            raise
        except RedisError:
            return self._recovery_code_without_cache()

    def _recovery_code_without_cache(self):
        """The cache (Redis) is down: allauth cannot record a TOTP code as used, so TOTP codes are refused for now,
        but recovery codes (kept in the database) and security keys still work: the desk degrades, it does not
        lock everyone out."""
        code = self.cleaned_data["code"]
        recovery = Authenticator.objects.filter(user=self.user, type=Authenticator.Type.RECOVERY_CODES).first()
        if recovery and recovery.wrap().validate_code(code):
            recovery.user = self.user
            self.authenticator = recovery
            return code
        raise ValidationError(_("Codes from an authenticator app cannot be checked at the moment. Use a security key "
                                "or a recovery code."), code="cache_down")


class MfaAuthenticateForm(AxesCountedCodeMixin, AuthenticateForm):
    pass


class MfaReauthenticateForm(AxesCountedCodeMixin, ReauthenticateForm):
    pass


class AddWebAuthnForm(allauth_webauthn_forms.AddWebAuthnForm):
    """allauth's form, but a malformed credential (not what a browser sends) is a form error, not a server error:
    fido2 raises ValueError on it, which allauth does not catch."""

    def clean(self):
        try:
            return super().clean()
        except (ValueError, KeyError, TypeError) as error:
            raise mfa_adapter().validation_error("incorrect_code") from error


class MfaPolicyForm(forms.Form):
    """Which roles must use a second factor (the administration page of identity.services)."""

    roles = forms.MultipleChoiceField(
        label=_("Roles that must use two-factor authentication"), choices=list(Role.LABELS.items()),
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("People with one of these roles set up an authenticator app or a security key at their next "
                    "sign-in before they can use the portal. API tokens are not affected."))
