"""Sign-in rules administrators edit: which roles must use a second factor, and which IdP group gives which role."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.roles import Role

ROLE_CHOICES = list(Role.LABELS.items())


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())  # who changed the sign-in policy, when
class MfaRequiredRole(models.Model):
    """A role whose holders must set up a second factor (TOTP or a security key) before they may use the portal."""

    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES, unique=True)

    class Meta:
        ordering = ["role"]
        verbose_name = _("role requiring two-factor authentication")
        verbose_name_plural = _("roles requiring two-factor authentication")

    def __str__(self):
        return str(Role.LABELS.get(self.role, self.role))


class IdpGroupRole(models.Model):
    """An identity provider's group (from its groups claim or attribute) and the portal role it gives.

    Applied at each single sign-on: the user's roles become exactly those their groups map to (end user if none).
    `provider` is the SocialApp's provider id (its provider name when the id is empty); empty means any provider.
    """

    provider = models.CharField(_("provider"), max_length=200, blank=True,
                                help_text=_("Leave empty to apply to every single sign-on provider."))
    group = models.CharField(_("IdP group"), max_length=200)
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)

    class Meta:
        ordering = ["provider", "group", "role"]
        verbose_name = _("IdP group mapping")
        verbose_name_plural = _("IdP group mappings")
        constraints = [
            models.UniqueConstraint(fields=["provider", "group", "role"], name="idpgrouprole_unique_mapping"),
        ]

    def __str__(self):
        return f"{self.group} → {Role.LABELS.get(self.role, self.role)}"
