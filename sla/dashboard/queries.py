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

compliance % = 100 × met / (met + breached), rounded to one decimal, per metric (first response, progress update,
resolution); `None` (shown as "—") when nothing counted. **Average** = the mean business time the clocks that reached
their milestone in the period (stopped, met or late, counted at `stopped_at`) took to reach it, whole seconds; `None`
when none did (progress updates have none: their last interval says nothing on its own).

The period is whole days in the current time zone: `from` 00:00 up to the day after `to` 00:00.

The period figures are read from the daily roll-up of outcomes (sla/models/outcomes.py: folded days plus the changes
not yet folded, which together always equal a count over the clocks), all of them in one GROUPING SETS query, so the
dashboard costs the same over a million clocks as over a thousand.

"Now" is not bounded by the period: **breached** = open (running or paused) clocks past their target; **at risk** =
running clocks past a warning threshold and not past their target (0 < `handled_percent` < 100).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation
from core.roles import Role, roles_of
from incidents.choices import Priority
from servicedesk.models import Service

from ..choices import OPEN_CLOCK_STATES, ClockState, Metric
from ..models import BREACH_PERCENT, OutcomeChange, OutcomeDay, SLAClock

METRICS = (Metric.RESPONSE, Metric.UPDATE, Metric.RESOLUTION)
OUTCOMES = ("met", "breached", "reached")
NOW_LIST_LIMIT = 50  # the lists of breached / at-risk clocks show the most urgent ones; the counts are complete

# name in the figures → (column, model naming its values or None, label for the rows whose column is empty)
DIMENSIONS = {
    "service": ("service_id", Service, _("No service")),
    "priority": ("priority", None, None),
    "assignment_group": ("assignment_group_id", AssignmentGroup, _("No group")),
    "organisation": ("organisation_id", Organisation, _("No organisation")),
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


def visible_condition(user):
    """THE restriction of the dashboard (page, API, CSV), as a condition that holds for clocks and for the roll-up
    alike: managers and administrators see everything, a team lead what is assigned to the groups they lead, anyone
    else nothing."""
    if sees_all_groups(user):
        return Q()
    if Role.TEAM_LEAD in roles_of(user):
        return Q(assignment_group__in=AssignmentGroup.objects.filter(lead=user).values("pk"))
    return Q(pk__in=[])


def clocks_visible_to(user):
    return SLAClock.objects.filter(visible_condition(user))


def groups_visible_to(user):
    """The groups a user may filter the dashboard by (the same rule as `visible_condition`)."""
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


def _zeros():
    """The sums a row of figures is made of: clocks per metric and outcome, and the business seconds of those that
    reached their milestone."""
    return {f"{metric}_{part}": 0 for metric in METRICS for part in (*OUTCOMES, "seconds")}


def average_seconds(reached, seconds):
    return None if reached == 0 else round(seconds / reached)


def _figures(row):
    """{metric: {met, breached, compliance, reached, average_seconds}} from the sums of `_zeros()`."""
    return {
        str(metric): {
            "met": row[f"{metric}_met"],
            "breached": row[f"{metric}_breached"],
            "compliance": compliance(row[f"{metric}_met"], row[f"{metric}_breached"]),
            "reached": row[f"{metric}_reached"],
            "average_seconds": average_seconds(row[f"{metric}_reached"], row[f"{metric}_seconds"]),
        }
        for metric in METRICS
    }


_COLUMNS = ["metric", "priority", "service_id", "assignment_group_id", "organisation_id", *OutcomeDay.SUM_FIELDS]
_SETS = {"week": "week", **{name: column for name, (column, _model, _empty) in DIMENSIONS.items()}}
_GROUPED = """
SELECT metric, {columns}, {groupings}, sum(met)::bigint, sum(breached)::bigint, sum(reached)::bigint,
       sum(business_seconds)::bigint
FROM (SELECT p.*, p.d - (extract(isodow FROM p.d)::int - 1) AS week FROM (({days}) UNION ALL ({changes})) AS p) AS t
GROUP BY metric, GROUPING SETS ({sets})
"""


def outcome_counts(condition, period):
    """{set: {value: sums}} (sums as `_zeros()`) for each dimension and for "week" (the Monday), over the outcomes
    in the period that satisfy `condition` — one query over the roll-up's days and its unfolded changes."""
    days = OutcomeDay.objects.filter(condition, day__gte=period.first, day__lte=period.last).annotate(
        d=F("day")).values(*_COLUMNS, "d")
    changes = OutcomeChange.objects.filter(condition, outcome_at__gte=period.start, outcome_at__lt=period.end).annotate(
        d=TruncDate("outcome_at")).values(*_COLUMNS, "d")
    days_sql, days_params = days.query.sql_with_params()
    changes_sql, changes_params = changes.query.sql_with_params()
    columns = list(_SETS.values())
    sql = _GROUPED.format(columns=", ".join(columns), groupings=", ".join(f"GROUPING({c})" for c in columns),
                          sets=", ".join(f"({c})" for c in columns), days=days_sql, changes=changes_sql)
    counts = {name: {} for name in _SETS}
    with connection.cursor() as cursor:
        cursor.execute(sql, (*days_params, *changes_params))
        for metric, *rest in cursor.fetchall():
            values, groupings, sums = rest[:len(columns)], rest[len(columns):-4], rest[-4:]
            index = groupings.index(0)  # the one column this row is grouped by
            row = counts[list(_SETS)[index]].setdefault(values[index], _zeros())
            if metric in METRICS:
                for part, value in zip((*OUTCOMES, "seconds"), sums, strict=True):
                    row[f"{metric}_{part}"] += value
    # A value whose outcomes all moved elsewhere (a clock reassigned, a breach undone) nets to zero: not a row.
    return {name: {key: row for key, row in rows.items() if any(row.values())} for name, rows in counts.items()}


def breakdown(counts, dimension):
    """One row per value of the dimension: key, label and figures; ordered by label (priority by its number), the
    rows without a value last."""
    _column, model, empty_label = DIMENSIONS[dimension]
    rows = counts[dimension]
    if model is None:
        labels = {key: str(Priority(key).label) for key in rows}
    else:
        names = dict(model.objects.filter(pk__in=[key for key in rows if key is not None]).values_list("pk", "name"))
        labels = {key: str(empty_label) if key is None else names.get(key, f"#{key}") for key in rows}
    order = sorted(rows, key=lambda key: (key is None, key if model is None else labels[key]))
    return [{"key": key, "label": labels[key], **_figures(rows[key])} for key in order]


def totals_of(counts):
    """Totals over the period (every outcome has exactly one priority)."""
    summed = _zeros()
    for row in counts["priority"].values():
        for name, value in row.items():
            summed[name] += value
    return _figures(summed)


def weekly_trend(counts, period):
    """One row per week of the period (Monday first), weeks without outcomes included with zeros."""
    by_week = counts["week"]
    return [{"week": monday, **_figures(by_week.get(monday, _zeros()))} for monday in period.weeks()]


def breached_now(clocks):
    # Past the target now (handled 100 %), not only once (a progress-update clock late in an earlier interval).
    return clocks.filter(state__in=OPEN_CLOCK_STATES, breached=True, handled_percent__gte=BREACH_PERCENT)


def at_risk_now(clocks):
    # Past a warning, not past the target: a running clock past its target has handled 100 % (the scan records both
    # at once), except a progress-update clock in a new interval after a late one, which is at risk again.
    return clocks.filter(state=ClockState.RUNNING, handled_percent__gt=0, handled_percent__lt=BREACH_PERCENT)


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


def average_goals():
    """{metric: business seconds} the period's averages are held against (settings; 001 §6.2)."""
    return {str(Metric.RESPONSE): round(settings.SLA_AVERAGE_RESPONSE_GOAL_HOURS * 3600),
            str(Metric.RESOLUTION): round(settings.SLA_AVERAGE_RESOLUTION_GOAL_HOURS * 3600)}


def dashboard_figures(condition, period):
    """Everything the dashboard shows over `period`, for what satisfies `condition` (the viewer's restriction and
    the chosen filters, a Q over the clocks' sla_kind, priority, service, assignment_group and organisation).

    A fixed number of queries: the period's counts, the names of three dimensions, two counts and two lists of "now".
    """
    counts = outcome_counts(condition, period)
    breakdowns = {dimension: breakdown(counts, dimension) for dimension in DIMENSIONS}
    clocks = SLAClock.objects.filter(condition)
    return {
        "period": period,
        "totals": totals_of(counts),
        "average_goals": average_goals(),
        "breakdowns": breakdowns,
        "trend": weekly_trend(counts, period),
        "now": now_figures(clocks),
    }
