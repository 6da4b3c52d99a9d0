"""Time spent on records: entered with a reply or a note (or alone), summed per record, agent and group."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import is_staff_member

from .models import TimeEntry
from .registry import kind_of
from .services import audit

MAX_MINUTES = 24 * 60


def clean_minutes(value):
    """Minutes as entered ("", "45", 45): None for nothing, else a whole number within a day, or a ValidationError
    naming the field."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_MINUTES:
        raise ValidationError({"minutes": _("Enter the minutes spent, a whole number from 1 to %(max)d.")
                               % {"max": MAX_MINUTES}})
    return int(text)


def log_time(record, *, actor, minutes, comment=None, note="", spent_on=None):
    """Record `minutes` `actor` spent on `record` (an agent's own time), counted for the record's group."""
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff record time spent."))
    minutes = clean_minutes(minutes)
    if minutes is None:
        raise ValidationError({"minutes": _("Enter the minutes spent.")})
    with transaction.atomic(), audit(actor, "time_spent"):
        return TimeEntry.objects.create(
            record_kind=kind_of(record).key, record_id=record.pk, user=actor,
            group_id=getattr(record, "assignment_group_id", None), minutes=minutes,
            comment_id=comment.pk if comment is not None else None, note=(note or "")[:200],
            spent_on=spent_on or timezone.localdate())


def entries_of(record):
    return TimeEntry.objects.filter(record_kind=kind_of(record).key, record_id=record.pk).select_related("user")


def total_minutes(record):
    return entries_of(record).aggregate(total=Sum("minutes"))["total"] or 0


def totals_by(field, *, since=None, kind=None):
    """Minutes summed per `field` ("user", "group", "record_kind"), for effort reports."""
    qs = TimeEntry.objects.all()
    if since is not None:
        qs = qs.filter(spent_on__gte=since)
    if kind is not None:
        qs = qs.filter(record_kind=kind)
    return qs.values(field).annotate(minutes=Sum("minutes")).order_by("-minutes")
