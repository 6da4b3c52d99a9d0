"""What every practice record shares. Abstract bases a kind's models extend (the record itself, its conversation and
its attachments, each kind in its own tables so a million incidents never share an index with problems), and the
concrete tables that join records of any kinds: typed links, watchers, time spent, reply templates and the timeline.

Records of any kind are pointed at by (kind key, record id): a link between a problem and an incident, or a watcher
of a change, needs no foreign key per pair of kinds.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, TimeStampedModel, VersionedModel

from .querysets import AttachmentQuerySet, ConversationQuerySet, RecordQuerySet


class Record(TimeStampedModel, VersionedModel):
    """A practice record: a number from its kind's sequence, a title and description, a state from its kind's
    workflow, the requester and their organisation, the assignment, milestones and the search vectors (English +
    Chinese; internal notes searchable by staff only). A kind redeclares `state` with its choices."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="%(class)ss"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="%(class)ss",
    )
    state = models.CharField(_("state"), max_length=20)
    assignment_group = models.ForeignKey(
        AssignmentGroup, verbose_name=_("assignment group"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="%(class)ss",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="assigned_%(class)ss",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    internal_search_vector = SearchVectorField(null=True, editable=False)

    objects = RecordQuerySet.as_manager()

    SEARCH_FIELDS = ("search_vector", "internal_search_vector")
    # The fields other practices react to (records.signals): a change to one of these sends record_changed.
    TRACKED_FIELDS = ("state", "organisation_id", "assignment_group_id", "assignee_id", "resolved_at", "closed_at")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.title}"

    @classmethod
    def kind(cls):
        from .registry import kind_of

        return kind_of(cls)

    @property
    def state_info(self):
        return self.kind().workflow.info(self.state)

    @property
    def state_colour(self):
        return self.state_info.colour

    @property
    def is_open(self):
        return self.state_info.open

    def searchable_texts(self):
        """The public texts the search vector is built from (a kind adds its own fields)."""
        return [self.number, self.title, self.description]


class Comment(models.Model):
    """One entry of a record's conversation: a public reply the requester sees, or an internal note they never see.
    A kind declares the foreign key to its record (related_name "comments") and names it in RECORD_FIELD."""

    RECORD_FIELD = "record"
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT)
    body = models.TextField(_("text"), help_text=_("Markdown"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]
        verbose_name = _("conversation entry")
        verbose_name_plural = _("conversation entries")

    def __str__(self):
        return self.body[:40]


class Attachment(models.Model):
    """A file attached to a record, optionally to one conversation entry (internal if the entry is). A kind declares
    foreign key to its record (named in RECORD_FIELD), `comment`, and `file` with where files go (related names
    "attachments")."""

    RECORD_FIELD = "record"
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename

    @property
    def is_internal(self):
        return bool(self.comment_id and self.comment.is_internal)


class LinkType(models.TextChoices):
    """How two records relate. Each type reads one way from the source and the other way from the target."""

    PARENT_OF = "parent_of", _("Parent of")
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")
    FIXED_BY = "fixed_by", _("Fixed by")
    RELATED = "related", _("Related to")


# How a link reads from its target's side ("INC-1 caused by PRB-2" shows on PRB-2 as "causes INC-1").
LINK_INVERSE_LABELS = {
    LinkType.PARENT_OF: _("Child of"),
    LinkType.DUPLICATE_OF: _("Duplicated by"),
    LinkType.CAUSED_BY: _("Causes"),
    LinkType.FIXED_BY: _("Fixes"),
    LinkType.RELATED: _("Related to"),
}


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class RecordLink(models.Model):
    """A typed link from one record to another, of any kinds: INC-000123 caused by PRB-000007."""

    source_kind = models.CharField(_("source kind"), max_length=20)
    source_id = models.BigIntegerField(_("source"))
    link_type = models.CharField(_("link"), max_length=20, choices=LinkType.choices)
    target_kind = models.CharField(_("target kind"), max_length=20)
    target_id = models.BigIntegerField(_("target"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("record link")
        verbose_name_plural = _("record links")
        constraints = [
            models.UniqueConstraint(fields=["source_kind", "source_id", "link_type", "target_kind", "target_id"],
                                    name="record_link_unique"),
            models.CheckConstraint(condition=~(models.Q(source_kind=models.F("target_kind"))
                                               & models.Q(source_id=models.F("target_id"))),
                                   name="record_link_not_to_itself"),
        ]
        indexes = [
            models.Index(fields=["source_kind", "source_id"], name="record_link_source"),
            models.Index(fields=["target_kind", "target_id", "link_type"], name="record_link_target"),
        ]

    def __str__(self):
        return f"{self.source_kind}:{self.source_id} {self.link_type} {self.target_kind}:{self.target_id}"


class Watcher(models.Model):
    """Someone who follows a record: told of its public changes like the requester."""

    record_kind = models.CharField(_("kind"), max_length=20)
    record_id = models.BigIntegerField(_("record"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="watching")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [models.UniqueConstraint(fields=["record_kind", "record_id", "user"], name="watcher_unique")]

    def __str__(self):
        return f"{self.user_id} watches {self.record_kind}:{self.record_id}"


@pghistory.track()
class TimeEntry(models.Model):
    """Time spent on a record by an agent, entered with a reply or a note (or alone); summed per record, agent and
    group for the effort figures continual improvement reports."""

    record_kind = models.CharField(_("kind"), max_length=20)
    record_id = models.BigIntegerField(_("record"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT,
                             related_name="time_entries")
    group = models.ForeignKey(AssignmentGroup, verbose_name=_("group"), on_delete=models.PROTECT, null=True,
                              blank=True, related_name="time_entries")
    minutes = models.PositiveIntegerField(_("minutes"))
    comment_id = models.BigIntegerField(_("conversation entry"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    spent_on = models.DateField(_("date"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [models.CheckConstraint(condition=models.Q(minutes__gt=0, minutes__lte=24 * 60),
                                              name="time_entry_minutes_in_a_day")]
        indexes = [
            models.Index(fields=["record_kind", "record_id"], name="time_entry_record"),
            models.Index(fields=["user", "-spent_on"], name="time_entry_user"),
            models.Index(fields=["group", "-spent_on"], name="time_entry_group"),
        ]

    def __str__(self):
        return f"{self.minutes} min on {self.record_kind}:{self.record_id}"


@pghistory.track()
class ReplyTemplate(TimeStampedModel):
    """A canned answer in both languages, for one group or one agent, with placeholders ({requester}, {number},
    {title}, {due}, {agent}) filled in when inserted into a reply."""

    name = models.CharField(_("name"), max_length=100)
    body_en = models.TextField(_("text (English)"))
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    group = models.ForeignKey(AssignmentGroup, verbose_name=_("group"), on_delete=models.CASCADE, null=True,
                              blank=True, related_name="reply_templates")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, null=True,
                              blank=True, related_name="reply_templates",
                              help_text=_("A personal template; empty for a group's or everyone's."))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        constraints = [models.CheckConstraint(
            condition=~(models.Q(group__isnull=False) & models.Q(owner__isnull=False)),
            name="reply_template_group_or_owner")]

    def __str__(self):
        return self.name


class TimelineEvent(models.Model):
    """One entry of a record's timeline: a stable `key` ("major_declared", "stakeholder_update") with structured
    `data`, translated when shown (records.timeline), never a stored sentence."""

    record_kind = models.CharField(_("kind"), max_length=20)
    record_id = models.BigIntegerField(_("record"))
    key = models.CharField(_("event"), max_length=50)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    public = models.BooleanField(_("shown to the requester"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["record_kind", "record_id", "created_at"], name="timeline_record")]

    def __str__(self):
        return f"{self.record_kind}:{self.record_id} {self.key}"
