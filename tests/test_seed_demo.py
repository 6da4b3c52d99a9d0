"""`manage.py seed_demo`: the accounts the README promises, idempotence, and incidents that look lived-in."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, TextField, Value
from django.db.models.functions import Concat
from django.test import Client
from django.urls import reverse

from core.models import AssignmentGroup, Organisation, User
from core.roles import Role, roles_of
from core.textsearch import search_query
from incidents.choices import State
from incidents.models import Incident, IncidentComment
from incidents.services import refresh_search
from servicedesk import demo
from servicedesk.models import Category, Service

pytestmark = pytest.mark.django_db

EXPECTED_ACCOUNTS = {
    "enduser": Role.END_USER,
    "agent": Role.AGENT,
    "lead": Role.TEAM_LEAD,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
}


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count()
            for model in (Organisation, User, AssignmentGroup, Service, Category, Incident, IncidentComment)}


def test_demo_accounts_have_their_roles_languages_and_groups():
    seed(incidents=30, quiet=True)
    users = {u.username: u for u in User.objects.filter(username__in=EXPECTED_ACCOUNTS)}
    assert set(users) == set(EXPECTED_ACCOUNTS)
    for username, role in EXPECTED_ACCOUNTS.items():
        assert role in roles_of(users[username]), username
        assert users[username].language
    assert users["enduser"].language == "zh-hans"
    assert users["enduser"].organisation is not None
    assert roles_of(users["enduser"]) == {Role.END_USER}
    assert users["admin"].is_superuser and users["admin"].is_staff
    desk = AssignmentGroup.objects.get(name=demo.GROUPS[0][1])
    assert desk.lead == users["lead"]
    assert desk.members.filter(username="agent").exists()
    assert not users["manager"].is_superuser


@pytest.mark.parametrize("username", sorted(EXPECTED_ACCOUNTS))
def test_each_demo_account_logs_in_through_the_login_page(username):
    seed(incidents=0, quiet=True)
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": "demo-pass-123"})
    assert response.status_code == 302, response.content[:500]
    assert int(client.session["_auth_user_id"]) == User.objects.get(username=username).pk


def test_running_twice_duplicates_nothing_and_tops_incidents_up():
    seed(incidents=40, quiet=True)
    first = counts()
    seed(incidents=40, quiet=True)
    assert counts() == first
    assert first["Incident"] == 40
    seed(incidents=55, quiet=True)
    after = counts()
    assert after["Incident"] == 55
    assert {k: v for k, v in after.items() if k not in ("Incident", "IncidentComment")} == {
        k: v for k, v in first.items() if k not in ("Incident", "IncidentComment")}


def test_a_changed_demo_password_is_reset_by_the_next_run():
    seed(incidents=0, quiet=True)
    agent = User.objects.get(username="agent")
    agent.set_password("something-else-456")
    agent.save()
    seed(incidents=0, quiet=True)
    agent.refresh_from_db()
    assert agent.check_password("demo-pass-123")


def test_incidents_cover_every_state_with_consistent_milestones():
    seed(incidents=60, quiet=True)
    states = set(Incident.objects.values_list("state", flat=True))
    assert states == set(State.values)
    finished = Incident.objects.filter(state__in=[State.RESOLVED, State.CLOSED])
    assert not finished.filter(Q(resolved_at=None) | Q(resolution_code="") | Q(first_response_at=None)).exists()
    assert not Incident.objects.filter(state=State.CLOSED, closed_at=None).exists()
    assert not Incident.objects.exclude(state__in=[State.RESOLVED, State.CLOSED]).exclude(resolved_at=None).exists()
    assert not Incident.objects.filter(state=State.NEW).exclude(assignment_group=None).exists()
    assert not Incident.objects.filter(state=State.IN_PROGRESS, assignee=None).exists()
    assert not Incident.objects.filter(
        Q(acknowledged_at__lt=F("created_at")) | Q(resolved_at__lt=F("created_at"))
        | Q(closed_at__lt=F("resolved_at"))).exists()
    assert not IncidentComment.objects.filter(created_at__lt=F("incident__created_at")).exists()
    # The demo end user sees work in every state; the demo agent has a queue of their own.
    assert set(Incident.objects.filter(requester__username="enduser").values_list("state", flat=True)) == set(
        State.values)
    assert Incident.objects.filter(assignee__username="agent").exists()


def test_incidents_spread_over_months_in_both_languages_with_conversations():
    seed(incidents=120, quiet=True)
    span = Incident.objects.order_by("created_at")
    assert (span.last().created_at - span.first().created_at).days > 60
    numbers = list(Incident.objects.order_by("created_at").values_list("number", flat=True))
    assert numbers == sorted(numbers)  # numbers rise with creation time
    assert Incident.objects.filter(title__regex=r"[\u4e00-\u9fff]").exists()
    assert Incident.objects.exclude(title__regex=r"[\u4e00-\u9fff]").exists()
    with_notes = Incident.objects.annotate(
        public=Count("comments", filter=Q(comments__is_internal=False)),
        internal=Count("comments", filter=Q(comments__is_internal=True)))
    assert with_notes.filter(public__gt=0).exists() and with_notes.filter(internal__gt=0).exists()


def test_incidents_are_searchable_in_both_languages():
    seed(incidents=120, quiet=True)
    assert not Incident.objects.filter(search_vector=None).exists()
    assert Incident.objects.filter(search_vector=search_query("打印")).exists()
    assert Incident.objects.filter(search_vector=search_query("printer")).exists()


def test_bulk_search_vectors_equal_what_the_services_would_store():
    seed(incidents=40, quiet=True)
    vectors = dict(Incident.objects.values_list("pk", Concat("search_vector", Value("|"), "internal_search_vector",
                                                             output_field=TextField())))
    for pk in vectors:
        refresh_search(pk)
    assert dict(Incident.objects.values_list("pk", Concat("search_vector", Value("|"), "internal_search_vector",
                                                          output_field=TextField()))) == vectors


def test_the_command_prints_the_demo_accounts_unless_quiet():
    out = seed(incidents=5)
    assert "demo-pass-123" in out
    for username in EXPECTED_ACCOUNTS:
        assert username in out
    assert seed(incidents=5, quiet=True) == ""
