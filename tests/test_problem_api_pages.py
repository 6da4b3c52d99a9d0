"""Problems through the API and the desk pages: who sees and does what (end users get 404), the actions endpoint
(409 with the allowed actions, stale 409, wrong actor 403), raising a problem from an incident page, candidates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from problems.choices import CandidateState, ProblemState
from problems.models import Problem, ProblemCandidate
from records.links import linked_ids
from records.models import LinkType
from tests.api_mixins import api_client
from tests.factories import IncidentFactory, ServiceFactory
from tests.problem_helpers import make_incident, make_problem, problem_manager

END_USER, AGENT, PROBLEM_MANAGER, LEAD = "end_user", "agent", "problem_manager", "lead"


def _who(cast, role):
    return {END_USER: cast.end_user, AGENT: cast.agent, LEAD: cast.lead,
            PROBLEM_MANAGER: problem_manager(cast)}[role]


def _snapshot(problem):
    problem = Problem.objects.get(pk=problem.pk)
    return problem.version, problem.state, problem.title


# --- reads ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [(END_USER, 404), (AGENT, 200), (PROBLEM_MANAGER, 200), (LEAD, 200)])
def test_retrieve(cast, role, status):
    problem = make_problem(cast)
    response = api_client(_who(cast, role)).get(f"/api/v1/problems/{problem.number}/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["number"] == problem.number


@pytest.mark.parametrize("role, listed", [(END_USER, False), (AGENT, True), (PROBLEM_MANAGER, True), (LEAD, True)])
def test_list(cast, role, listed):
    problem = make_problem(cast)
    response = api_client(_who(cast, role)).get("/api/v1/problems/")
    assert response.status_code == 200
    assert (problem.number in {row["number"] for row in response.json()["results"]}) == listed


def test_anonymous_is_401(cast):
    problem = make_problem(cast)
    assert api_client().get(f"/api/v1/problems/{problem.number}/").status_code == 401


def test_search_in_english_and_chinese(cast):
    english = make_problem(cast, title="Mail relay certificate expired")
    chinese = make_problem(cast, title="打印机驱动崩溃")
    client = api_client(cast.agent)
    assert [r["number"] for r in client.get("/api/v1/problems/?q=certificate").json()["results"]] == [english.number]
    assert [r["number"] for r in client.get("/api/v1/problems/?q=打印").json()["results"]] == [chinese.number]
    assert client.get("/api/v1/problems/?state=bogus").status_code == 400


# --- writes --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [(END_USER, 403), (AGENT, 201), (PROBLEM_MANAGER, 201), (LEAD, 201)])
def test_create(cast, role, status):
    incident = make_incident(cast)
    response = api_client(_who(cast, role)).post("/api/v1/problems/", {
        "title": "Recurring mail drops", "incidents": [incident.number], "impact": 2, "urgency": 2}, format="json")
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        assert body["incidents"] == [incident.number] and body["priority"] == 2
    else:
        assert not Problem.objects.exists()


def test_create_names_the_bad_field(cast):
    response = api_client(cast.agent).post("/api/v1/problems/", {"title": "", "impact": 9}, format="json")
    assert response.status_code == 400
    assert {"title", "impact"} <= set(response.json())


def test_update_with_version_and_stale(cast):
    problem = make_problem(cast)
    client = api_client(cast.agent)
    url = f"/api/v1/problems/{problem.number}/"
    response = client.patch(url, {"version": problem.version, "analysis_notes": "Logs show TLS errors"},
                            format="json")
    assert response.status_code == 200 and response.json()["analysis_notes"] == "Logs show TLS errors"
    stale = client.patch(url, {"version": problem.version, "title": "Other"}, format="json")
    assert stale.status_code == 409
    assert Problem.objects.get(pk=problem.pk).title == problem.title
    assert api_client(cast.end_user).patch(url, {"version": 2, "title": "x"}, format="json").status_code == 404


@pytest.mark.parametrize("role, action, status", [
    (END_USER, "investigate", 404), (AGENT, "investigate", 200), (PROBLEM_MANAGER, "investigate", 200),
    (LEAD, "investigate", 200), (AGENT, "cancel", 403), (PROBLEM_MANAGER, "cancel", 200), (LEAD, "cancel", 200)])
def test_actions_by_role(cast, role, action, status):
    problem = make_problem(cast)
    before = _snapshot(problem)
    response = api_client(_who(cast, role)).post(f"/api/v1/problems/{problem.number}/actions/",
                                                 {"action": action, "version": problem.version}, format="json")
    assert response.status_code == status, response.content
    if status >= 400:
        assert _snapshot(problem) == before


def test_illegal_action_is_409_with_the_allowed_ones(cast):
    problem = make_problem(cast)
    response = api_client(problem_manager(cast)).post(f"/api/v1/problems/{problem.number}/actions/",
                                                      {"action": "close", "review_notes": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["investigate", "cancel"]


def test_stale_action_is_409(cast):
    problem = make_problem(cast)
    response = api_client(cast.agent).post(f"/api/v1/problems/{problem.number}/actions/",
                                           {"action": "investigate", "version": problem.version + 1}, format="json")
    assert response.status_code == 409
    assert _snapshot(problem)[1] == ProblemState.NEW


def test_resolve_through_the_api_resolves_incidents(cast):
    manager = problem_manager(cast)
    incident = make_incident(cast)
    problem = make_problem(cast, incidents=[incident])
    client = api_client(manager)
    url = f"/api/v1/problems/{problem.number}/actions/"
    assert client.post(url, {"action": "investigate"}, format="json").status_code == 200
    response = client.post(url, {"action": "resolve"}, format="json")
    assert response.status_code == 400 and "fix_description" in response.json()
    response = client.post(url, {"action": "resolve", "fix_description": "Patched", "resolve_incidents": True,
                                 "note": "Fixed for good."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["resolved_incidents"] == [incident.number] and body["problem"]["state"] == "resolved"
    assert body["problem"]["figures"]["open"] == 0


# --- pages ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [(END_USER, 404), (AGENT, 200), (PROBLEM_MANAGER, 200), (LEAD, 200)])
def test_detail_page(cast, client, role, status):
    problem = make_problem(cast, incidents=[make_incident(cast)])
    client.force_login(_who(cast, role))
    response = client.get(f"/desk/problems/{problem.number}/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert problem.title in html and 'data-testid="incident-count">1 / 1<' in html


@pytest.mark.parametrize("role, status", [(END_USER, 403), (AGENT, 200), (PROBLEM_MANAGER, 200)])
def test_list_and_candidate_pages(cast, client, role, status):
    make_problem(cast, title="Printer driver crashes")
    client.force_login(_who(cast, role))
    assert client.get("/desk/problems/?q=driver").status_code == status
    assert client.get("/desk/problems/candidates/").status_code == status


def test_the_menu_offers_problems_to_staff(cast, client):
    client.force_login(cast.agent)
    html = client.get("/desk/problems/").content.decode()
    assert 'data-testid="menu-problems"' in html or "/desk/problems/candidates/" in html


def test_page_actions_move_the_problem_and_say_what_is_missing(cast, client):
    manager = problem_manager(cast)
    problem = make_problem(cast)
    client.force_login(manager)
    url = f"/desk/problems/{problem.number}/action/"
    response = client.post(url, {"action": "investigate", "version": problem.version})
    assert response.status_code == 302
    problem.refresh_from_db()
    response = client.post(url, {"action": "root_cause_found", "version": problem.version})
    assert response.status_code == 400 and 'data-field="root_cause"' in response.content.decode()
    response = client.post(url, {"action": "root_cause_found", "version": problem.version,
                                 "root_cause": "Disk full", "cause_category": "technical"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == ProblemState.ERROR_CONTROL and problem.root_cause == "Disk full"


def test_agent_raises_a_problem_from_the_incident_page(cast, client):
    incident = make_incident(cast, title="Mail drops every hour")
    client.force_login(cast.agent)
    page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert f"/desk/problems/raise/{incident.number}/" in page
    form = client.get(f"/desk/problems/raise/{incident.number}/")
    assert 'value="Mail drops every hour"' in form.content.decode()  # the title is prefilled
    response = client.post(f"/desk/problems/raise/{incident.number}/", {"title": "Mail relay drops connections"})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/desk/problems/{problem.number}/")
    assert problem.source == "incident"
    assert list(linked_ids(problem, LinkType.CAUSED_BY, "incident", inverse=True)) == [incident.pk]


def test_end_user_cannot_raise_from_an_incident(cast, client):
    incident = make_incident(cast)
    client.force_login(cast.end_user)
    assert client.post(f"/desk/problems/raise/{incident.number}/", {"title": "x"}).status_code == 403
    assert not Problem.objects.exists()


# --- candidates ----------------------------------------------------------------------------------------------

def _candidate(cast):
    from problems.trends import propose_candidates

    printing = ServiceFactory(name="Printing")
    for index, title in enumerate(["Jam", "Toner", "Paper", "Queue", "Driver"]):
        incident = IncidentFactory(requester=cast.end_user, service=printing, title=title)
        IncidentFactory._meta.model.objects.filter(pk=incident.pk).update(
            created_at=timezone.now() - timedelta(hours=10 - index))
    propose_candidates()
    return ProblemCandidate.objects.get(dimension="service")


@pytest.mark.parametrize("role, status", [(END_USER, 404), (AGENT, 403), (PROBLEM_MANAGER, 200), (LEAD, 200)])
def test_accept_candidate_api(cast, role, status):
    candidate = _candidate(cast)
    response = api_client(_who(cast, role)).post(f"/api/v1/problem-candidates/{candidate.pk}/accept/", {},
                                                 format="json")
    assert response.status_code == status, response.content
    candidate.refresh_from_db()
    assert (candidate.state == CandidateState.ACCEPTED) == (status == 200)
    if status == 200:
        assert response.json()["problem"] == candidate.problem.number
        again = api_client(_who(cast, role)).post(f"/api/v1/problem-candidates/{candidate.pk}/dismiss/")
        assert again.status_code == 409
        assert Problem.objects.count() == 1


def test_candidates_listed_and_dismissed_on_the_page(cast, client):
    candidate = _candidate(cast)
    client.force_login(problem_manager(cast))
    html = client.get("/desk/problems/candidates/").content.decode()
    assert "Printing" in html and 'data-testid="dismiss-candidate"' in html
    assert api_client(cast.agent).get("/api/v1/problem-candidates/").json()["results"][0]["id"] == candidate.pk
    response = client.post(f"/desk/problems/candidates/{candidate.pk}/dismiss/")
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.DISMISSED


def test_list_costs_the_same_queries_for_more_problems(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(cast.agent)
    counts = []
    for extra in (2, 8):
        for index in range(extra):
            make_problem(cast, title=f"Problem {extra}-{index}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/problems/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
