"""The progress-update clock: the requester hears from the desk at least every N business hours until resolution.

Each public word from the desk (a reply, or a transition's public comment) starts a new interval from zero, with its
own thresholds and escalations; internal notes and the requester's own messages do not. One late interval makes the
record's update promise breached (counted once, at the first breach); agents still see the current interval's due
time and state. Calendar: Mon–Fri 08:00–18:00 Asia/Shanghai.
"""

from datetime import date, timedelta

import pytest
from django.db.models import Q

from incidents import services
from incidents.choices import Action, ResolutionCode
from sla import escalation
from sla.choices import ClockState, ClockStatus, Metric
from sla.dashboard.queries import Period, dashboard_figures
from sla.models import ClockThresholdEvent, SLAClock
from tests.sla_helpers import at, make_agreement, make_calendar, report, step, targets
from tests.test_sla_dashboard import pct

H = timedelta(hours=1)
MONDAY = (2025, 6, 2)




@pytest.fixture
def updates(cast):
    return make_agreement(cast.admin, make_calendar(cast.admin), target_rows=targets(
        P3_response=H, P3_update=4 * H, P3_resolution=40 * H), steps=[step(100, "notify_group_lead", "update")])


def update_clock(incident):
    return SLAClock.objects.get(incident=incident, metric=Metric.UPDATE)


def test_every_public_word_from_the_desk_starts_a_new_interval(cast, updates, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    assert update_clock(incident).due_at == at(*MONDAY, 13)
    frozen.set(at(*MONDAY, 11))
    services.add_comment(incident, actor=cast.agent, body="Looking into it.")
    clock = update_clock(incident)
    assert (clock.run, clock.started_at, clock.due_at) == (2, at(*MONDAY, 11), at(*MONDAY, 15))
    frozen.set(at(*MONDAY, 17))  # a four-hour interval crosses the night: 1 h today, 3 h tomorrow
    services.add_comment(incident, actor=cast.agent, body="Waiting for the vendor's part.")
    assert update_clock(incident).due_at == at(2025, 6, 3, 11)


def test_internal_notes_and_the_requesters_own_messages_are_not_updates(cast, updates, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    version = incident.version
    frozen.set(at(*MONDAY, 10))
    services.add_comment(incident, actor=cast.agent, body="Checked the logs.", internal=True)
    services.add_comment(incident, actor=cast.end_user, body="Any news?")
    clock = update_clock(incident)
    assert (clock.run, clock.due_at) == (1, at(*MONDAY, 13))
    services.add_comment(incident, actor=cast.agent, body="Yes: the printer is being replaced.")
    incident.refresh_from_db()
    assert update_clock(incident).run == 2
    assert incident.version == version + 1  # only the first response changed the record; later replies do not


def test_a_late_update_escalates_once_per_interval_and_stays_on_record(cast, updates, frozen, client):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    services.add_comment(incident, actor=cast.agent, body="Received.")  # at the same instant: interval 1 goes on
    frozen.set(at(*MONDAY, 13, 30))
    escalation.scan_due_clocks()
    escalation.scan_due_clocks()  # twice: still one escalation
    clock = update_clock(incident)
    assert clock.breached and clock.breached_at == at(*MONDAY, 13) and clock.status == ClockStatus.BREACHED
    assert ClockThresholdEvent.objects.filter(clock=clock, threshold_percent=100).count() == 1

    frozen.set(at(*MONDAY, 14))
    services.add_comment(incident, actor=cast.agent, body="Sorry for the wait; replacing the drum now.")
    clock = update_clock(incident)
    assert clock.breached and clock.breached_at == at(*MONDAY, 13)  # the promise was broken once, at 13:00
    assert clock.status == ClockStatus.RUNNING and clock.due_at == at(*MONDAY, 18)  # but this interval is on time
    client.force_login(cast.agent)
    page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert 'data-testid="sla-clock-update" data-status="running"' in page
    assert 'data-testid="sla-late-before">2025-06-02 13:00<' in page

    frozen.set(at(*MONDAY, 17, 10))  # 75 % of the new interval: at risk again, though breached once
    escalation.scan_due_clocks()
    now = dashboard_figures(Q(), Period(date(2025, 6, 2), date(2025, 6, 8)))["now"]
    assert [c.pk for c in now["at_risk"]] == [clock.pk] and now["breached_count"] == 0

    frozen.set(at(2025, 6, 3, 9, 30))  # 18:00 passed: late again, a second escalation for the new interval
    escalation.scan_due_clocks()
    events = ClockThresholdEvent.objects.filter(clock=clock, threshold_percent=100).order_by("run")
    assert [event.run for event in events] == [1, 2]
    assert update_clock(incident).breached_at == at(*MONDAY, 13)

    services.transition_incident(incident, Action.RESOLVE, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                 resolution_notes="Drum replaced.")
    clock = update_clock(incident)
    assert (clock.state, clock.met, clock.breached) == (ClockState.STOPPED, False, True)
    figures = dashboard_figures(Q(), Period(date(2025, 6, 2), date(2025, 6, 8)))
    assert pct(figures["totals"]["update"]) == (0, 1, 0.0)


def test_updates_kept_on_time_until_resolution_are_met_and_pending_pauses_them(cast, updates, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    incident = services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    frozen.set(at(*MONDAY, 12))
    incident = services.transition_incident(incident, Action.PEND_USER, actor=cast.agent,
                                            comment="Which floor is the printer on?")
    clock = update_clock(incident)
    assert (clock.state, clock.run, clock.business_elapsed) == (ClockState.PAUSED, 2, timedelta(0))
    frozen.set(at(2025, 6, 4, 9))  # two days waiting for the requester cost nothing
    services.add_comment(incident, actor=cast.end_user, body="Third floor.")
    assert update_clock(incident).due_at == at(2025, 6, 4, 13)
    frozen.set(at(2025, 6, 4, 10))
    services.transition_incident(incident, Action.RESOLVE, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                 resolution_notes="Paper path cleaned.")
    clock = update_clock(incident)
    assert (clock.state, clock.met, clock.breached) == (ClockState.STOPPED, True, False)
    assert not ClockThresholdEvent.objects.filter(clock=clock).exists()


def test_the_requester_sees_when_to_expect_the_next_update(cast, updates, frozen, client):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    client.force_login(cast.end_user)
    page = client.get(f"/portal/incidents/{incident.number}/").content.decode()
    assert 'data-testid="expectation-update"' in page and "Next update from us by 2025-06-02 13:00" in page
