"""Every change to a calendar, its periods or its exceptions gives the calendar a new revision.

Signals rather than service calls, so that the admin site and the holiday filler are covered as well as the API;
`sla.businesstime.load_calendar` compares the revision to decide whether its cached snapshot is still right.
"""

import uuid

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import BusinessCalendar, CalendarException, ExceptionPeriod, WorkingPeriod


def touch_calendar(**lookup):
    """Give the matching calendar(s) a new revision (a plain UPDATE: no save signals, no history event)."""
    BusinessCalendar.objects.filter(**lookup).update(revision=uuid.uuid4())


@receiver(post_save, sender=BusinessCalendar)
def _calendar_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        touch_calendar(pk=instance.pk)


@receiver([post_save, post_delete], sender=WorkingPeriod)
@receiver([post_save, post_delete], sender=CalendarException)
def _calendar_part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        touch_calendar(pk=instance.calendar_id)


@receiver([post_save, post_delete], sender=ExceptionPeriod)
def _exception_period_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        touch_calendar(exceptions__id=instance.exception_id)


# Sent after the commit of a change made through sla.services (or the admin): clocks over the calendar must be
# recomputed. Receivers get `calendar_id`; the revision tells them which version they have seen.
calendar_changed = Signal()


def announce_calendar_changed(calendar_id):
    transaction.on_commit(lambda: calendar_changed.send(sender=BusinessCalendar, calendar_id=calendar_id))
