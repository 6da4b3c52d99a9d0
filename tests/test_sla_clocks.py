"""SLA clocks on incidents, through the incident services: start, pause, stop, reopen, re-match, recompute.

Times are controlled (tests.sla_helpers.frozen); the calendar is Mon–Fri 08:00–18:00 in Asia/Shanghai unless said.
"""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.choices import Action, Priority, ResolutionCode
from incidents.signals import incident_changed
from sla import engine, escalation, recompute, tasks
from sla import services as calendar_services
from sla.choices import ClockState, ClockStatus, ExceptionKind, ReopenPolicy
from sla.definitions import update_agreement
from sla.models import SLAClock, SLADefinition
from tests.factories import AssignmentGroupFactory, ServiceFactory
from tests.sla_helpers import (
    IMPACT_URGENCY,
    at,
    make_agreement,
    make_calendar,
    report,
    targets,
)

H = timedelta(hours=1)



MONDAY = (2025, 6, 2)  # an ordinary week in Shanghai: no holidays from 2 to 13 June 2025


def clocks_of(incident):
    return {clock.metric: clock for clock in SLAClock.objects.filter(incident=incident).select_related("sla")}


@pytest.fixture
def office(cast):
    return make_calendar(cast.admin)


@pytest.fixture
def standard(cast, office):
    return make_agreement(cast.admin, office, target_rows=targets(
        P1_response=timedelta(minutes=15), P1_resolution=2 * H, P3_response=H, P3_resolution=4 * H))


def test_opened_at_four_pm_with_a_four_hour_target_is_due_at_ten_the_next_working_day(cast, standard, frozen):
    frozen.set(at(*MONDAY, 16))
    incident = report(cast)
    clocks = clocks_of(incident)
    resolution, response = clocks["resolution"], clocks["response"]
    assert resolution.due_at == at(2025, 6, 3, 10) and response.due_at == at(*MONDAY, 17)
    assert resolution.state == ClockState.RUNNING and resolution.started_at == at(*MONDAY, 16)
    # The next threshold to handle is the first warning, 75 % of 4 h = 3 h: two hours on Monday, one on Tuesday.
    assert (resolution.next_threshold, resolution.next_check_at) == (75, at(2025, 6, 3, 9))
    assert (resolution.priority, resolution.assignment_group_id, resolution.organisation_id, resolution.sla_kind) \
        == (Priority.P3, cast.group.pk, cast.org.pk, "sla")


def test_first_reply_stops_the_response_clock_met(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.advance(minutes=30)
    services.add_comment(incident, actor=cast.agent, body="Looking into it.")
    response = clocks_of(incident)["response"]
    assert (response.state, response.met, response.breached) == (ClockState.STOPPED, True, False)
    assert response.business_elapsed == timedelta(minutes=30) and response.stopped_at == at(*MONDAY, 9, 30)
    assert response.due_at is None and response.next_check_at is None and response.status == ClockStatus.MET
    assert clocks_of(incident)["resolution"].state == ClockState.RUNNING


def test_a_late_first_reply_is_a_breach_even_before_the_scan_saw_it(cast, standard, frozen):
    frozen.set(at(*MONDAY, 17, 30))
    incident = report(cast)
    frozen.set(at(2025, 6, 3, 9, 15))  # 30 min on Monday + 1 h 15 on Tuesday
    services.transition_incident(incident, Action.TAKE, actor=cast.agent, comment="On it.")
    response = clocks_of(incident)["response"]
    assert (response.state, response.met, response.breached) == (ClockState.STOPPED, False, True)
    assert response.breached_at == at(2025, 6, 3, 8, 30) and response.business_elapsed == timedelta(minutes=105)


def test_a_clock_paused_over_a_weekend(cast, standard, frozen):
    frozen.set(at(2025, 6, 6, 15))  # Friday
    incident = report(cast)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    frozen.set(at(2025, 6, 6, 17))
    services.transition_incident(incident, Action.PEND_USER, actor=cast.agent, comment="Which printer?")
    resolution = clocks_of(incident)["resolution"]
    assert resolution.state == ClockState.PAUSED and resolution.business_elapsed == 2 * H
    assert resolution.due_at is None and resolution.next_check_at is None and resolution.paused_at == frozen.now

    frozen.set(at(2025, 6, 9, 11))  # Monday 11:00: the requester answers, which resumes the incident
    services.add_comment(incident, actor=cast.end_user, body="The one on floor 3.")
    resolution = clocks_of(incident)["resolution"]
    assert resolution.state == ClockState.RUNNING and resolution.segment_started_at == at(2025, 6, 9, 11)
    # 2 h left from Monday 11:00; unpaused it would have been due Monday 09:00.
    assert resolution.due_at == at(2025, 6, 9, 13)
    assert engine.elapsed_at(resolution, engine.businesstime.load_calendar(standard.calendar_id),
                             at(2025, 6, 9, 12)) == 3 * H


def test_priority_change_brings_the_new_target_against_the_time_used(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    services.add_comment(incident, actor=cast.agent, body="Hello")
    frozen.set(at(*MONDAY, 10))
    impact, urgency = IMPACT_URGENCY[Priority.P1]
    incident = services.update_incident(incident, actor=cast.agent, version=None, impact=impact, urgency=urgency)
    assert incident.priority == Priority.P1
    resolution = clocks_of(incident)["resolution"]
    assert resolution.target == 2 * H and resolution.due_at == at(*MONDAY, 11)  # 1 h used of 2 h
    assert (resolution.next_threshold, resolution.next_check_at) == (75, at(*MONDAY, 10, 30))
    assert resolution.priority == Priority.P1


def test_priority_change_past_the_new_target_is_escalated_at_once(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 12))  # 3 h used; P1 allows 2 h
    impact, urgency = IMPACT_URGENCY[Priority.P1]
    services.update_incident(incident, actor=cast.agent, version=incident.version, impact=impact, urgency=urgency)
    resolution = clocks_of(incident)["resolution"]
    assert resolution.next_check_at <= frozen.now and resolution.due_at == at(*MONDAY, 11)
    result = escalation.scan_due_clocks()
    resolution = clocks_of(incident)["resolution"]
    assert resolution.breached and resolution.breached_at == at(*MONDAY, 11) and resolution.handled_percent == 100
    assert sorted(resolution.threshold_events.values_list("threshold_percent", flat=True)) == [75, 90, 100]
    assert result.events == 3 + 3  # the 15-minute response target went past all three as well


@pytest.mark.parametrize("policy", [ReopenPolicy.RESTART, ReopenPolicy.CONTINUE])
def test_reopen_restarts_or_continues_the_resolution_clock(cast, office, frozen, policy):
    make_agreement(cast.admin, office, reopen_policy=policy)
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 11))
    incident = services.transition_incident(incident, Action.RESOLVE, actor=cast.agent,
                                            resolution_code=ResolutionCode.SOLVED, resolution_notes="Cleaned.")
    resolution = clocks_of(incident)["resolution"]
    assert (resolution.state, resolution.met, resolution.business_elapsed) == (ClockState.STOPPED, True, 2 * H)

    frozen.set(at(*MONDAY, 12))
    services.add_comment(incident, actor=cast.end_user, body="It jams again.")  # a reply reopens it
    clocks = clocks_of(incident)
    resolution = clocks["resolution"]
    assert resolution.state == ClockState.RUNNING and not resolution.met and resolution.stopped_at is None
    if policy == ReopenPolicy.RESTART:
        assert (resolution.run, resolution.business_elapsed, resolution.started_at) == (2, timedelta(0), frozen.now)
        assert resolution.due_at == at(*MONDAY, 16)
    else:
        assert (resolution.run, resolution.business_elapsed) == (1, 2 * H)
        assert resolution.due_at == at(*MONDAY, 14)
    assert clocks["response"].state == ClockState.STOPPED  # the first response was given and stays given


def test_cancel_merge_and_close_end_the_clocks(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    cancelled, duplicate, original = report(cast), report(cast), report(cast)
    frozen.advance(minutes=20)
    services.transition_incident(cancelled, Action.CANCEL, actor=cast.lead)
    services.merge_incident(duplicate, into=original, actor=cast.lead)
    for incident in (cancelled, duplicate):
        assert {c.state for c in clocks_of(incident).values()} == {ClockState.CANCELLED}
        assert not any(c.met or c.breached for c in clocks_of(incident).values())
    original = services.transition_incident(original, Action.RESOLVE, actor=cast.agent,
                                            resolution_code=ResolutionCode.SOLVED, resolution_notes="Done.")
    frozen.advance(days=8)
    services.auto_close_resolved()
    assert {(c.state, c.met) for c in clocks_of(original).values()} == {(ClockState.STOPPED, True)}


def test_agreements_match_by_service_organisation_priority_and_group(cast, office, frozen):
    email, printing = ServiceFactory(name="Mail"), ServiceFactory(name="Printing")
    network = AssignmentGroupFactory(name="Network team")
    rows = targets(P3_resolution=8 * H)
    mail_sla = make_agreement(cast.admin, office, name="Mail for Acme", target_rows=rows, services=[email],
                              organisations=[cast.org])
    ola = make_agreement(cast.admin, office, name="Network OLA", kind="ola", target_rows=rows,
                         assignment_groups=[network])
    make_agreement(cast.admin, office, name="P1 only", target_rows=targets(P3_resolution=H, P1_resolution=H),
                   priorities=[Priority.P1])
    frozen.set(at(*MONDAY, 9))
    incident = report(cast, service=email)
    assert set(SLAClock.objects.filter(incident=incident).values_list("sla__name", flat=True)) == {"Mail for Acme"}
    assert not SLAClock.objects.filter(incident=report(cast, service=printing)).exists()
    assert not SLAClock.objects.filter(incident=report(cast, service=email, requester=cast.outsider)).exists()

    frozen.set(at(*MONDAY, 10))
    incident = services.transition_incident(incident, Action.ASSIGN, actor=cast.lead, assignment_group=network)
    ola_clock = SLAClock.objects.get(incident=incident, sla=ola)
    assert ola_clock.started_at == frozen.now and ola_clock.due_at == at(*MONDAY, 18)
    assert SLAClock.objects.get(incident=incident, sla=mail_sla).assignment_group_id == network.pk
    frozen.set(at(*MONDAY, 12))
    incident = services.transition_incident(incident, Action.ASSIGN, actor=cast.lead, assignment_group=cast.group)
    ola_clock.refresh_from_db()
    assert ola_clock.state == ClockState.CANCELLED and ola_clock.business_elapsed == 2 * H
    frozen.set(at(*MONDAY, 13))
    services.transition_incident(incident, Action.ASSIGN, actor=cast.lead, assignment_group=network)
    ola_clock.refresh_from_db()  # the OLA applies again: it carries on from the 2 h its group already used
    assert ola_clock.state == ClockState.RUNNING and ola_clock.due_at == at(2025, 6, 3, 9)  # 6 h left


def test_a_deactivated_agreement_starts_no_clocks_and_lets_running_ones_go_on(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    running = report(cast)
    update_agreement(standard, actor=cast.admin, is_active=False)
    assert not SLAClock.objects.filter(incident=report(cast)).exists()
    frozen.set(at(*MONDAY, 10))
    services.transition_incident(running, Action.ASSIGN, actor=cast.lead, assignment_group=cast.other_group)
    resolution = clocks_of(running)["resolution"]
    assert resolution.state == ClockState.RUNNING and resolution.due_at == at(*MONDAY, 13)
    assert resolution.assignment_group_id == cast.other_group.pk


def test_clocks_roll_back_with_the_incident_change(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    before = {m: (c.state, c.business_elapsed, c.updated_at) for m, c in clocks_of(incident).items()}

    def fail_after_the_clocks(sender, **kwargs):
        raise RuntimeError("a later receiver fails")

    incident_changed.connect(fail_after_the_clocks, dispatch_uid="test-fail")
    try:
        frozen.advance(hours=1)
        with pytest.raises(RuntimeError):
            services.transition_incident(incident, Action.PEND_USER, actor=cast.agent, comment="Which printer?")
    finally:
        incident_changed.disconnect(dispatch_uid="test-fail")
    assert {m: (c.state, c.business_elapsed, c.updated_at) for m, c in clocks_of(incident).items()} == before


def test_calendar_change_recomputes_the_open_clocks_in_the_background(cast, standard, frozen,
                                                                    django_capture_on_commit_callbacks):
    frozen.set(at(*MONDAY, 16))
    incidents = [report(cast) for _ in range(5)]
    assert clocks_of(incidents[0])["resolution"].due_at == at(2025, 6, 3, 10)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.save_exception(standard.calendar, actor=cast.admin, date=date(2025, 6, 3),
                                         kind=ExceptionKind.HOLIDAY, name="Office move")
    assert SLADefinition.objects.get(pk=standard.pk).clocks_stale_since is not None
    assert recompute.claim_stale_agreements() == [standard.pk]
    assert recompute.claim_stale_agreements() == []  # held by the recomputation it queued
    assert tasks.recompute_agreement_clocks(standard.pk) == 10
    for incident in incidents:
        assert clocks_of(incident)["resolution"].due_at == at(2025, 6, 4, 10)  # Tuesday is now a holiday
    standard.refresh_from_db()
    assert standard.clocks_stale_since is None and standard.recompute_lease_until is None


def test_a_failed_recompute_batch_leaves_no_clock_half_done(cast, standard, frozen, monkeypatch):
    frozen.set(at(*MONDAY, 16))
    incidents = [report(cast) for _ in range(3)]  # six clocks
    update_agreement(standard, actor=cast.admin, targets=targets(P3_response=2 * H, P3_resolution=8 * H))
    calls = []
    real_schedule = engine.schedule

    def failing_schedule(clock, calendar):
        calls.append(clock.pk)
        if len(calls) == 4:
            raise RuntimeError("worker lost")
        real_schedule(clock, calendar)

    monkeypatch.setattr(engine, "schedule", failing_schedule)
    with pytest.raises(RuntimeError):
        recompute.recompute_agreement(standard.pk, batch_size=2)
    targets_now = dict(SLAClock.objects.values_list("pk", "target"))
    ids = sorted(targets_now)
    # The first batch committed; the second (clocks 3 and 4) rolled back whole, clock 3 included.
    assert all(targets_now[pk] in (2 * H, 8 * H) for pk in ids[:2])
    assert all(targets_now[pk] in (H, 4 * H) for pk in ids[2:])
    assert SLADefinition.objects.get(pk=standard.pk).clocks_stale_since is not None  # still to do
    monkeypatch.setattr(engine, "schedule", real_schedule)
    assert recompute.recompute_agreement(standard.pk, batch_size=2) == 6
    assert {clocks_of(i)["resolution"].due_at for i in incidents} == {at(2025, 6, 3, 14)}


def test_changing_targets_marks_the_agreement_for_recomputation(cast, standard, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    update_agreement(standard, actor=cast.admin, name="Standard desk")  # not about timing
    assert SLADefinition.objects.get(pk=standard.pk).clocks_stale_since is None
    update_agreement(standard, actor=cast.admin, warning_thresholds=[50])
    assert SLADefinition.objects.get(pk=standard.pk).checkpoints == [50, 100]
    recompute.recompute_agreement(standard.pk)
    assert clocks_of(incident)["resolution"].next_check_at == at(*MONDAY, 11)


def test_seed_sla_demo_backfills_clocks_without_escalating_history(cast, frozen):
    from django.core.management import call_command

    from incidents.models import Incident
    from sla.models import ClockThresholdEvent
    from tests.factories import IncidentFactory

    frozen.set(at(2025, 6, 9, 12))  # a Monday
    two_weeks_ago = at(2025, 5, 26, 10)
    impact, urgency = IMPACT_URGENCY[Priority.P3]
    fields = {"requester": cast.end_user, "impact": impact, "urgency": urgency, "priority": Priority.P3}
    late = IncidentFactory(state="in_progress", first_response_at=at(2025, 5, 26, 10, 30), **fields)
    resolved = IncidentFactory(state="resolved", first_response_at=at(2025, 5, 26, 10, 20),
                               resolved_at=at(2025, 5, 27, 11), **fields)
    waiting = IncidentFactory(state="pending_user", **fields)
    Incident.objects.update(created_at=two_weeks_ago, updated_at=at(2025, 5, 26, 11))
    out = io.StringIO()
    call_command("seed_sla_demo", stdout=out)
    assert "clocks on 3 incidents" in out.getvalue()
    late_clocks, resolved_clocks, waiting_clocks = clocks_of(late), clocks_of(resolved), clocks_of(waiting)
    assert (late_clocks["response"].state, late_clocks["response"].met) == (ClockState.STOPPED, True)
    assert late_clocks["resolution"].breached and late_clocks["resolution"].handled_percent == 100
    assert late_clocks["resolution"].next_check_at is None
    assert {(c.state, c.met) for c in resolved_clocks.values()} == {(ClockState.STOPPED, True)}
    assert waiting_clocks["resolution"].state == ClockState.PAUSED
    assert waiting_clocks["resolution"].business_elapsed == H  # from creation to its last change
    # No word to the requester since creation two weeks ago: the progress update (24 h) is long overdue.
    assert late_clocks["update"].breached and waiting_clocks["update"].state == ClockState.PAUSED
    assert escalation.scan_due_clocks().events == 0 and not ClockThresholdEvent.objects.exists()
    call_command("seed_sla_demo", stdout=io.StringIO())  # again: nothing new
    assert SLAClock.objects.count() == 9  # response, progress update and resolution on each


class TestPages:
    def test_queue_shows_a_badge_per_clock_at_a_constant_query_count(self, cast, standard, client):
        for _ in range(30):
            report(cast)
        client.force_login(cast.agent)
        counts = []
        for size in (25, 50):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get("/desk/incidents/", {"page_size": size})
            counts.append(len(ctx))
        assert counts[0] == counts[1] and counts[0] <= 10, counts
        assert response.content.decode().count('data-testid="sla-clock"') == 60

    def test_incident_page_shows_target_used_and_left(self, cast, standard, client, frozen):
        frozen.set(at(*MONDAY, 9))
        incident = report(cast)
        frozen.set(at(*MONDAY, 10, 30))
        client.force_login(cast.agent)
        page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
        assert 'data-testid="sla-clocks"' in page
        assert 'data-testid="sla-clock-resolution" data-status="running"' in page
        assert 'data-testid="sla-target">4 h<' in page and 'data-testid="sla-elapsed">1 h 30 min<' in page
        assert 'data-testid="sla-left">2 h 30 min<' in page

    def test_paused_and_breached_badges(self, cast, standard, client, frozen):
        frozen.set(at(*MONDAY, 9))
        incident = report(cast)
        services.transition_incident(incident, Action.TAKE, actor=cast.agent)
        frozen.set(at(*MONDAY, 11))
        escalation.scan_due_clocks()  # the response target (1 h) is breached
        services.transition_incident(incident, Action.PEND_SUPPLIER, actor=cast.agent)
        client.force_login(cast.agent)
        page = client.get("/desk/incidents/").content.decode()
        assert 'data-status="breached"' in page and 'data-status="paused"' in page
