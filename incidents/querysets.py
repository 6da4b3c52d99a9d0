"""The authorisation layer for incidents: what a person may see. Pages, API, search and exports all start here."""

from django.db import models
from django.db.models import Q

from core.roles import is_staff_member


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every incident; an end user sees their own (and their organisation's, where allowed)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_staff_member(user):
            return self
        condition = Q(requester=user)
        if user.sees_organisation_tickets and user.organisation_id:
            condition |= Q(organisation_id=user.organisation_id)
        return self.filter(condition)


class IncidentCommentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Conversation entries of visible incidents; internal notes only for staff."""
        from .models import Incident

        if user is None or not user.is_authenticated:
            return self.none()
        qs = self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))
        if not is_staff_member(user):
            qs = qs.filter(is_internal=False)
        return qs


class IncidentAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Files of visible incidents; those of internal notes only for staff."""
        from .models import Incident

        if user is None or not user.is_authenticated:
            return self.none()
        qs = self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))
        if not is_staff_member(user):
            qs = qs.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
        return qs
