"""What every practice shares: people, organisations, assignment groups, and base model mixins."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and last-change instants."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic locking: a writer states the version it read; a stale one is refused (409)."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class Organisation(TimeStampedModel):
    """A customer: the company or department a requester belongs to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person: requester, agent, lead, manager or administrator (roles are Django groups, see core.roles)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="users",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    sees_organisation_tickets = models.BooleanField(
        _("sees the organisation's tickets"), default=False,
        help_text=_("An end user who may follow every ticket of their organisation, not only their own."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class AssignmentGroup(TimeStampedModel):
    """A team incidents are assigned to, with members and a lead."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    lead = models.ForeignKey(
        User, verbose_name=_("lead"), on_delete=models.PROTECT, null=True, blank=True, related_name="led_groups"
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="assignment_groups", blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("assignment group")
        verbose_name_plural = _("assignment groups")

    def __str__(self):
        return self.name


class Notification(models.Model):
    """A message to a person, shown in the portal and (usually) mailed. The key makes each one happen once."""

    recipient = models.ForeignKey(User, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    key = models.CharField(_("key"), max_length=200)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_key")]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_unread")]

    def __str__(self):
        return self.subject


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's own views and those shared with a group they belong to."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(models.Q(owner=user) | models.Q(shared_with__members=user)).distinct()


class SavedView(TimeStampedModel):
    """A named way of looking at a record list (the incident queue, later other practices' lists): its filters as a
    query string, its columns and its sort. Personal, or shared with an assignment group's members."""

    # CASCADE: a view is its owner's preference, not a record anyone else depends on (unlike tickets).
    owner = models.ForeignKey(User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_views")
    shared_with = models.ForeignKey(
        AssignmentGroup, verbose_name=_("shared with"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="saved_views",
    )
    list_key = models.CharField(_("list"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=50, blank=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["list_key", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_key", "name"], name="saved_view_unique_name"),
        ]
        indexes = [models.Index(fields=["list_key", "owner"], name="saved_view_list_owner")]

    def __str__(self):
        return self.name
