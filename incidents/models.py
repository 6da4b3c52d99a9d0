"""Incident records, their conversation and attachments, and the priority matrix."""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from records.models import Attachment, Comment, Record
from records.numbering import next_numbers as _next_numbers

from .attachments import safe_filename
from .choices import (
    PRIORITY_COLOURS,
    Channel,
    Impact,
    Priority,
    ResolutionCode,
    State,
    Urgency,
)
from .querysets import IncidentQuerySet


def next_numbers(count=1):
    """Reserve `count` incident numbers from the kind's sequence (gap-tolerant, never reused)."""
    return _next_numbers(Incident, count)


@pghistory.track()
class PriorityMatrixEntry(models.Model):
    """One cell of the impact × urgency matrix; administrators edit these to change how priority is derived."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority matrix entry")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique_cell")]

    def __str__(self):
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → {self.get_priority_display()}"

    @classmethod
    def priority_for(cls, impact, urgency):
        entry = cls.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
        # A missing cell falls back to the lower (numerically larger) of the two inputs: never silently "urgent".
        return entry if entry is not None else max(int(impact), int(urgency))


@pghistory.track(exclude=["search_vector", "internal_search_vector", "updated_at", "requester_updated_at"])
class Incident(Record):
    """An unplanned interruption or reduction in quality of a service (000 §5.2). A record (records.Record): number,
    title, requester, organisation, assignment, state, milestones and search vectors come from there."""

    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    category = models.ForeignKey(
        "servicedesk.Category", verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="incidents",
    )
    service = models.ForeignKey(
        "servicedesk.Service", verbose_name=_("affected service"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="incidents",
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.MINOR)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P4)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NEW)
    is_major = models.BooleanField(_("major incident"), default=False)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # The desk's latest public word to the requester; the "progress update" SLA clock counts from it. Not in the
    # history: the reply that set it is there already.
    requester_updated_at = models.DateTimeField(_("last update to the requester"), null=True, blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=30, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent incident"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="children",
    )
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="duplicates",
    )

    TRACKED_FIELDS = (
        "state", "priority", "service_id", "organisation_id", "assignment_group_id", "assignee_id", "first_response_at",
        "requester_updated_at", "resolved_at", "closed_at", "duplicate_of_id",
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="incident_created"),
            models.Index(fields=["-updated_at", "-id"], name="incident_updated"),
            models.Index(fields=["state", "-created_at"], name="incident_state_created"),
            models.Index(fields=["assignment_group", "state"], name="incident_group_state"),
            models.Index(fields=["assignee", "state"], name="incident_assignee_state"),
            models.Index(fields=["requester", "-created_at"], name="incident_requester_created"),
            models.Index(fields=["organisation", "-created_at"], name="incident_org_created"),
            models.Index(fields=["priority", "-created_at"], name="incident_priority_created"),
            models.Index(fields=["state", "resolved_at"], name="incident_state_resolved"),
            GinIndex(fields=["search_vector"], name="incident_search"),
            GinIndex(fields=["internal_search_vector"], name="incident_internal_search"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(duplicate_of=models.F("id")), name="incident_not_own_duplicate"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="incident_not_own_parent"),
        ]

    @property
    def priority_colour(self):
        return PRIORITY_COLOURS.get(self.priority, "secondary")


@pghistory.track()
class IncidentComment(Comment):
    """One entry of an incident's conversation (records.Comment)."""

    RECORD_FIELD = "incident"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="comments"
    )

    class Meta(Comment.Meta):
        indexes = [models.Index(fields=["incident", "created_at"], name="comment_incident_created")]

    def __str__(self):
        return f"{self.incident_id}: {self.body[:40]}"


def attachment_path(instance, filename):
    # The uploaded name is the client's: stripped of directories, markup and ".." before it becomes a path.
    return f"attachments/incidents/{instance.incident_id}/{safe_filename(filename)}"


@pghistory.track()
class IncidentAttachment(Attachment):
    """A file attached to an incident, optionally to one conversation entry (records.Attachment)."""

    RECORD_FIELD = "incident"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        IncidentComment, verbose_name=_("conversation entry"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)

    class Meta(Attachment.Meta):
        pass


class CILink(models.TextChoices):
    AFFECTED_CI = "affected_ci", _("Affected configuration item")
    AFFECTED_SERVICE = "affected_service", _("Affected service")


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())  # links are added and removed, never edited
class IncidentConfigurationItem(models.Model):
    """A CI an incident is about, or a service it affects (filled by hand or from the CI's impact graph)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="ci_links"
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem", verbose_name=_("configuration item"), on_delete=models.PROTECT,
        related_name="incident_links",
    )
    link = models.CharField(_("link"), max_length=20, choices=CILink.choices, default=CILink.AFFECTED_CI)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["link", "created_at", "id"]
        verbose_name = _("incident configuration item")
        verbose_name_plural = _("incident configuration items")
        constraints = [
            models.UniqueConstraint(fields=["incident", "configuration_item", "link"], name="incident_ci_unique"),
        ]
        indexes = [models.Index(fields=["configuration_item", "link"], name="incident_ci_by_ci")]

    def __str__(self):
        return f"{self.incident_id} → {self.configuration_item_id} ({self.link})"



class MajorStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("major incident", "Proposed")
    DISMISSED = "dismissed", _("Proposal dismissed")
    ACTIVE = "active", _("Major incident")
    REVIEWED = "reviewed", pgettext_lazy("major incident", "Reviewed")


@pghistory.track()
class MajorIncident(models.Model):
    """The major-incident process around one incident (incidents.major): proposed (a P1 on a critical service),
    declared by a lead with a manager, and closed only after its review (which raises a problem)."""

    incident = models.OneToOneField(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                    related_name="major")
    status = models.CharField(pgettext_lazy("major incident", "status"), max_length=20, choices=MajorStatus.choices,
                              default=MajorStatus.PROPOSED)
    proposed_at = models.DateTimeField(pgettext_lazy("major incident", "proposed"), null=True, blank=True)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("major-incident manager"),
                                on_delete=models.PROTECT, null=True, blank=True, related_name="managed_majors")
    declared_at = models.DateTimeField(pgettext_lazy("major incident", "declared"), null=True, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=pgettext_lazy("major incident", "declared by"))
    summary = models.TextField(_("summary"), blank=True)
    review = models.TextField(pgettext_lazy("major incident", "review"), blank=True)
    reviewed_at = models.DateTimeField(pgettext_lazy("major incident", "reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=pgettext_lazy("major incident", "reviewed by"))
    problem_id = models.BigIntegerField(_("problem raised"), null=True, blank=True)

    class Meta:
        ordering = ["-declared_at", "-proposed_at", "-id"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [models.Index(fields=["status"], name="major_incident_status")]

    def __str__(self):
        return f"{self.incident_id} ({self.status})"
