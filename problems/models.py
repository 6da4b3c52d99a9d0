"""Problem records (PRB-), their conversation and affected CIs, and the trend candidates that propose them."""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.choices import PRIORITY_COLOURS, Impact, Priority, Urgency
from records.models import Comment, Record
from records.querysets import StaffOnlyQuerySet

from .choices import CandidateState, CauseCategory, ProblemSource, ProblemState, TrendDimension


class ProblemQuerySet(StaffOnlyQuerySet):
    """Problems are the desk's own records: staff see them all, end users none (a 404)."""


@pghistory.track(exclude=["search_vector", "internal_search_vector", "updated_at"])
class Problem(Record):
    """The cause of one or more incidents (000 §5.3, 004): identified, investigated to its root cause (control), its
    fix made (error control, fixed by a change), resolved and closed with a review. A record (records.Record)."""

    state = models.CharField(_("state"), max_length=20, choices=ProblemState.choices, default=ProblemState.NEW)
    source = models.CharField(_("source"), max_length=20, choices=ProblemSource.choices, default=ProblemSource.MANUAL)
    service = models.ForeignKey("servicedesk.Service", verbose_name=_("affected service"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="problems")
    category = models.ForeignKey("servicedesk.Category", verbose_name=_("category"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="problems")
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.MODERATE)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    cause_category = models.CharField(_("cause category"), max_length=20, choices=CauseCategory.choices, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    analysis_notes = models.TextField(_("analysis notes"), blank=True, help_text=_("Markdown"))
    workaround = models.TextField(_("workaround"), blank=True)
    fix_description = models.TextField(_("fix"), blank=True)
    review_notes = models.TextField(_("review"), blank=True)

    TRACKED_FIELDS = ("state", "priority", "assignment_group_id", "assignee_id", "resolved_at", "closed_at")

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["state", "-created_at"], name="problem_state_created"),
            models.Index(fields=["assignment_group", "state"], name="problem_group_state"),
            models.Index(fields=["assignee", "state"], name="problem_assignee_state"),
            models.Index(fields=["priority", "-created_at"], name="problem_priority_created"),
            GinIndex(fields=["search_vector"], name="problem_search"),
            GinIndex(fields=["internal_search_vector"], name="problem_internal_search"),
        ]

    @property
    def priority_colour(self):
        return PRIORITY_COLOURS.get(self.priority, "secondary")

    def searchable_texts(self):
        return [self.number, self.title, self.description, self.root_cause, self.workaround, self.fix_description]


@pghistory.track()
class ProblemComment(Comment):
    """One entry of a problem's conversation (records.Comment); problems are staff-only, so every entry is too."""

    RECORD_FIELD = "problem"

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="comments")

    class Meta(Comment.Meta):
        indexes = [models.Index(fields=["problem", "created_at"], name="comment_problem_created")]

    def __str__(self):
        return f"{self.problem_id}: {self.body[:40]}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ProblemConfigurationItem(models.Model):
    """A CI the problem affects (or lives in)."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="ci_links")
    configuration_item = models.ForeignKey("cmdb.ConfigurationItem", verbose_name=_("configuration item"),
                                           on_delete=models.PROTECT, related_name="problem_links")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("problem configuration item")
        verbose_name_plural = _("problem configuration items")
        constraints = [models.UniqueConstraint(fields=["problem", "configuration_item"], name="problem_ci_unique")]

    def __str__(self):
        return f"{self.problem_id} → {self.configuration_item_id}"


class ProblemCandidate(models.Model):
    """A cluster of incidents a trend run found (at least PROBLEM_TREND_MIN_INCIDENTS sharing a CI, service, category
    or title within PROBLEM_TREND_WINDOW_DAYS), proposed to the problem managers. The fingerprint (dimension, key,
    the cluster's first incident) makes the same cluster one row however often the scan runs; a dismissed one stays."""

    fingerprint = models.CharField(_("fingerprint"), max_length=200, unique=True)
    dimension = models.CharField(_("shared"), max_length=20, choices=TrendDimension.choices)
    key = models.CharField(_("key"), max_length=200)
    label = models.CharField(_("label"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=CandidateState.choices,
                             default=CandidateState.PROPOSED)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    incidents = models.ManyToManyField("incidents.Incident", verbose_name=_("incidents"), through="CandidateIncident",
                                       related_name="problem_candidates")
    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="candidates")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        indexes = [models.Index(fields=["state", "-created_at"], name="problem_candidate_state"),
                   models.Index(fields=["dimension", "key"], name="problem_candidate_key")]

    def __str__(self):
        return f"{self.get_dimension_display()}: {self.label}"


class CandidateIncident(models.Model):
    """One incident of a candidate's cluster."""

    candidate = models.ForeignKey(ProblemCandidate, on_delete=models.CASCADE, related_name="members")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["candidate", "incident"], name="candidate_incident_unique")]
        indexes = [models.Index(fields=["incident"], name="candidate_incident_incident")]

    def __str__(self):
        return f"{self.candidate_id}: {self.incident_id}"


class TrendScan(models.Model):
    """How far the trend scan has read (the highest incident id it saw), one row: runs after the first look only at
    windows touching newer incidents."""

    last_incident_id = models.BigIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("trend scan")

    def __str__(self):
        return f"up to incident {self.last_incident_id}"
