"""The problem lifecycle through its services: every legal move, illegal moves (409 with the allowed actions), stale
versions (409), the wrong actor (403), the fields each phase needs, and resolving the linked incidents with it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import IllegalTransition, StaleVersion
from core.models import OutboxMessage
from incidents import services as incident_services
from incidents.choices import ResolutionCode
from incidents.choices import State as IncidentState
from problems import services
from problems.choices import CauseCategory, ProblemSource, ProblemState
from problems.figures import problem_figures
from records.links import linked_ids
from records.models import LinkType
from tests.problem_helpers import make_incident, make_problem, problem_manager


def _to_error_control(problem, actor):
    problem = services.investigate_problem(problem, actor=actor)
    return services.record_root_cause(problem, actor=actor, root_cause="Expired TLS certificate on the relay",
                                      cause_category=CauseCategory.TECHNICAL)


def test_raise_problem_links_each_incident_as_caused_by_it(cast):
    first, second = make_incident(cast), make_incident(cast, title="Mail bounces")
    problem = services.raise_problem(actor=cast.agent, title="Mail relay", incidents=[first, second],
                                     source=ProblemSource.INCIDENT)
    assert problem.number.startswith("PRB-") and problem.state == ProblemState.NEW
    assert problem.source == ProblemSource.INCIDENT and problem.requester == cast.agent
    assert set(linked_ids(problem, LinkType.CAUSED_BY, "incident", inverse=True)) == {first.pk, second.pk}
    assert set(linked_ids(first, LinkType.CAUSED_BY, "problem")) == {problem.pk}


def test_an_end_user_cannot_raise_a_problem(cast):
    with pytest.raises(PermissionDenied):
        services.raise_problem(actor=cast.end_user, title="Mine")


def test_every_phase_in_order_then_reopen_and_close(cast):
    manager = problem_manager(cast)
    problem = make_problem(cast)
    problem = services.investigate_problem(problem, actor=cast.agent)  # agents investigate
    assert problem.state == ProblemState.INVESTIGATING and problem.assignee == cast.agent
    problem = services.record_root_cause(problem, actor=manager, root_cause="Certificate expired",
                                         cause_category=CauseCategory.TECHNICAL, workaround="Restart the relay")
    assert problem.state == ProblemState.ERROR_CONTROL and problem.workaround == "Restart the relay"
    problem = services.resolve_problem(problem, actor=manager, fix_description="Renewed, with monitoring")[0]
    assert problem.state == ProblemState.RESOLVED and problem.resolved_at is not None
    problem = services.reopen_problem(problem, actor=manager)
    assert problem.state == ProblemState.ERROR_CONTROL and problem.resolved_at is None  # the root cause is known
    problem, _report = services.resolve_problem(problem, actor=cast.lead)
    problem = services.close_problem(problem, actor=manager, review_notes="Monitoring now alerts 30 days ahead.")
    assert problem.state == ProblemState.CLOSED and problem.closed_at is not None


def test_resolve_straight_from_investigation_and_reopen_goes_back_to_it(cast):
    manager = problem_manager(cast)
    problem = services.investigate_problem(make_problem(cast), actor=manager)
    problem = services.resolve_problem(problem, actor=manager, fix_description="Patched")[0]
    assert services.reopen_problem(problem, actor=manager).state == ProblemState.INVESTIGATING


@pytest.mark.parametrize("state_path", [(), ("investigate",)])
def test_cancel_from_an_open_state(cast, state_path):
    manager = problem_manager(cast)
    problem = make_problem(cast)
    for action in state_path:
        problem, _report = services.take_action(problem, action, actor=manager)
    problem = services.cancel_problem(problem, actor=manager)
    assert problem.state == ProblemState.CANCELLED


def test_illegal_move_is_409_with_the_allowed_actions(cast):
    problem = make_problem(cast)
    with pytest.raises(IllegalTransition) as error:
        services.close_problem(problem, actor=problem_manager(cast), review_notes="x")
    assert error.value.status_code == 409
    assert error.value.extra["allowed"] == ["investigate", "cancel"]


def test_stale_version_is_409_and_changes_nothing(cast):
    problem = make_problem(cast)
    with pytest.raises(StaleVersion):
        services.investigate_problem(problem, actor=cast.agent, version=problem.version + 5)
    problem.refresh_from_db()
    assert problem.state == ProblemState.NEW


def test_agents_may_not_take_a_managers_action(cast):
    problem = services.investigate_problem(make_problem(cast), actor=cast.agent)
    with pytest.raises(PermissionDenied):
        services.record_root_cause(problem, actor=cast.agent2, root_cause="x", cause_category="technical")
    with pytest.raises(PermissionDenied):
        services.cancel_problem(problem, actor=cast.agent)


def test_each_phase_asks_for_its_fields_by_name(cast):
    manager = problem_manager(cast)
    problem = services.investigate_problem(make_problem(cast), actor=manager)
    with pytest.raises(ValidationError) as error:
        services.record_root_cause(problem, actor=manager)
    assert set(error.value.message_dict) == {"root_cause", "cause_category"}
    problem = _to_error_control(make_problem(cast), manager)
    with pytest.raises(ValidationError) as error:
        services.resolve_problem(problem, actor=manager)
    assert set(error.value.message_dict) == {"fix_description"}
    problem = services.resolve_problem(problem, actor=manager, fix_description="Renewed")[0]
    with pytest.raises(ValidationError) as error:
        services.close_problem(problem, actor=manager)
    assert set(error.value.message_dict) == {"review_notes"}
    problem.refresh_from_db()
    assert problem.state == ProblemState.RESOLVED


def test_resolving_resolves_the_open_linked_incidents_through_their_service(cast):
    from sla.models import SLAClock
    from tests.sla_helpers import ALL_DAY, make_agreement, make_calendar, report

    make_agreement(cast.admin, make_calendar(cast.admin, periods=ALL_DAY))
    manager = problem_manager(cast)
    open_one, other = report(cast), report(cast, title="Mail bounces")  # P3: the agreement's targets apply
    done = report(cast, title="Already fixed")
    incident_services.resolve_incident(done, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                       resolution_notes="Fixed")
    incident_services.close_incident(done, actor=cast.agent)
    assert SLAClock.objects.filter(incident=open_one, state="running").exists()
    problem = _to_error_control(make_problem(cast, incidents=[open_one, other, done]), manager)
    assert problem_figures(problem)["open"] == 2 and problem_figures(problem)["total"] == 3
    mails_before = OutboxMessage.objects.filter(handler="incidents.notifications.send_incident_mail").count()

    problem, report = services.resolve_problem(problem, actor=manager, fix_description="Renewed",
                                               resolve_incidents=True, note="The mail relay is fixed.")
    assert sorted(report["resolved"]) == sorted([open_one.number, other.number]) and report["failed"] == []
    for incident in (open_one, other):
        incident.refresh_from_db()
        assert incident.state == IncidentState.RESOLVED and incident.resolution_notes == "The mail relay is fixed."
        assert incident.comments.filter(body="The mail relay is fixed.", is_internal=False).exists()
        assert not SLAClock.objects.filter(incident=incident, state="running").exists()
    mails = OutboxMessage.objects.filter(handler="incidents.notifications.send_incident_mail").count()
    assert mails == mails_before + 2
    assert problem_figures(problem)["open"] == 0


def test_an_incident_that_cannot_be_resolved_is_reported_not_fatal(cast, monkeypatch):
    manager = problem_manager(cast)
    fine, stuck = make_incident(cast), make_incident(cast, title="Stuck")
    problem = _to_error_control(make_problem(cast, incidents=[fine, stuck]), manager)
    from core.exceptions import Conflict
    from incidents import services as incidents_services

    real = incidents_services.resolve_incident

    def resolve(incident, **kwargs):
        if incident.pk == stuck.pk:  # someone changed it meanwhile
            raise Conflict("Someone else changed this record since you opened it.")
        return real(incident, **kwargs)
    monkeypatch.setattr(incidents_services, "resolve_incident", resolve)
    problem, report = services.resolve_problem(problem, actor=manager, fix_description="Renewed",
                                               resolve_incidents=True, note="Fixed.")
    assert problem.state == ProblemState.RESOLVED
    assert report["resolved"] == [fine.number] and [n for n, _r in report["failed"]] == [stuck.number]


def test_resolving_incidents_needs_the_note(cast):
    manager = problem_manager(cast)
    problem = _to_error_control(make_problem(cast, incidents=[make_incident(cast)]), manager)
    with pytest.raises(ValidationError) as error:
        services.resolve_problem(problem, actor=manager, fix_description="x", resolve_incidents=True)
    assert "note" in error.value.message_dict


def test_lost_business_hours_count_from_creation_to_resolution(cast, frozen):
    from tests.sla_helpers import at, make_calendar

    make_calendar(cast.admin)  # Mon–Fri 08:00–18:00 Shanghai
    frozen.set(at(2025, 6, 2, 9))
    first = make_incident(cast)
    frozen.set(at(2025, 6, 2, 12))
    incident_services.resolve_incident(first, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                       resolution_notes="ok")
    frozen.set(at(2025, 6, 2, 16))
    second = make_incident(cast)
    problem = make_problem(cast, incidents=[first, second])
    frozen.set(at(2025, 6, 3, 10))  # the second is still open: 2 h on Monday, 2 h on Tuesday
    assert problem_figures(problem) == {"open": 1, "total": 2, "lost_hours": 7.0}


def test_closed_problem_cannot_be_edited(cast):
    manager = problem_manager(cast)
    problem = services.cancel_problem(make_problem(cast), actor=manager)
    from core.exceptions import Conflict

    with pytest.raises(Conflict):
        services.update_problem(problem, actor=manager, version=problem.version, title="New")
