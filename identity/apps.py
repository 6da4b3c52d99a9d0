from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """Login, multi-factor authentication and single sign-on on top of django-allauth."""

    name = "identity"
    verbose_name = _("Sign-in")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
