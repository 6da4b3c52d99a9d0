"""The configuration management database: CI classes and their attribute definitions, configuration items, typed
relationships between them, and discovery import jobs.

Class-specific attributes live in one JSONB column per CI, validated against the class's AttributeDefinition rows
(cmdb/attributes.py) and indexed with GIN jsonb_path_ops, so `attributes @> {"os": "Linux"}` is an index scan. A
table per class (or EAV rows) would need DDL or a join per attribute; administrators add attributes as data.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, TimeStampedModel, VersionedModel

from .choices import LIFECYCLE_COLOURS, AttributeType, ImportFormat, ImportState, Lifecycle
from .querysets import ConfigurationItemQuerySet, ImportJobQuerySet, RelationshipQuerySet

ATTRIBUTE_KEY = RegexValidator(r"^[a-z][a-z0-9_]{0,49}$", _("Use lower-case letters, digits and underscores, "
                                                             "starting with a letter."))
COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1f77b4."))


@pghistory.track()
class CIClass(TimeStampedModel):
    """A kind of configuration item (server, application, business service ...) and the attributes it has.

    Classes may nest: a subclass has its parent's attributes as well as its own, and a relationship rule naming the
    parent allows the subclass too.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True, help_text=_("Used by imports and the API."))
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent class"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="children",
    )
    is_service = models.BooleanField(
        _("is a service"), default=False,
        help_text=_("CIs of this class are business or technical services: impact analysis reports them as affected."),
    )
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d", validators=[COLOUR],
                              help_text=_("Colour of this class's nodes in the impact graph."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self):
        return self.name

    def lineage(self):
        """This class and its ancestors, root first (a loop, which clean() forbids, is cut rather than followed)."""
        chain, seen, node = [], set(), self
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def clean(self):
        super().clean()
        if self.parent_id and self.pk and any(c.pk == self.pk for c in self.parent.lineage()):
            raise ValidationError({"parent": _("A class cannot be its own ancestor.")})


@pghistory.track()
class AttributeDefinition(models.Model):
    """One attribute CIs of a class (and its subclasses) have: its key, type, and whether it is required or unique.

    Uniqueness is enforced by cmdb.attributes under an advisory lock per definition, not by a partial unique index
    per definition: definitions are data that administrators add at run time, and an index per definition would be
    schema DDL issued from a web request (outside migrations, locking the CI table, failing without naming the
    offending CIs when duplicates already exist). The lock makes check-then-write safe between concurrent writers.
    """

    ci_class = models.ForeignKey(CIClass, verbose_name=_("CI class"), on_delete=models.CASCADE,
                                 related_name="attribute_definitions")
    key = models.CharField(_("key"), max_length=50, validators=[ATTRIBUTE_KEY])
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=AttributeType.choices, default=AttributeType.STRING)
    required = models.BooleanField(_("required"), default=False)
    unique = models.BooleanField(_("unique"), default=False,
                                 help_text=_("No two CIs of this class (and its subclasses) share a value."))
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_("For the choice type: the allowed values, as a JSON list of strings."))
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["ci_class", "position", "key"]
        verbose_name = _("attribute definition")
        verbose_name_plural = _("attribute definitions")
        constraints = [models.UniqueConstraint(fields=["ci_class", "key"], name="attribute_definition_unique_key")]

    def __str__(self):
        return f"{self.ci_class}: {self.label} ({self.key})"

    def clean(self):
        super().clean()
        if self.type == AttributeType.CHOICE:
            if (not isinstance(self.choices, list) or not self.choices
                    or not all(isinstance(c, str) and c.strip() for c in self.choices)):
                raise ValidationError({"choices": _("A choice attribute needs a list of non-empty texts.")})
            if len(set(self.choices)) != len(self.choices):
                raise ValidationError({"choices": _("The choices repeat a value.")})
        elif self.choices:
            raise ValidationError({"choices": _("Only a choice attribute has choices.")})
        if self.unique and self.type == AttributeType.BOOLEAN:
            raise ValidationError({"unique": _("A yes/no attribute cannot be unique.")})
        if self.ci_class_id:
            related = [c.pk for c in self.ci_class.lineage()]
            clash = AttributeDefinition.objects.filter(ci_class_id__in=related, key=self.key).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"key": _("The class or one of its parents already defines “%(key)s”.")
                                       % {"key": self.key}})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
                 exclude=["updated_at", "last_seen_at"])
class ConfigurationItem(TimeStampedModel, VersionedModel):
    """Anything managed to deliver a service: hardware, software, a service itself, a document, a contract (002).

    `last_seen_at` (when discovery last reported the CI) is not tracked: re-importing an unchanged file records no
    history. Location is free text until facilities management brings a location register.
    """

    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("name"), max_length=200)
    state = models.CharField(_("lifecycle state"), max_length=20, choices=Lifecycle.choices,
                             default=Lifecycle.IN_USE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="owned_cis")
    support_group = models.ForeignKey(AssignmentGroup, verbose_name=_("support group"), on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="supported_cis")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="cis")
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    external_source = models.CharField(_("external source"), max_length=50, blank=True,
                                       help_text=_("The discovery tool or file the CI is imported from."))
    external_key = models.CharField(_("external key"), max_length=200, blank=True,
                                    help_text=_("The CI's stable identifier in that source."))
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            GinIndex(fields=["attributes"], opclasses=["jsonb_path_ops"], name="ci_attributes"),
            models.Index(fields=["name", "id"], name="ci_name"),
            models.Index(fields=["ci_class", "state"], name="ci_class_state"),
            models.Index(fields=["organisation", "name"], name="ci_organisation_name"),
            models.Index(fields=["owner"], name="ci_owner"),
            models.Index(fields=["support_group"], name="ci_support_group"),
            models.Index(fields=["external_source", "last_seen_at"], name="ci_source_seen"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_source", "external_key"], condition=~Q(external_key=""),
                                    name="ci_unique_external_key"),
            models.CheckConstraint(condition=Q(external_key="") | ~Q(external_source=""),
                                   name="ci_external_key_has_source"),
        ]

    def __str__(self):
        return self.name

    @property
    def state_colour(self):
        return LIFECYCLE_COLOURS.get(self.state, "secondary")


@pghistory.track()
class RelationshipType(models.Model):
    """A kind of link with a reading in each direction: the source "runs on" the target, the target "hosts" it.

    By convention the source depends on the target, so when `propagates_impact` is set a failure of the target hits
    the source. Empty allowed-class lists allow any class; a listed class allows its subclasses too.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    forward_label = models.CharField(_("forward reading"), max_length=100, help_text=_("e.g. “runs on”"))
    reverse_label = models.CharField(_("reverse reading"), max_length=100, help_text=_("e.g. “hosts”"))
    description = models.TextField(_("description"), blank=True)
    allowed_source_classes = models.ManyToManyField(CIClass, verbose_name=_("allowed source classes"), blank=True,
                                                    related_name="+")
    allowed_target_classes = models.ManyToManyField(CIClass, verbose_name=_("allowed target classes"), blank=True,
                                                    related_name="+")
    allows_cycles = models.BooleanField(_("allows cycles"), default=False)
    propagates_impact = models.BooleanField(_("propagates impact"), default=True,
                                            help_text=_("A failure of the target affects the source."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
                 exclude=["last_seen_at"])
class Relationship(models.Model):
    """A typed, directed link between two CIs: source —forward label→ target."""

    # No single-column indexes: the unique constraint's (source, target, type) serves walks from the source and
    # relationship_target (target, type, source) walks from the target, index-only.
    source = models.ForeignKey(ConfigurationItem, verbose_name=_("source"), on_delete=models.CASCADE,
                               related_name="outgoing", db_index=False)
    target = models.ForeignKey(ConfigurationItem, verbose_name=_("target"), on_delete=models.CASCADE,
                               related_name="incoming", db_index=False)
    type = models.ForeignKey(RelationshipType, verbose_name=_("type"), on_delete=models.PROTECT,
                             related_name="relationships")
    external_source = models.CharField(_("external source"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["source", "type", "target"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="relationship_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="relationship_not_to_itself"),
        ]
        indexes = [models.Index(fields=["target", "type", "source"], name="relationship_target")]

    def __str__(self):
        return f"{self.source} {self.type.forward_label} {self.target}"


class ImportJob(models.Model):
    """One bulk load of CIs (and relationships) from a file, with its row-by-row report.

    The file is kept in the database, not on a disk the web process shares with the worker, and emptied once read.
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ImportState.choices, default=ImportState.QUEUED)
    external_source = models.CharField(_("external source"), max_length=50)
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    filename = models.CharField(_("file name"), max_length=200)
    relationships_filename = models.CharField(_("relationships file name"), max_length=200, blank=True)
    payload = models.BinaryField(_("file"), default=bytes, editable=False)
    relationships_payload = models.BinaryField(_("relationships file"), default=bytes, editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    rows = models.JSONField(_("row report"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_creator")]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def is_finished(self):
        return self.state in (ImportState.DONE, ImportState.FAILED)
