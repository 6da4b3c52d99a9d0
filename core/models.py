"""What every practice shares: people, organisations, assignment groups, and base model mixins."""

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
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


@pghistory.track()
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


# Secrets and the login stamp stay out of the audit trail.
@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A person: requester, agent, lead, manager or administrator (roles are Django groups, see core.roles)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="users",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True,
                                 help_text=_("Times are shown in this zone; empty means the portal's."))
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


@pghistory.track()
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


# Who joined and left a team, and who was given or lost a role: the links are added and removed, never edited.
pghistory.track(pghistory.InsertEvent("member.add"), pghistory.DeleteEvent("member.remove"), obj_field=None,
                model_name="AssignmentGroupMembershipEvent")(AssignmentGroup.members.through)
pghistory.track(pghistory.InsertEvent("role.add"), pghistory.DeleteEvent("role.remove"), obj_field=None,
                app_label="core", model_name="UserRoleEvent")(User.groups.through)


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


class OutboxMessage(models.Model):
    """A side effect of a committed change (a mail, a notification, later a webhook), waiting to be carried out.

    Written by core.outbox.enqueue in the change's own transaction, so it exists exactly when the change does; the
    relay (core.outbox.relay) runs its handler and marks it done. The key makes each effect one row.
    """

    key = models.CharField(_("key"), max_length=200)
    handler = models.CharField(_("handler"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Not tried before this instant: the lease of the relay that took it, or the pause after a failure.
    available_at = models.DateTimeField(_("available from"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_unique_key")]
        indexes = [models.Index(fields=["available_at", "id"], condition=models.Q(done_at__isnull=True),
                                name="outbox_pending")]

    def __str__(self):
        return self.key


class IdempotencyKey(models.Model):
    """A create request already carried out, kept by its key so a retry or a double-click answers with the record it
    made instead of making another (core.idempotency). Written in the same transaction as the record."""

    # CASCADE: a key is a short-lived technical record (IDEMPOTENCY_KEY_HOURS), not history to keep for its user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    scope = models.CharField(_("scope"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    result = models.CharField(_("result"), max_length=500)  # the record's lookup value (API) or the page it led to
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once")]

    def __str__(self):
        return f"{self.scope}:{self.key}"


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
