"""The knowledge base: articles in the problem → solution form, their published revisions, votes, daily views and
deflections (an end user's "this solved it" instead of a new incident).

An article's own fields are its working copy (what the author edits); each publication is kept as an ArticleRevision
and `published_revision` is the one end users read, so revising a published article never hides it.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import Organisation, TimeStampedModel, VersionedModel

from .choices import ArticleState, Audience
from .querysets import ArticleQuerySet

PREFIX = "KB"


@pghistory.track()
class ArticleCategory(models.Model):
    """A subject area of the knowledge base (administrators' data: named in English and Chinese)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("name in Chinese"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self):
        return self.label

    @property
    def label(self):
        language = get_language() or ""
        return self.name_zh if language.startswith("zh") and self.name_zh else self.name


@pghistory.track(exclude=["search_vector", "updated_at", "view_count", "helpful_count", "not_helpful_count",
                          "deflection_count"])
class Article(TimeStampedModel, VersionedModel):
    """A knowledge article: symptoms, cause and solution (Markdown), its audience and its place in the review flow."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True, help_text=_("Markdown"))
    cause = models.TextField(_("cause"), blank=True, help_text=_("Markdown"))
    solution = models.TextField(_("solution"), blank=True, help_text=_("Markdown"))
    category = models.ForeignKey(ArticleCategory, verbose_name=_("category"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="articles")
    tags = ArrayField(models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.INTERNAL)
    organisations = models.ManyToManyField(Organisation, verbose_name=_("organisations"), blank=True,
                                           related_name="articles")
    state = models.CharField(_("state"), max_length=20, choices=ArticleState.choices, default=ArticleState.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="owned_articles")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT,
                                   related_name="drafted_articles")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="reviewed_articles")
    review_note = models.TextField(_("review note"), blank=True)
    published_revision = models.ForeignKey("ArticleRevision", verbose_name=_("published revision"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    source_record = models.CharField(_("made from"), max_length=20, blank=True,
                                     help_text=_("The incident or known error this article was made from."))
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    deflection_count = models.PositiveIntegerField(_("solved without an incident"), default=0)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    SEARCH_FIELDS = ("search_vector",)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            GinIndex(fields=["search_vector"], name="kb_article_search"),
            GinIndex(fields=["tags"], name="kb_article_tags"),
            models.Index(fields=["state", "audience"], name="kb_article_state_audience"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def state_colour(self):
        from .workflow import WORKFLOW

        return WORKFLOW.info(self.state).colour

    @property
    def is_live(self):
        return self.published_revision_id is not None and self.state != ArticleState.RETIRED


class ArticleRevision(models.Model):
    """One published version of an article, kept as it was: the page can show any earlier one."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="revisions")
    revision = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"))

    class Meta:
        ordering = ["article", "-revision"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [models.UniqueConstraint(fields=["article", "revision"], name="kb_revision_unique")]

    def __str__(self):
        return f"{self.article_id} r{self.revision}"


class ArticleVote(models.Model):
    """One person's verdict on an article; changing it moves the article's counts."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["article", "user"]
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_vote_once")]

    def __str__(self):
        return f"{self.article_id}/{self.user_id}: {self.helpful}"


class ArticleView(models.Model):
    """That a person read an article on a day: views are counted once per person per day."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    day = models.DateField(_("day"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        constraints = [models.UniqueConstraint(fields=["article", "user", "day"], name="kb_view_once_a_day")]

    def __str__(self):
        return f"{self.article_id}/{self.user_id} {self.day}"


class DeflectionEvent(models.Model):
    """An end user said an article solved what they were about to report: an incident not raised."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="deflections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    query = models.CharField(_("words typed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")

    def __str__(self):
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"
