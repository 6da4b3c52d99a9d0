"""The authorisation layer for records: what a person may see. Pages, API, search and exports all start here.

The default rule is the incident's: staff see every record; an end user sees their own (and their organisation's,
where they may). A kind whose records end users never see (problems, known errors) uses StaffOnlyQuerySet.
"""

from django.db import models
from django.db.models import Q

from core.roles import is_staff_member


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


class RecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not _active(user):
            return self.none()
        if is_staff_member(user):
            return self
        condition = Q(requester=user)
        if user.sees_organisation_tickets and user.organisation_id:
            condition |= Q(organisation_id=user.organisation_id)
        return self.filter(condition)


class StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if _active(user) and is_staff_member(user) else self.none()


class ConversationQuerySet(models.QuerySet):
    """Conversation entries of visible records; internal notes only for staff. The kind's comment model says which
    record model it belongs to through its `record_model()` (the foreign key named in `RECORD_FIELD`)."""

    def visible_to(self, user):
        if not _active(user):
            return self.none()
        field = self.model.RECORD_FIELD
        record_model = self.model._meta.get_field(field).related_model
        qs = self.filter(**{f"{field}__in": record_model.objects.visible_to(user).values("pk")})
        return qs if is_staff_member(user) else qs.filter(is_internal=False)


class AttachmentQuerySet(models.QuerySet):
    """Files of visible records; those of internal notes only for staff."""

    def visible_to(self, user):
        if not _active(user):
            return self.none()
        field = self.model.RECORD_FIELD
        record_model = self.model._meta.get_field(field).related_model
        qs = self.filter(**{f"{field}__in": record_model.objects.visible_to(user).values("pk")})
        if not is_staff_member(user):
            qs = qs.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
        return qs
