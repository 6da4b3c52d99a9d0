"""Trend candidates on a hand-built fixture: a cluster is found once and never twice, grows with new incidents of its
window, dismissed ones stay dismissed, linked incidents are not proposed, and two leads accepting at once make one
problem."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from core.exceptions import Conflict
from incidents.models import Incident
from problems import trends
from problems.choices import CandidateState, ProblemSource, TrendDimension
from problems.models import Problem, ProblemCandidate
from records.links import linked_ids
from records.models import LinkType
from tests.factories import CategoryFactory, IncidentFactory, ServiceFactory
from tests.problem_helpers import make_problem, problem_manager

# Titles that share nothing, so that only what a test means to share makes a trend.
TITLES = ["Printer jam", "Toner empty", "Paper stuck", "Queue frozen", "Driver error", "Tray broken", "Scan fails"]


def _incidents(cast, count, *, start, step=timedelta(hours=5), **fields):
    made = []
    for index in range(count):
        incident = IncidentFactory(requester=cast.end_user, **{"title": TITLES[index % len(TITLES)], **fields})
        Incident.objects.filter(pk=incident.pk).update(created_at=start + index * step)
        made.append(incident)
    return made


@pytest.fixture
def printing(cast):
    return ServiceFactory(name="Printing")


def _candidates(dimension=None):
    queryset = ProblemCandidate.objects.all()
    return list(queryset.filter(dimension=dimension) if dimension else queryset)


def test_five_on_one_service_within_a_week_make_one_candidate_found_once(cast, printing):
    start = timezone.now() - timedelta(days=3)
    cluster = _incidents(cast, 5, start=start, service=printing)
    _incidents(cast, 4, start=start, service=ServiceFactory(name="Phones"))  # four are not a trend
    result = trends.propose_candidates()
    assert result.proposed == 1
    [candidate] = _candidates(TrendDimension.SERVICE)
    assert candidate.label == "Printing" and candidate.state == CandidateState.PROPOSED
    assert set(candidate.incidents.values_list("pk", flat=True)) == {i.pk for i in cluster}
    assert trends.propose_candidates().proposed == 0
    assert trends.propose_candidates(full=True).proposed == 0  # a full run finds the same cluster: no second row
    assert len(_candidates(TrendDimension.SERVICE)) == 1


def test_spread_over_more_than_the_window_is_no_trend(cast, printing):
    _incidents(cast, 5, start=timezone.now() - timedelta(days=20), step=timedelta(days=2), service=printing)
    assert trends.propose_candidates().proposed == 0


def test_category_ci_and_near_identical_titles(cast):
    from cmdb.models import CIClass, ConfigurationItem
    from incidents.models import IncidentConfigurationItem

    start = timezone.now() - timedelta(days=2)
    category = CategoryFactory(name="Hardware")
    _incidents(cast, 5, start=start, category=category)
    titled = [IncidentFactory(requester=cast.end_user, title=title) for title in
              ("VPN down (site 3)", "vpn down - site 12", "VPN DOWN site 7", "vpn down: SITE 1", "vpn down, site 9")]
    ci_class = CIClass.objects.first() or CIClass.objects.create(name="Server", code="server")
    server = ConfigurationItem.objects.create(name="mail-01", ci_class=ci_class)
    on_ci = _incidents(cast, 5, start=start)
    IncidentConfigurationItem.objects.bulk_create([IncidentConfigurationItem(
        incident=i, configuration_item=server, added_by=cast.agent) for i in on_ci])
    trends.propose_candidates()
    by_dimension = {c.dimension: c for c in _candidates()}
    assert by_dimension[TrendDimension.CATEGORY].label == "Hardware"
    assert set(by_dimension[TrendDimension.TITLE].incidents.all()) == set(titled)
    assert by_dimension[TrendDimension.CI].label == str(server)
    assert set(by_dimension[TrendDimension.CI].incidents.all()) == set(on_ci)


def test_new_incidents_join_the_proposed_candidate_of_their_window(cast, printing):
    start = timezone.now() - timedelta(days=3)
    _incidents(cast, 5, start=start, service=printing)
    trends.propose_candidates()
    late = IncidentFactory(requester=cast.end_user, service=printing)
    result = trends.propose_candidates()
    assert result.proposed == 0 and result.grown == 1
    [candidate] = _candidates(TrendDimension.SERVICE)
    assert candidate.incidents.filter(pk=late.pk).exists()


def test_dismissed_stays_dismissed(cast, printing):
    manager = problem_manager(cast)
    _incidents(cast, 5, start=timezone.now() - timedelta(days=3), service=printing)
    trends.propose_candidates()
    [candidate] = _candidates(TrendDimension.SERVICE)
    trends.dismiss_candidate(candidate, actor=manager)
    IncidentFactory(requester=cast.end_user, service=printing)
    trends.propose_candidates()
    trends.propose_candidates(full=True)
    assert [c.state for c in _candidates(TrendDimension.SERVICE)] == [CandidateState.DISMISSED]
    with pytest.raises(Conflict):
        trends.accept_candidate(candidate, actor=manager)


def test_incidents_linked_to_a_problem_are_not_proposed(cast, printing):
    cluster = _incidents(cast, 5, start=timezone.now() - timedelta(days=3), service=printing)
    make_problem(cast, incidents=cluster[:2])
    assert trends.propose_candidates().proposed == 0


def test_accepting_raises_a_problem_with_the_incidents_linked(cast, printing):
    cluster = _incidents(cast, 5, start=timezone.now() - timedelta(days=3), service=printing)
    trends.propose_candidates()
    [candidate] = _candidates(TrendDimension.SERVICE)
    accepted = trends.accept_candidate(candidate, actor=cast.lead)
    problem = accepted.problem
    assert accepted.state == CandidateState.ACCEPTED and problem.source == ProblemSource.TREND
    assert problem.service == printing
    assert set(linked_ids(problem, LinkType.CAUSED_BY, "incident", inverse=True)) == {i.pk for i in cluster}


def test_agents_may_not_decide(cast, printing):
    from django.core.exceptions import PermissionDenied

    _incidents(cast, 5, start=timezone.now() - timedelta(days=3), service=printing)
    trends.propose_candidates()
    [candidate] = _candidates(TrendDimension.SERVICE)
    with pytest.raises(PermissionDenied):
        trends.accept_candidate(candidate, actor=cast.agent)


@pytest.mark.django_db(transaction=True)
def test_two_leads_accepting_at_once_make_one_problem():
    from tests.conftest import Cast

    cast = Cast()
    printing = ServiceFactory(name="Printing")
    manager = problem_manager(cast)
    _incidents(cast, 5, start=timezone.now() - timedelta(days=3), service=printing)
    trends.propose_candidates()
    [candidate] = _candidates(TrendDimension.SERVICE)
    barrier, outcomes = threading.Barrier(2), []

    def accept(actor):
        try:
            barrier.wait()
            trends.accept_candidate(ProblemCandidate.objects.get(pk=candidate.pk), actor=actor)
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=accept, args=(who,)) for who in (cast.lead, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "conflict"]
    assert Problem.objects.count() == 1


def test_demo_problems_seed_once(cast):
    from problems import demo

    for index in range(9):
        IncidentFactory(requester=cast.end_user, title=f"Demo {index}")
    demo.seed()
    demo.seed()
    assert Problem.objects.count() == 3
    assert set(Problem.objects.values_list("state", flat=True)) == {"new", "investigating", "error_control"}
