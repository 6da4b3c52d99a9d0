"""The SLA dashboard's daily roll-up stays equal to a count over the clocks, whatever the clocks go through.

The reference is the definition itself (sla/dashboard/queries.py): a clock counts once, met at `stopped_at` or
breached at `breached_at`, on that instant's local day. Clocks change here only through the incident services, the
scan and the recomputation, as in production; the roll-up is read folded, unfolded and rebuilt.
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from incidents import services
from incidents.choices import Action, Priority, ResolutionCode
from sla import escalation, outcomes, tasks
from sla.choices import ClockState, Metric, ReopenPolicy
from sla.dashboard.queries import DIMENSIONS, Period, dashboard_figures, outcome_counts
from sla.models import OutcomeChange, OutcomeDay, OutcomeRollup, SLAClock
from tests.sla_helpers import IMPACT_URGENCY, at, make_agreement, make_calendar, report, targets
from tests.test_sla_dashboard import pct

H = timedelta(hours=1)
MONDAY = (2025, 6, 2)
PERIOD = Period(date(2025, 5, 26), date(2025, 6, 15))




@pytest.fixture
def agreement(cast, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return make_agreement(cast.admin, make_calendar(cast.admin), reopen_policy=ReopenPolicy.RESTART,
                          target_rows=targets(P1_response=H / 4, P1_resolution=2 * H, P3_response=H,
                                              P3_resolution=4 * H))


def recount(period):
    """{set: {value: Counter}} straight from the clocks, by the dashboard's definition: each met or breached clock
    once at its outcome instant, and each clock stopped at its milestone (not a progress update) as "reached" with
    its business seconds, at its stop."""
    counts = {name: {} for name in ("week", *DIMENSIONS)}

    def count(clock, instant, **sums):
        day = timezone.localtime(instant).date()
        if not period.first <= day <= period.last:
            return
        values = {"week": day - timedelta(days=day.weekday()), "service": clock.service_id,
                  "priority": clock.priority, "assignment_group": clock.assignment_group_id,
                  "organisation": clock.organisation_id}
        for name, value in values.items():
            counts[name].setdefault(value, Counter()).update(sums)

    for clock in SLAClock.objects.all():
        if clock.breached:
            count(clock, clock.breached_at, **{f"{clock.metric}_breached": 1})
        elif clock.met:
            count(clock, clock.stopped_at, **{f"{clock.metric}_met": 1})
        if clock.state == ClockState.STOPPED and clock.metric != Metric.UPDATE:
            count(clock, clock.stopped_at, **{f"{clock.metric}_reached": 1,
                                              f"{clock.metric}_seconds": round(clock.business_elapsed.total_seconds())})
    return counts


def assert_rollup_matches_the_clocks():
    expected = recount(PERIOD)
    got = outcome_counts(Q(), PERIOD)
    assert {name: {key: +Counter(row) for key, row in rows.items()} for name, rows in got.items()} == expected


def test_every_change_of_outcome_is_counted_once_folded_or_not(cast, agreement, frozen):
    frozen.set(at(*MONDAY, 9))
    quick, slow, reopened, moved = (report(cast) for _ in range(4))
    urgent = report(cast, priority=Priority.P1)
    frozen.set(at(*MONDAY, 9, 30))
    services.add_comment(quick, actor=cast.agent, body="On it.")  # response met
    assert_rollup_matches_the_clocks()

    frozen.set(at(*MONDAY, 11))
    escalation.scan_due_clocks()  # every response still open breaches (1 h / 15 min targets)
    assert_rollup_matches_the_clocks()
    outcomes.fold_changes()
    assert not OutcomeChange.objects.exists()
    assert_rollup_matches_the_clocks()

    services.transition_incident(reopened, Action.RESOLVE, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                 resolution_notes="Replaced the drum.")  # resolution met, response breached earlier
    services.escalate_incidents({moved.pk: (cast.other_group, 0)})  # its breached response moves to another group
    impact, urgency = IMPACT_URGENCY[Priority.P3]
    services.update_incident(urgent, actor=cast.lead, version=urgent.version, impact=impact, urgency=urgency)
    assert_rollup_matches_the_clocks()

    frozen.set(at(*MONDAY, 12))
    services.add_comment(reopened, actor=cast.end_user, body="It jams again.")  # reopen: the met resolution restarts
    frozen.set(at(*MONDAY, 17))
    escalation.scan_due_clocks()  # the 4 h resolutions breach
    services.transition_incident(slow, Action.CANCEL, actor=cast.lead)
    assert_rollup_matches_the_clocks()
    outcomes.fold_changes()
    assert_rollup_matches_the_clocks()
    assert SLAClock.objects.filter(breached=True).count() >= 5  # the scenario did produce outcomes to count

    outcomes.rebuild()
    assert OutcomeRollup.objects.get().time_zone == "Asia/Shanghai"
    assert_rollup_matches_the_clocks()


def test_an_outcome_that_is_undone_leaves_no_row_behind(cast, agreement, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 10))
    services.transition_incident(incident, Action.RESOLVE, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                 resolution_notes="Done.")
    outcomes.fold_changes()
    assert OutcomeDay.objects.filter(metric="resolution").exists()
    services.add_comment(incident, actor=cast.end_user, body="Not fixed.")  # reopened: no resolution outcome now
    outcomes.fold_changes()
    assert not OutcomeDay.objects.filter(metric="resolution").exists()
    assert OutcomeDay.objects.get(metric="response").met == 1


def test_days_are_local_and_a_new_time_zone_rebuilds_them(cast, agreement, frozen, settings):
    frozen.set(at(*MONDAY, 7, 30))  # Monday 07:30 in Shanghai is Sunday 23:30 UTC
    incident = report(cast)
    services.add_comment(incident, actor=cast.agent, body="Looking.")
    OutcomeRollup.objects.all().delete()
    assert outcomes.fold_changes() == "rebuilt"  # no roll-up state (a flushed database): counted from the clocks
    assert outcomes.fold_changes() == "folded"
    assert set(OutcomeDay.objects.values_list("day", flat=True)) == {date(*MONDAY)}
    settings.TIME_ZONE = "UTC"
    assert outcomes.fold_changes() == "rebuilt"
    assert set(OutcomeDay.objects.values_list("day", flat=True)) == {date(2025, 6, 1)}


def test_the_dashboard_reads_the_same_before_and_after_the_beat_task(cast, agreement, frozen):
    frozen.set(at(*MONDAY, 9))
    for _ in range(3):
        report(cast)
    frozen.set(at(*MONDAY, 12))
    escalation.scan_due_clocks()
    before = dashboard_figures(Q(), PERIOD)
    tasks.fold_outcome_changes.apply().get()
    after = dashboard_figures(Q(), PERIOD)
    assert before["totals"] == after["totals"] and before["trend"] == after["trend"]
    assert pct(after["totals"]["response"]) == (0, 3, 0.0)
    assert not OutcomeChange.objects.exists()


def test_clocks_loaded_with_triggers_off_are_counted_by_the_rebuild_command(cast, agreement, frozen):
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    services.add_comment(incident, actor=cast.agent, body="On it.")
    outcomes.fold_changes()
    with connection.cursor() as cursor:  # a bulk load that bypasses the triggers
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE sla_slaclock SET met = false, breached = true, breached_at = stopped_at "
                       "WHERE metric = 'response'")
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    assert outcome_counts(Q(), PERIOD)["priority"][3]["response_met"] == 1  # the roll-up did not see it
    out = StringIO()
    call_command("rebuild_sla_rollup", stdout=out)
    assert "SLA roll-up rebuilt" in out.getvalue()
    assert_rollup_matches_the_clocks()
    assert outcome_counts(Q(), PERIOD)["priority"][3]["response_breached"] == 1
