"""The dashboard's figures, each one aggregate query in PostgreSQL (never a walk over clocks in Python).

Compliance, precisely
---------------------
A clock *counts* in a period [start, end) when its outcome fell in it:

- **met**: `met` is true (the engine sets it when the clock stops within its target) and `stopped_at` is in the period;
- **breached**: `breached` is true and `breached_at` (the instant the target ran out) is in the period, whatever the
  clock did afterwards (still open, stopped late, cancelled).

Clocks with no outcome yet (running or paused within target) and clocks cancelled before a breach are not counted.
`met` and `breached` exclude each other (a database constraint), so a clock counts once, at its outcome instant
(`breached_at` if breached, else `stopped_at`); the weekly trend puts it in the week of that instant.

compliance % = 100 × met / (met + breached), rounded to one decimal, per metric (first response, resolution);
`None` (shown as "—") when nothing counted. The period is whole days in the current time zone: `from` 00:00 up to
the day after `to` 00:00.

"Now" is not bounded by the period: **breached** = open (running or paused) clocks past their target; **at risk** =
running clocks past a warning threshold (`handled_percent` > 0) and not yet breached.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup
from core.roles import Role, roles_of
from incidents.choices import Priority

from ..choices import OPEN_CLOCK_STATES, ClockState, Metric
from ..models import SLAClock

METRICS = (Metric.RESPONSE, Metric.RESOLUTION)
NOW_LIST_LIMIT = 50  # the lists of breached / at-risk clocks show the most urgent ones; the counts are complete

# name in the figures → (GROUP BY column, label column or None, label for the rows whose column is empty)
DIMENSIONS = {
    "service": ("service_id", "service__name", _("No service")),
    "priority": ("priority", None, None),
    "assignment_group": ("assignment_group_id", "assignment_group__name", _("No group")),
    "organisation": ("organisation_id", "organisation__name", _("No organisation")),
}
DIMENSION_LABELS = {
    "service": _("Service"), "priority": _("Priority"), "assignment_group": _("Assignment group"),
    "organisation": _("Organisation"),
}


def can_view_dashboard(user):
    """Team leads, managers and administrators."""
    return bool(roles_of(user) & {Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})


def sees_all_groups(user):
    return bool(roles_of(user) & {Role.MANAGER, Role.ADMIN})


def clocks_visible_to(user):
    """THE restriction of the dashboard (page, API, CSV): managers and administrators see every clock, a team lead
    the clocks whose assignment group they lead, anyone else none."""
    if sees_all_groups(user):
        return SLAClock.objects.all()
    if Role.TEAM_LEAD in roles_of(user):
        return SLAClock.objects.filter(assignment_group__in=AssignmentGroup.objects.filter(lead=user).values("pk"))
    return SLAClock.objects.none()


def groups_visible_to(user):
    """The groups a user may filter the dashboard by (the same rule as `clocks_visible_to`)."""
    groups = AssignmentGroup.objects.order_by("name")
    return groups if sees_all_groups(user) else groups.filter(lead=user)


@dataclass(frozen=True)
class Period:
    """Whole days `first`..`last` (inclusive) in the current time zone."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days, today=None):
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def start(self):
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self):
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    def weeks(self):
        """The Monday of every week the period touches."""
        monday = self.first - timedelta(days=self.first.weekday())
        while monday <= self.last:
            yield monday
            monday += timedelta(days=7)


def compliance(met, breached):
    total = met + breached
    return None if total == 0 else round(100 * met / total, 1)


def _counts():
    """Count() of met and breached clocks per metric, named `<metric>_met` / `<metric>_breached`."""
    counts = {}
    for metric in METRICS:
        counts[f"{metric}_met"] = Count("pk", filter=Q(metric=metric, met=True))
        counts[f"{metric}_breached"] = Count("pk", filter=Q(metric=metric, breached=True))
    return counts


def _figures(row):
    """{metric: {met, breached, compliance}} from a row of `_counts()`."""
    return {
        str(metric): {
            "met": row[f"{metric}_met"],
            "breached": row[f"{metric}_breached"],
            "compliance": compliance(row[f"{metric}_met"], row[f"{metric}_breached"]),
        }
        for metric in METRICS
    }


def counted_in(clocks, period):
    """The clocks whose outcome (met at stop, or breach) fell in the period — see the module docstring.

    Returned as its two disjoint parts (a clock is never both met and breached: a check constraint), each served by
    a partial covering index (sla_clock_met_outcome, sla_clock_breach_outcome), so a period's figures are read from
    the indexes alone instead of a scan of every clock; the parts' counts are added up per group in Python.
    """
    return {
        "met": clocks.filter(met=True, stopped_at__gte=period.start, stopped_at__lt=period.end),
        "breached": clocks.filter(breached=True, breached_at__gte=period.start, breached_at__lt=period.end),
    }


def _grouped_counts(counted, columns, **annotations):
    """{group key: {"<metric>_met": n, "<metric>_breached": n}} over both parts, grouped by `columns`."""
    result = {}
    for outcome, queryset in counted.items():
        rows = queryset.annotate(**annotations).values(*columns, "metric").annotate(n=Count("pk")).order_by()
        for row in rows:
            key = tuple(row[column] for column in columns)
            entry = result.setdefault(key, {name: 0 for name in _counts()} | dict(zip(columns, key, strict=True)))
            entry[f"{row['metric']}_{outcome}"] += row["n"]
    return result


def breakdown(counted, dimension):
    """One row per value of the dimension: key, label and figures; ordered by label (priority by its number)."""
    column, label_column, empty_label = DIMENSIONS[dimension]
    columns = [column] + ([label_column] if label_column else [])
    grouped = _grouped_counts(counted, columns)
    rows = sorted(grouped.values(), key=lambda row: tuple(
        (row[c] is None, str(row[c]) if c == label_column else row[c] or 0) for c in reversed(columns)))
    result = []
    for row in rows:
        if label_column is None:
            label = Priority(row[column]).label
        else:
            label = row[label_column] if row[column] is not None else empty_label
        result.append({"key": row[column], "label": str(label), **_figures(row)})
    return result


def totals_of(rows):
    """Totals over the rows of one breakdown (every counted clock is in exactly one row of a NOT NULL dimension)."""
    summed = {f"{metric}_{outcome}": 0 for metric in METRICS for outcome in ("met", "breached")}
    for row in rows:
        for metric in METRICS:
            summed[f"{metric}_met"] += row[str(metric)]["met"]
            summed[f"{metric}_breached"] += row[str(metric)]["breached"]
    return _figures(summed)


def weekly_trend(counted, period):
    """One row per week of the period (Monday first), weeks without outcomes included with zeros."""
    zone = timezone.get_current_timezone()
    by_week = {}
    for outcome, column in (("met", "stopped_at"), ("breached", "breached_at")):
        part = {"met": counted["met"], "breached": counted["breached"].none()} if outcome == "met" else {
            "met": counted["met"].none(), "breached": counted["breached"]}
        for (week,), row in _grouped_counts(part, ["week"], week=TruncWeek(column, tzinfo=zone)).items():
            into = by_week.setdefault(timezone.localtime(week).date(), {name: 0 for name in _counts()})
            for name in _counts():
                into[name] += row[name]
    empty = {name: 0 for name in _counts()}
    return [{"week": monday, **_figures(by_week.get(monday, empty))} for monday in period.weeks()]


def breached_now(clocks):
    return clocks.filter(state__in=OPEN_CLOCK_STATES, breached=True)


def at_risk_now(clocks):
    return clocks.filter(state=ClockState.RUNNING, breached=False, handled_percent__gt=0)


def _now_list(queryset, order):
    return list(queryset.select_related("incident", "assignment_group", "service").only(
        "metric", "priority", "due_at", "breached_at", "handled_percent", "state", "incident__number",
        "incident__title", "assignment_group__name", "service__name",
    ).order_by(order, "pk")[:NOW_LIST_LIMIT])


def now_figures(clocks):
    # Two counts, each on its partial index (sla_clock_breached_open, sla_clock_at_risk), not one scan of all.
    return {
        "breached_count": breached_now(clocks).count(),
        "at_risk_count": at_risk_now(clocks).count(),
        "breached": _now_list(breached_now(clocks), "breached_at"),
        "at_risk": _now_list(at_risk_now(clocks), "due_at"),
    }


def dashboard_figures(clocks, period):
    """Everything the dashboard shows, for `clocks` (already restricted and filtered) over `period`.

    A fixed number of queries: four breakdowns, the trend, one count of "now" and its two lists.
    """
    counted = counted_in(clocks, period)
    breakdowns = {dimension: breakdown(counted, dimension) for dimension in DIMENSIONS}
    return {
        "period": period,
        "totals": totals_of(breakdowns["priority"]),
        "breakdowns": breakdowns,
        "trend": weekly_trend(counted, period),
        "now": now_figures(clocks),
    }
