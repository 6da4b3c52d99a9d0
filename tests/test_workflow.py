"""The incident state machine, driven only through incidents.services against real PostgreSQL.

The legal transitions are generated from incidents.workflow.TRANSITIONS itself, so a row added to the table is
exercised (state, version, audit) without touching this file; its milestones are checked where the table says what
the action records.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.exceptions import Conflict, IllegalTransition
from incidents import services, workflow
from incidents.choices import Action, ResolutionCode, State
from incidents.models import Incident, IncidentEvent
from tests.factories import AssignmentGroupFactory, IncidentFactory, Role, UserFactory

ACTORS = {
    workflow.REQUESTER: lambda cast: cast.end_user,
    workflow.AGENT: lambda cast: cast.agent,
    workflow.LEAD: lambda cast: cast.lead,
    workflow.SYSTEM: lambda cast: None,
}


def incident_in(cast, state, **fields):
    """A row in `state` with the fields a real incident in that state would have (built directly, as a fixture)."""
    now = timezone.now()
    values = {"requester": cast.end_user, "state": state}
    if state != State.NEW:
        values.update(assignment_group=cast.group, acknowledged_at=now - timedelta(hours=2))
    if state not in (State.NEW, State.ASSIGNED):
        values.update(assignee=cast.agent)
    if state in (State.RESOLVED, State.CLOSED):
        values.update(resolved_at=now - timedelta(hours=1), first_response_at=now - timedelta(hours=2),
                      resolution_code=ResolutionCode.SOLVED, resolution_notes="Restarted the spooler.")
    if state in (State.CLOSED, State.CANCELLED):
        values.update(closed_at=now - timedelta(minutes=5))
    values.update(fields)
    return IncidentFactory(**values)


REASON = {"comment": "Still broken."}  # reopening needs one (a public reply)


def transition_kwargs(cast, action):
    if action == Action.ASSIGN:
        return {"assignment_group": cast.group, "assignee": cast.agent}
    if action == Action.RESOLVE:
        return {"resolution_code": ResolutionCode.WORKAROUND, "resolution_notes": "  Cleared the queue.  "}
    if action == Action.PEND_USER:
        return {"comment": "Which printer is it?"}
    if action == Action.REOPEN:
        return {"comment": "It jams again."}
    return {}


def _acknowledged(before, after, started):
    assert after.acknowledged_at is not None
    if before.acknowledged_at is None:
        assert after.acknowledged_at >= started
    else:
        assert after.acknowledged_at == before.acknowledged_at  # a milestone is recorded once


def _resolved(before, after, started):
    assert after.resolved_at >= started
    assert after.resolution_code == ResolutionCode.WORKAROUND
    assert after.resolution_notes == "Cleared the queue."
    assert after.first_response_at is not None
    assert after.acknowledged_at is not None  # first-contact resolution counts as acknowledged too


def _closed(before, after, started):
    assert after.closed_at >= started


def _reopened(before, after, started):
    assert (after.resolved_at, after.resolution_code, after.resolution_notes) == (None, "", "")
    assert after.closed_at is None


def _taken(before, after, started, actor):
    _acknowledged(before, after, started)
    assert after.assignee == actor
    assert after.assignment_group.members.filter(pk=actor.pk).exists()


MILESTONES = {
    Action.ASSIGN: lambda b, a, s, actor: _acknowledged(b, a, s),
    Action.TAKE: _taken,
    Action.START: _taken,
    Action.RESOLVE: lambda b, a, s, actor: _resolved(b, a, s),
    Action.CLOSE: lambda b, a, s, actor: _closed(b, a, s),
    Action.CANCEL: lambda b, a, s, actor: _closed(b, a, s),
    Action.REOPEN: lambda b, a, s, actor: _reopened(b, a, s),
}


def _legal_cases():
    for action, rule in workflow.TRANSITIONS.items():
        for source in sorted(rule.sources):
            for kind in sorted(rule.actors):
                if action == Action.CANCEL and kind == workflow.REQUESTER and source != State.NEW:
                    continue  # the requester's narrower right is tested on its own below
                yield pytest.param(action, source, kind, id=f"{action}-{source}-{kind}")


@pytest.mark.parametrize(("action", "source", "kind"), list(_legal_cases()))
def test_every_legal_transition(cast, action, source, kind):
    before = incident_in(cast, source)
    actor = ACTORS[kind](cast)
    started = timezone.now()

    services.transition_incident(before, action, actor=actor, version=before.version,
                                 **transition_kwargs(cast, action))

    after = Incident.objects.get(pk=before.pk)
    rule = workflow.TRANSITIONS[action]
    expected = rule.target or (State.IN_PROGRESS if before.assignee_id else State.ASSIGNED)
    assert after.state == expected
    assert after.version == before.version + 1
    MILESTONES.get(action, lambda *args: None)(before, after, started, actor)
    event = IncidentEvent.objects.filter(pgh_obj=after).order_by("-pgh_id").first()
    assert event.state == expected
    assert event.pgh_context.metadata == {"user": actor.pk if actor else None, "action": action}


def _illegal_cases():
    for state in State.values:
        for action in workflow.TRANSITIONS:
            if state not in workflow.TRANSITIONS[action].sources:
                yield pytest.param(state, action, id=f"{action}-from-{state}")


@pytest.mark.parametrize(("state", "action"), list(_illegal_cases()))
def test_illegal_transition_answers_with_the_legal_ones(cast, state, action):
    incident = incident_in(cast, state)

    with pytest.raises(IllegalTransition) as raised:
        services.transition_incident(incident, action, actor=cast.admin, **transition_kwargs(cast, action))

    assert raised.value.status_code == 409
    assert raised.value.extra == {"state": state, "allowed": workflow.legal_from(state)}
    unchanged = Incident.objects.get(pk=incident.pk)
    assert (unchanged.state, unchanged.version) == (state, incident.version)


def test_legal_from_lists_the_table_in_order():
    assert workflow.legal_from(State.RESOLVED) == [Action.CLOSE, Action.REOPEN]
    assert workflow.legal_from(State.CLOSED) == []
    assert workflow.legal_from(State.NEW) == [Action.ASSIGN, Action.TAKE, Action.RESOLVE, Action.CANCEL]


def test_reopen_without_assignee_goes_back_to_the_group_or_to_new(cast):
    to_group = incident_in(cast, State.RESOLVED, assignee=None)
    to_desk = incident_in(cast, State.RESOLVED, assignee=None, assignment_group=None)

    assert services.transition_incident(to_group, Action.REOPEN, actor=cast.end_user, **REASON).state == State.ASSIGNED
    assert services.transition_incident(to_desk, Action.REOPEN, actor=cast.end_user, **REASON).state == State.NEW


def _denied(incident, action, actor, **kwargs):
    with pytest.raises(PermissionDenied):
        services.transition_incident(incident, action, actor=actor, **kwargs)
    unchanged = Incident.objects.get(pk=incident.pk)
    assert (unchanged.state, unchanged.version, unchanged.assignee_id) == (
        incident.state, incident.version, incident.assignee_id
    )


def test_end_user_cannot_resolve_their_own_incident(cast):
    _denied(incident_in(cast, State.IN_PROGRESS), Action.RESOLVE, cast.end_user,
            resolution_code=ResolutionCode.SOLVED, resolution_notes="fixed it myself")


def test_requester_may_cancel_only_while_new(cast):
    assert services.transition_incident(incident_in(cast, State.NEW), Action.CANCEL,
                                        actor=cast.end_user).state == State.CANCELLED
    for state in (State.ASSIGNED, State.IN_PROGRESS, State.PENDING_USER):
        _denied(incident_in(cast, state), Action.CANCEL, cast.end_user)


def test_colleague_of_the_requester_cannot_cancel(cast):
    cast.colleague.sees_organisation_tickets = True
    cast.colleague.save()
    _denied(incident_in(cast, State.NEW), Action.CANCEL, cast.colleague)


def test_plain_agent_cannot_cancel(cast):
    _denied(incident_in(cast, State.IN_PROGRESS), Action.CANCEL, cast.agent)


def test_plain_agent_cannot_reassign_someone_elses_incident(cast):
    incident = incident_in(cast, State.IN_PROGRESS)  # assigned to cast.agent
    _denied(incident, Action.ASSIGN, cast.agent2, assignment_group=cast.group, assignee=cast.agent2)
    _denied(incident, Action.ASSIGN, cast.agent2, assignment_group=cast.other_group, assignee=None)
    _denied(incident_in(cast, State.ASSIGNED, assignee=cast.agent), Action.TAKE, cast.agent2)
    _denied(incident_in(cast, State.ASSIGNED, assignee=cast.agent), Action.START, cast.agent2)


def test_plain_agent_cannot_take_someone_elses_incident_from_another_group(cast):
    network_engineer = UserFactory(role=Role.AGENT, organisation=None)
    cast.other_group.members.add(network_engineer)
    incident = incident_in(cast, State.ASSIGNED, assignment_group=cast.other_group, assignee=network_engineer)
    _denied(incident, Action.TAKE, cast.agent)


def test_plain_agent_may_hand_over_their_own_incident(cast):
    incident = incident_in(cast, State.IN_PROGRESS)
    moved = services.transition_incident(incident, Action.ASSIGN, actor=cast.agent, assignee=cast.agent2)
    assert (moved.state, moved.assignee) == (State.ASSIGNED, cast.agent2)


def test_lead_of_the_group_may_reassign_and_cancel(cast):
    incident = incident_in(cast, State.IN_PROGRESS)
    moved = services.transition_incident(incident, Action.ASSIGN, actor=cast.lead, assignee=cast.agent2)
    assert moved.assignee == cast.agent2
    taken = services.transition_incident(moved, Action.TAKE, actor=cast.lead)
    assert (taken.state, taken.assignee) == (State.IN_PROGRESS, cast.lead)
    assert services.transition_incident(taken, Action.CANCEL, actor=cast.lead).state == State.CANCELLED


def test_lead_of_another_group_is_a_plain_agent_here(cast):
    network_lead = UserFactory(role=Role.TEAM_LEAD, organisation=None)
    AssignmentGroupFactory(name="Network operations", lead=network_lead).members.add(network_lead)
    _denied(incident_in(cast, State.IN_PROGRESS), Action.CANCEL, network_lead)
    _denied(incident_in(cast, State.IN_PROGRESS), Action.ASSIGN, network_lead, assignee=cast.agent2)


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_manager_and_admin_act_as_lead_of_every_group(cast, who):
    boss = getattr(cast, who)
    incident = incident_in(cast, State.IN_PROGRESS)
    moved = services.transition_incident(incident, Action.ASSIGN, actor=boss, assignee=cast.agent2)
    assert moved.assignee == cast.agent2
    assert services.transition_incident(moved, Action.CANCEL, actor=boss).state == State.CANCELLED


def test_the_system_may_only_close(cast):
    _denied(incident_in(cast, State.IN_PROGRESS), Action.RESOLVE, None,
            resolution_code=ResolutionCode.SOLVED, resolution_notes="by a task")
    _denied(incident_in(cast, State.RESOLVED), Action.REOPEN, None)
    assert services.transition_incident(incident_in(cast, State.RESOLVED), Action.CLOSE,
                                        actor=None).state == State.CLOSED


def test_requester_may_reopen_within_the_window_only(cast, settings):
    settings.INCIDENT_REOPEN_WINDOW_DAYS = 14
    recent = incident_in(cast, State.RESOLVED, resolved_at=timezone.now() - timedelta(days=13))
    stale = incident_in(cast, State.RESOLVED, resolved_at=timezone.now() - timedelta(days=15))

    assert services.transition_incident(recent, Action.REOPEN, actor=cast.end_user, **REASON).state == State.IN_PROGRESS
    with pytest.raises(Conflict):
        services.transition_incident(stale, Action.REOPEN, actor=cast.end_user, **REASON)
    assert Incident.objects.get(pk=stale.pk).state == State.RESOLVED
    # The desk may still reopen it: the window protects agents from year-old "me too" replies, not from themselves.
    assert services.transition_incident(stale, Action.REOPEN, actor=cast.agent, **REASON).state == State.IN_PROGRESS


def test_requester_confirms_resolution_by_closing(cast):
    closed = services.transition_incident(incident_in(cast, State.RESOLVED), Action.CLOSE, actor=cast.end_user)
    assert closed.state == State.CLOSED and closed.closed_at is not None


def test_public_comment_with_a_transition_is_the_first_response(cast):
    incident = incident_in(cast, State.IN_PROGRESS)
    waiting = services.transition_incident(incident, Action.PEND_USER, actor=cast.agent,
                                           comment="Which printer is it?")
    assert waiting.state == State.PENDING_USER
    assert waiting.first_response_at is not None
    assert waiting.comments.get().body == "Which printer is it?"


def test_end_user_reply_to_pending_user_resumes_work(cast):
    incident = incident_in(cast, State.PENDING_USER)
    services.add_comment(incident, actor=cast.end_user, body="It is the one on floor 3.")
    after = Incident.objects.get(pk=incident.pk)
    assert after.state == State.IN_PROGRESS
    assert after.version == incident.version + 1


def test_staff_reply_to_pending_user_keeps_waiting(cast):
    incident = incident_in(cast, State.PENDING_USER)
    services.add_comment(incident, actor=cast.agent, body="Still waiting for your answer.")
    assert Incident.objects.get(pk=incident.pk).state == State.PENDING_USER


def test_end_user_reply_to_resolved_reopens(cast):
    incident = incident_in(cast, State.RESOLVED)
    services.add_comment(incident, actor=cast.end_user, body="It is broken again.")
    after = Incident.objects.get(pk=incident.pk)
    assert after.state == State.IN_PROGRESS
    assert (after.resolved_at, after.resolution_code, after.resolution_notes) == (None, "", "")


def test_end_user_reply_reopens_to_the_same_state_as_the_reopen_action(cast):
    for fields, expected in (({"assignee": None}, State.ASSIGNED),
                             ({"assignee": None, "assignment_group": None}, State.NEW)):
        incident = incident_in(cast, State.RESOLVED, **fields)
        services.add_comment(incident, actor=cast.end_user, body="Still broken.")
        assert Incident.objects.get(pk=incident.pk).state == expected


def test_end_user_reply_after_the_reopen_window_is_refused_and_not_kept(cast, settings):
    settings.INCIDENT_REOPEN_WINDOW_DAYS = 14
    incident = incident_in(cast, State.RESOLVED, resolved_at=timezone.now() - timedelta(days=20))
    with pytest.raises(Conflict):
        services.add_comment(incident, actor=cast.end_user, body="Me too")
    assert not incident.comments.exists()
    assert Incident.objects.get(pk=incident.pk).state == State.RESOLVED


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_reply_to_a_finished_incident_is_a_conflict(cast, state):
    incident = incident_in(cast, state)
    for actor in (cast.end_user, cast.agent):
        with pytest.raises(Conflict):
            services.add_comment(incident, actor=actor, body="Hello?")
    assert not incident.comments.exists()
