"""What the desk shares across kinds of ticket: services and categories. (The full catalogue comes later.)"""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AssignmentGroup, TimeStampedModel


@pghistory.track()
class Service(TimeStampedModel):
    """A business or IT service a ticket can affect, with the group that supports it by default."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    support_group = models.ForeignKey(
        AssignmentGroup, verbose_name=_("support group"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="services",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # A P1 incident on a critical service is proposed to the leads as a major incident (incidents.major).
    is_critical = models.BooleanField(pgettext_lazy("service", "critical"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name


@pghistory.track()
class Category(TimeStampedModel):
    """A classification of tickets (hardware, software, network, account, ...), optionally nested."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    default_group = models.ForeignKey(
        AssignmentGroup, verbose_name=_("default group"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent")]

    def __str__(self):
        return f"{self.parent} / {self.name}" if self.parent_id else self.name
