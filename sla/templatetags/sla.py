"""Showing SLA clocks: durations in hours and minutes, and the clocks of one incident with their business time."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from sla import businesstime
from sla.engine import elapsed_at
from sla.models import SLAClock

register = template.Library()


@register.filter
def figure_of(row, metric):
    """A dashboard row's figures of one metric (rows are keyed by the metric's value); None if it has none."""
    return row.get(str(metric))


@register.filter
def seconds_duration(seconds):
    """Whole seconds (a dashboard average) as hours and minutes; "—" for None."""
    return "—" if seconds is None else business_duration(timedelta(seconds=seconds))


@register.filter
def business_duration(value):
    """A duration as hours and minutes ("52 h 30 min"); negative durations keep their sign."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, timedelta):
        return value
    sign = "−" if value < timedelta(0) else ""
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        text = _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    elif hours:
        text = _("%(hours)d h") % {"hours": hours}
    else:
        text = _("%(minutes)d min") % {"minutes": minutes}
    return sign + text


@register.filter
def time_left(clock):
    """Real time until a running clock is due (negative when overdue), else None."""
    return clock.wall_time_left() if clock.due_at else None


@register.simple_tag
def incident_clocks(incident):
    """The incident's clocks with `elapsed` and `left` (business time, now) set: two queries whatever their number."""
    clocks = list(SLAClock.objects.filter(incident_id=incident.pk).select_related("sla")
                  .order_by("metric", "sla__name"))
    calendars = businesstime.load_calendars({clock.sla.calendar_id for clock in clocks}) if clocks else {}
    now = timezone.now()
    for clock in clocks:
        clock.elapsed = elapsed_at(clock, calendars[clock.sla.calendar_id], now)
        clock.left = clock.target - clock.elapsed
    return clocks
