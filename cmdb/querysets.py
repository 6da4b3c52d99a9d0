"""The authorisation layer for the CMDB: what a person may see (querysets) and change (two predicates).

Pages, API, impact analysis and exports all start from `visible_to`. Staff see every CI; an end user sees the CIs of
their own organisation, read-only (CMDB_END_USERS_SEE_ORGANISATION_CIS turns that off, leaving them none).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.roles import is_admin, is_staff_member


def end_users_see_organisation_cis():
    return getattr(settings, "CMDB_END_USERS_SEE_ORGANISATION_CIS", True)


def stale_after_days():
    return getattr(settings, "CMDB_STALE_AFTER_DAYS", 30)


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


def can_edit_cis(user):
    """Create and edit CIs and relationships, run imports: the service desk and operations staff."""
    return _active(user) and is_staff_member(user)


def can_define_classes(user):
    """Define CI classes, their attributes and relationship types: rules administrators own."""
    return _active(user) and is_admin(user)


class ConfigurationItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not _active(user):
            return self.none()
        if is_staff_member(user):
            return self
        if end_users_see_organisation_cis() and user.organisation_id:
            return self.filter(organisation_id=user.organisation_id)
        return self.none()

    def stale(self, days=None, now=None):
        """Discovered CIs their source has not reported for `days` (default CMDB_STALE_AFTER_DAYS)."""
        days = stale_after_days() if days is None else days
        cutoff = (now or timezone.now()) - timedelta(days=days)
        return self.exclude(external_source="").filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True))

    def among(self, ids):
        """CIs whose id is in `ids`, passed as one array parameter: for the thousands of ids an impact analysis
        returns, `pk__in` would spell out one placeholder per id (twice the time, mostly in building the SQL)."""
        return self.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [sorted(ids)]))

    def with_attribute(self, key, values):
        """CIs whose attribute `key` equals one of `values` (JSON values). `@>` so the GIN index answers it."""
        condition = Q()
        for value in values:
            condition |= Q(attributes__contains={key: value})
        return self.filter(condition) if values else self.none()


class RelationshipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Relationships whose both ends the user may see."""
        from .models import ConfigurationItem

        if not _active(user):
            return self.none()
        if is_staff_member(user):
            return self
        visible = ConfigurationItem.objects.visible_to(user).values("pk")
        return self.filter(source__in=visible, target__in=visible)

    def involving(self, ci):
        return self.filter(Q(source=ci) | Q(target=ci))


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Import jobs are staff work: staff see them all, end users none."""
        return self if can_edit_cis(user) else self.none()
