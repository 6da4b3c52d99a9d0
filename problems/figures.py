"""Figures on a problem: its linked incidents (open / total) and the business hours they lost."""

from datetime import timedelta

from django.utils import timezone

from incidents.choices import OPEN_STATES
from incidents.models import Incident
from records.models import LinkType, RecordLink


def default_calendar_id():
    """The SLA default calendar: the first business calendar (None: count wall-clock time)."""
    from sla.models import BusinessCalendar

    return BusinessCalendar.objects.order_by("pk").values_list("pk", flat=True).first()


def linked_incidents(problem):
    """The incidents linked as caused by `problem` (a queryset; one query when read)."""
    ids = RecordLink.objects.filter(target_kind="problem", target_id=problem.pk, link_type=LinkType.CAUSED_BY,
                                    source_kind="incident").values("source_id")
    return Incident.objects.filter(pk__in=ids)


def problem_figures(problem, now=None):
    """{"open": n, "total": n, "lost_hours": float}: lost hours are the business time (on the default calendar)
    from each linked incident's creation to its resolution, or to now while it is open. One query for the incidents,
    one for the calendar."""
    from sla.businesstime import business_time_between, load_calendar

    now = now or timezone.now()
    rows = list(linked_incidents(problem).values_list("state", "created_at", "resolved_at"))
    calendar_id = default_calendar_id() if rows else None
    calendar = load_calendar(calendar_id) if calendar_id else None
    lost = timedelta(0)
    for _state, created, resolved in rows:
        end = max(created, resolved or now)
        lost += business_time_between(calendar, created, end) if calendar else end - created
    return {"open": sum(1 for state, *_ in rows if state in OPEN_STATES), "total": len(rows),
            "lost_hours": round(lost.total_seconds() / 3600, 1)}
