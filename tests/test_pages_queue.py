"""The queue page without a browser: blank filter options, bulk changes, saved views, constant query counts, the
requester search, and the words some actions need (pend_user's question, reopen's reason)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import SavedView
from core.saved_views import create_saved_view
from incidents import services
from incidents.choices import Action, State, Urgency
from incidents.models import Incident
from tests.api_mixins import api_client, make_incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
QUEUE = "/desk/incidents/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "queue-table"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_blank_options_of_the_form_mean_not_filtered(cast):
    """What a browser sends when only the search box was used: every other control blank."""
    open_one = make_incident(cast, title="Printer jams")
    closed = services.transition_incident(make_incident(cast, title="Printer smokes"), Action.CANCEL, actor=cast.lead)
    agent = client_for(cast.agent)
    blank = {"q": "", "state": "", "priority": "", "assignment_group": "", "assignee": ""}
    response = agent.get(QUEUE, blank, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert open_one.number in page and closed.number not in page  # blank state: the open ones
    page = agent.get(QUEUE, {**blank, "q": "printer", "state": "any"}, **HTMX).content.decode()
    assert open_one.number in page and closed.number in page
    page = agent.get(QUEUE, {**blank, "state": "cancelled"}, **HTMX).content.decode()
    assert open_one.number not in page and closed.number in page


def test_a_filter_error_is_answered_with_the_error_in_the_table(cast):
    response = client_for(cast.agent).get(QUEUE, {"assignee": "999999", "state": ""}, **HTMX)
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode() and "Assignee" in response.content.decode()


def test_queue_query_count_is_constant(cast):
    for _ in range(30):
        IncidentFactory(requester=cast.end_user, service=cast.service, assignment_group=cast.group)
    for n in range(3):
        create_saved_view(owner=cast.agent, list_key="incidents", name=f"View {n}", query="mine=true",
                          shared_with=cast.group)
    agent = client_for(cast.agent)
    counts = []
    for size in (25, 50, 100):
        with CaptureQueriesContext(connection) as ctx:
            assert agent.get(QUEUE, {"page_size": size, "state": "any"}).status_code == 200
        counts.append(len(ctx))
    # session, user, roles, count, saved views, groups, agents, incidents, their services, their SLA clocks
    assert counts == [10, 10, 10], (counts, [q["sql"][:90] for q in ctx.captured_queries])


def test_bulk_from_the_page_reports_the_stale_row_and_changes_the_others(cast):
    first, second = make_incident(cast, title="One"), make_incident(cast, title="Two")
    rows = [f"{first.number}:{first.version}", f"{second.number}:{second.version}"]
    services.update_incident(second, actor=cast.agent2, version=second.version, urgency=Urgency.HIGH)
    response = client_for(cast.agent).post("/desk/incidents/bulk/", {
        "action": "take", "rows": rows, "query": "state=any"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-number="{first.number}" data-status="200"' in page
    assert f'data-number="{second.number}" data-status="409"' in page
    states = dict(Incident.objects.values_list("number", "state"))
    assert states == {first.number: State.IN_PROGRESS, second.number: State.ASSIGNED}


def test_bulk_without_rows_or_action_changes_nothing(cast):
    incident = make_incident(cast)
    agent = client_for(cast.agent)
    assert agent.post("/desk/incidents/bulk/", {"action": "take"}, **HTMX).status_code == 400
    assert agent.post("/desk/incidents/bulk/", {"rows": [incident.number]}, **HTMX).status_code == 400
    assert client_for(cast.end_user).post("/desk/incidents/bulk/", {"action": "cancel",
                                                                    "rows": [incident.number]}).status_code == 403
    assert Incident.objects.get(pk=incident.pk).version == incident.version


def test_save_choose_and_delete_views_from_the_page(cast):
    agent = client_for(cast.agent)
    response = agent.post("/desk/incidents/views/", {
        "name": "P1 of mine", "query": "priority=1&state=&mine=true&page=3", "ordering": "-updated",
        "columns": ["number", "title"], "shared_with": str(cast.group.pk)})
    view = SavedView.objects.get()
    assert (view.query, view.sort, view.columns, view.shared_with) == (
        "priority=1&mine=true", "-updated", ["number", "title"], cast.group)
    assert response.status_code == 302 and f"view={view.pk}" in response["Location"]
    page = client_for(cast.lead).get(QUEUE).content.decode()  # shared with the lead's group
    assert "P1 of mine" in page
    assert client_for(cast.lead).post(f"/desk/incidents/views/{view.pk}/delete/").status_code == 403
    assert SavedView.objects.exists()  # not the lead's to delete
    assert client_for(cast.manager).post(f"/desk/incidents/views/{view.pk}/delete/").status_code == 404
    agent.post(f"/desk/incidents/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_saving_a_view_without_a_name_says_so(cast):
    agent = client_for(cast.agent)
    response = agent.post("/desk/incidents/views/", {"name": "", "query": "mine=true"}, follow=True)
    assert "Give the view a name." in response.content.decode()
    assert not SavedView.objects.exists()


def test_builtin_views_are_offered(cast):
    page = client_for(cast.agent).get(QUEUE).content.decode()
    for key in ("my-open", "group-unassigned", "breaching-soon"):
        assert f'data-testid="view-{key}"' in page


def test_requester_search_is_for_the_desk(cast):
    cast.end_user.phone = "+86 138 0013 8000"
    cast.end_user.save()
    page = client_for(cast.agent).get("/desk/incidents/requesters/", {"requester_search": "0013"}).content.decode()
    assert f'data-person-id="{cast.end_user.pk}"' in page and "outsider" not in page
    assert client_for(cast.end_user).get("/desk/incidents/requesters/", {"q": "a"}).status_code == 403


def test_wait_for_user_needs_the_question(cast):
    incident = services.transition_incident(make_incident(cast), Action.TAKE, actor=cast.agent)
    url = f"/desk/incidents/{incident.number}/transition/"
    response = client_for(cast.agent).post(url, {"action": "pend_user", "version": incident.version, "comment": " "})
    assert response.status_code == 400
    assert 'data-field="comment"' in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).state == State.IN_PROGRESS
    response = api_client(cast.agent).post(f"/api/v1/incidents/{incident.number}/transition/",
                                           {"action": "pend_user"}, format="json")
    assert response.status_code == 400 and "comment" in response.data
    client_for(cast.agent).post(url, {"action": "pend_user", "version": incident.version, "comment": "Which one?"})
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == State.PENDING_USER
    assert incident.comments.get().body == "Which one?" and not incident.comments.get().is_internal


def test_reopen_needs_a_reason_and_closed_keeps_its_resolution(cast):
    incident = services.transition_incident(make_incident(cast), Action.RESOLVE, actor=cast.agent,
                                            resolution_code="solved", resolution_notes="New toner")
    portal = client_for(cast.end_user)
    url = f"/portal/incidents/{incident.number}/action/"
    response = portal.post(url, {"action": "reopen", "version": incident.version})
    assert response.status_code == 400 and "Say why the incident is reopened." in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).state == State.RESOLVED
    portal.post(url, {"action": "close", "version": incident.version})
    page = portal.get(f"/portal/incidents/{incident.number}/").content.decode()
    assert 'data-testid="resolution"' in page and "New toner" in page


@pytest.mark.parametrize("data,field", [
    ({"rows": ["INC-000001"]}, "Action"),
    ({"action": "explode", "rows": ["INC-000001"]}, "Action"),
    ({"action": "take"}, "Incidents"),
    ({"action": "set_priority", "rows": ["INC-000001"], "impact": "9"}, "Impact"),
])
def test_bulk_bad_input_names_the_field(cast, data, field):
    incident = make_incident(cast)
    response = client_for(cast.agent).post("/desk/incidents/bulk/", data, **HTMX)
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).version == incident.version


def test_a_view_shared_with_a_group_one_is_not_in_is_refused(cast):
    client_for(cast.agent).post("/desk/incidents/views/", {"name": "Net", "shared_with": cast.other_group.pk})
    assert not SavedView.objects.exists()
