"""Signal receivers: the second-factor requirement is decided at login and lifted when a factor is added."""

from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import policy


@receiver(user_logged_in, dispatch_uid="identity-mfa-required-at-login")
def decide_mfa_setup_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        if policy.must_set_up_mfa(user):
            request.session[policy.SESSION_KEY] = True
        else:
            request.session.pop(policy.SESSION_KEY, None)


@receiver(authenticator_added, dispatch_uid="identity-mfa-added")
@receiver(authenticator_removed, dispatch_uid="identity-mfa-removed")
def recheck_mfa_setup(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        decide_mfa_setup_at_login(sender, request, user)
