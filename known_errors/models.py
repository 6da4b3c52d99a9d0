"""Known errors (KE-): a problem's documented symptoms, root cause and workaround, published for the service desk."""

import pghistory
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from records.models import Record

from .choices import State
from .querysets import KnownErrorQuerySet

KE = "known error"  # the translation context of words other practices use too (Draft, Workaround, ...)


@pghistory.track(exclude=["search_vector", "internal_search_vector", "updated_at", "link_count"])
class KnownError(Record):
    """A known error (KE-000042): what the desk sees (symptoms), why it happens (root cause) and what to do until it is
    fixed (workaround, Markdown). Staff only. `requester` is the agent who wrote it; `link_count` counts the incidents
    linked to it (once each)."""

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    symptoms = models.TextField(pgettext_lazy(KE, "symptoms"), blank=True, help_text=_("Markdown"))
    root_cause = models.TextField(pgettext_lazy(KE, "root cause"), blank=True, help_text=_("Markdown"))
    workaround = models.TextField(pgettext_lazy(KE, "workaround"), blank=True, help_text=_("Markdown"))
    service = models.ForeignKey(
        "servicedesk.Service", verbose_name=_("service"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="known_errors",
    )
    category = models.ForeignKey(
        "servicedesk.Category", verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="known_errors",
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items"), through="KnownErrorConfigurationItem",
        blank=True, related_name="known_errors",
    )
    link_count = models.PositiveIntegerField(pgettext_lazy(KE, "linked incidents"), default=0, editable=False)
    published_at = models.DateTimeField(pgettext_lazy(KE, "published"), null=True, blank=True)

    objects = KnownErrorQuerySet.as_manager()

    TRACKED_FIELDS = ("state", "service_id", "category_id", "assignment_group_id", "assignee_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("known error")
        verbose_name_plural = _("known errors")
        indexes = [
            models.Index(fields=["state", "-created_at"], name="known_error_state_created"),
            models.Index(fields=["service", "state"], name="known_error_service_state"),
            models.Index(fields=["category", "state"], name="known_error_category_state"),
            GinIndex(fields=["search_vector"], name="known_error_search"),
        ]

    def searchable_texts(self):
        return [self.number, self.title, self.symptoms, self.root_cause, self.workaround]


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class KnownErrorConfigurationItem(models.Model):
    """A configuration item a known error occurs on: incidents on that CI are shown the known error."""

    known_error = models.ForeignKey(KnownError, verbose_name=_("known error"), on_delete=models.CASCADE,
                                    related_name="ci_links")
    configuration_item = models.ForeignKey("cmdb.ConfigurationItem", verbose_name=_("configuration item"),
                                           on_delete=models.PROTECT, related_name="known_error_links")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("known error configuration item")
        verbose_name_plural = _("known error configuration items")
        constraints = [models.UniqueConstraint(fields=["known_error", "configuration_item"],
                                               name="known_error_ci_unique")]
        indexes = [models.Index(fields=["configuration_item"], name="known_error_ci_by_ci")]

    def __str__(self):
        return f"{self.known_error_id} → {self.configuration_item_id}"
