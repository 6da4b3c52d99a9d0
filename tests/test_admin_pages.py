"""The desk's administration pages: administrators only; every change through a service, with field errors, stale
edits refused (409) and the audit trail kept; the Django admin left to superusers."""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from apitokens import services as token_services
from cmdb.models import AttributeDefinition, CIClass
from core.models import AssignmentGroup, Organisation, User
from core.roles import Role, roles_of
from servicedesk.models import Category, Service
from tests.api_mixins import make_incident
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SECTIONS = ["users", "groups", "organisations", "services", "categories", "ci-classes", "tokens"]


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def list_url(section):
    return reverse("administration:list", kwargs={"section": section})


def edit_url(section, pk):
    return reverse("administration:edit", kwargs={"section": section, "pk": pk})


def create_url(section):
    return reverse("administration:create", kwargs={"section": section})


def signs_in(username, password):
    """Sign in through the login form, as a person does (django-axes needs the request)."""
    client = Client()
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session  # signed in, not only redirected (allauth sends inactive people away)


def stamp_on(response):
    return re.search(r'name="stamp" value="([0-9a-f]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("section", SECTIONS)
def test_only_administrators_enter(cast, section):
    urls = [reverse("administration:index"), list_url(section)]
    if section != "tokens":
        urls.append(create_url(section))
    for url in urls:
        assert Client().get(url).status_code == 302  # anonymous → login page
        for person in (cast.end_user, cast.agent, cast.lead, cast.manager):
            assert client_for(person).get(url).status_code == 403, (url, person.username)
        assert client_for(cast.admin).get(url).status_code == 200, url


def test_writes_are_refused_to_non_administrators(cast):
    for person in (cast.end_user, cast.agent, cast.manager):
        response = client_for(person).post(create_url("organisations"), {"name": "Initech", "code": "initech"})
        assert response.status_code == 403
        response = client_for(person).post(reverse("administration:group-member-add", args=[cast.group.pk]),
                                           {"user": cast.end_user.pk})
        assert response.status_code == 403
    assert not Organisation.objects.filter(code="initech").exists()
    assert not cast.group.members.filter(pk=cast.end_user.pk).exists()


def test_menu_shows_administration_to_administrators_only(cast):
    url = reverse("administration:index")
    assert url in client_for(cast.admin).get(reverse("preferences")).content.decode()
    assert url not in client_for(cast.manager).get(reverse("preferences")).content.decode()


def test_django_admin_is_for_superusers_only(cast):
    assert client_for(cast.admin).get("/admin/").status_code == 302  # to the admin's login page
    cast.manager.is_staff = True
    cast.manager.save()
    assert client_for(cast.manager).get("/admin/").status_code == 302
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert client_for(root).get("/admin/").status_code == 200


def test_inviting_a_person_sets_up_a_usable_account(cast, smtp_settings):
    response = client_for(cast.admin).post(create_url("users"), {
        "username": "newbie", "email": "newbie@example.com", "first_name": "New", "last_name": "Bie",
        "organisation": cast.org.pk, "language": "zh-hans", "time_zone": "Europe/Berlin", "roles": [Role.AGENT],
    })
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert (newbie.organisation, newbie.language, newbie.time_zone) == (cast.org, "zh-hans", "Europe/Berlin")
    assert roles_of(newbie) == {Role.AGENT} and not newbie.has_usable_password()

    from core import outbox

    outbox.relay()  # what a worker does once the account committed (core.outbox)
    [mail] = smtp_settings.received
    assert mail["To"] == "newbie@example.com"
    body = mail.get_payload(decode=True).decode()
    link = re.search(r"https?://\S+(/accounts/password/set/\S+/)", body).group(1)
    browser = Client()
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    done = browser.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                        {"new_password1": "A-long-new-pass-42", "new_password2": "A-long-new-pass-42"})
    assert done.status_code == 302
    signed_in = Client()
    assert signed_in.post(reverse("login"), {"username": "newbie", "password": "A-long-new-pass-42"}).status_code == 302
    assert signed_in.get(reverse("incidents:queue")).status_code == 200  # an agent's desk


def test_invitation_with_a_taken_username_or_email_names_the_field(cast):
    admin = client_for(cast.admin)
    response = admin.post(create_url("users"), {"username": "agent", "email": "fresh@example.com",
                                                "language": "en", "roles": [Role.END_USER]})
    assert response.status_code == 400 and "username" in response.context["form"].errors
    response = admin.post(create_url("users"), {"username": "fresh", "email": cast.agent.email,
                                                "language": "en", "roles": [Role.END_USER]})
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert not User.objects.filter(username="fresh").exists()


def test_deactivating_blocks_login_sessions_and_api(cast):
    _token, key = token_services.create_token(actor=cast.agent, name="x", scopes=["read"])
    agent_session = client_for(cast.agent)
    response = client_for(cast.admin).post(reverse("administration:user-active", args=[cast.agent.pk]),
                                           {"active": "0"})
    assert response.status_code == 302
    assert not signs_in("agent", PASSWORD)
    assert agent_session.get(reverse("incidents:queue")).status_code == 302  # signed out
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/me/").status_code == 401

    client_for(cast.admin).post(reverse("administration:user-active", args=[cast.agent.pk]), {"active": "1"})
    assert signs_in("agent", PASSWORD)
    assert api.get("/api/v1/me/").status_code == 200


def test_administrators_cannot_lock_themselves_out(cast):
    admin = client_for(cast.admin)
    response = admin.post(reverse("administration:user-active", args=[cast.admin.pk]), {"active": "0"})
    assert response.status_code == 409
    response = admin.get(edit_url("users", cast.admin.pk))
    data = {"stamp": stamp_on(response), "email": cast.admin.email, "language": "en", "roles": [Role.AGENT]}
    response = admin.post(edit_url("users", cast.admin.pk), data)
    assert response.status_code == 400 and "roles" in response.context["form"].errors
    cast.admin.refresh_from_db()
    assert cast.admin.is_active and Role.ADMIN in roles_of(User.objects.get(pk=cast.admin.pk))


def test_group_membership_changes_reflect_in_assignment_choices(cast):
    incident = make_incident(cast)
    newcomer = UserFactory(username="newcomer", organisation=None, role=Role.AGENT)
    assign_url = reverse("incidents:assign", args=[incident.number])

    def choices():
        return set(client_for(cast.lead).get(assign_url).context["form"].fields["assignee"].queryset)

    assert newcomer not in choices()
    admin = client_for(cast.admin)
    response = admin.post(reverse("administration:group-member-add", args=[cast.group.pk]), {"user": newcomer.pk})
    assert response.status_code == 302
    assert newcomer in choices()
    admin.post(reverse("administration:group-member-remove", args=[cast.group.pk, newcomer.pk]))
    assert newcomer not in choices()


def test_the_lead_cannot_be_removed_and_a_new_lead_joins_the_group(cast):
    admin = client_for(cast.admin)
    response = admin.post(reverse("administration:group-member-remove", args=[cast.group.pk, cast.lead.pk]))
    assert response.status_code == 409
    assert cast.group.members.filter(pk=cast.lead.pk).exists()
    response = admin.post(create_url("groups"), {"name": "Database team", "lead": cast.agent.pk, "is_active": "on"})
    assert response.status_code == 302
    assert AssignmentGroup.objects.get(name="Database team").members.filter(pk=cast.agent.pk).exists()


def test_stale_edit_is_409_and_changes_nothing(cast):
    admin = client_for(cast.admin)
    stamp = stamp_on(admin.get(edit_url("groups", cast.group.pk)))
    other = client_for(UserFactory(username="admin2", organisation=None, role=Role.ADMIN))
    other_stamp = stamp_on(other.get(edit_url("groups", cast.group.pk)))
    assert other.post(edit_url("groups", cast.group.pk), {
        "stamp": other_stamp, "name": "Front desk", "lead": cast.lead.pk, "is_active": "on"}).status_code == 302
    response = admin.post(edit_url("groups", cast.group.pk), {
        "stamp": stamp, "name": "Help desk", "lead": cast.lead.pk, "is_active": "on"})
    assert response.status_code == 409
    assert AssignmentGroup.objects.get(pk=cast.group.pk).name == "Front desk"


def test_bad_input_is_shown_on_the_field_and_saves_nothing(cast):
    admin = client_for(cast.admin)
    response = admin.post(create_url("organisations"), {"name": "Acme again", "code": "acme"})
    assert response.status_code == 400 and "code" in response.context["form"].errors
    assert 'data-field="code"' in response.content.decode()
    response = admin.post(create_url("categories"), {"name": ""})
    assert response.status_code == 400 and "name" in response.context["form"].errors
    assert not Organisation.objects.filter(name="Acme again").exists()


def test_lists_search_and_paginate(cast):
    for number in range(30):
        OrganisationFactory(name=f"Branch {number:02}", code=f"branch-{number:02}")
    admin = client_for(cast.admin)
    first = admin.get(list_url("organisations")).content.decode()
    assert "Acme" in first and "Branch 29" not in first
    assert edit_url("organisations", cast.org.pk) in first and create_url("organisations") in first
    second = admin.get(list_url("organisations") + "?page=2").content.decode()
    assert "Branch 29" in second
    found = admin.get(list_url("organisations") + "?q=globex").content.decode()
    assert "Globex" in found and "Acme" not in found


def test_changes_are_audited_with_the_administrator(cast):
    admin = client_for(cast.admin)
    admin.post(reverse("administration:group-member-add", args=[cast.group.pk]), {"user": cast.manager.pk})
    admin.post(create_url("services"), {"name": "VPN", "support_group": cast.group.pk, "is_active": "on"})
    membership_events = apps.get_model("core", "AssignmentGroupMembershipEvent").objects
    joined = membership_events.get(pgh_label="member.add", assignmentgroup=cast.group, user=cast.manager)
    assert joined.pgh_context.metadata == {"user": cast.admin.pk, "action": "add_group_member"}
    created = apps.get_model("servicedesk", "ServiceEvent").objects.get(name="VPN", pgh_label="insert")
    assert created.pgh_context.metadata["user"] == cast.admin.pk
    assert Service.objects.filter(name="VPN", support_group=cast.group).exists()


def test_categories_and_services_are_edited(cast):
    admin = client_for(cast.admin)
    admin.post(create_url("categories"), {"name": "Hardware", "is_active": "on"})
    hardware = Category.objects.get(name="Hardware")
    response = admin.post(create_url("categories"), {"name": "Printers", "parent": hardware.pk, "is_active": "on"})
    assert response.status_code == 302
    stamp = stamp_on(admin.get(edit_url("categories", hardware.pk)))
    printers = Category.objects.get(name="Printers")
    response = admin.post(edit_url("categories", hardware.pk), {"stamp": stamp, "name": "Hardware",
                                                                 "parent": printers.pk})
    assert response.status_code == 400 and "parent" in response.context["form"].errors
    stamp = stamp_on(admin.get(edit_url("services", cast.service.pk)))
    admin.post(edit_url("services", cast.service.pk), {"stamp": stamp, "name": "E-mail", "description": "Mail"})
    assert not Service.objects.get(pk=cast.service.pk).is_active


def test_ci_classes_and_their_attributes(cast):
    admin = client_for(cast.admin)
    response = admin.post(create_url("ci-classes"), {"name": "Printer", "code": "printer", "colour": "#112233"})
    assert response.status_code == 302
    printer = CIClass.objects.get(code="printer")
    add = reverse("administration:attribute-add", args=[printer.pk])
    response = admin.post(add, {"key": "paper", "label": "Paper", "type": "choice", "choices": "", "position": 1})
    assert response.status_code == 400 and "choices" in response.context["attribute_form"].errors
    response = admin.post(add, {"key": "paper", "label": "Paper", "type": "choice", "choices": "A4\nA3",
                                "position": 1})
    assert response.status_code == 302
    definition = AttributeDefinition.objects.get(ci_class=printer)
    assert definition.choices == ["A4", "A3"]
    admin.post(reverse("administration:attribute-delete", args=[printer.pk, definition.pk]))
    assert not AttributeDefinition.objects.filter(ci_class=printer).exists()


def test_administrators_revoke_anyones_token(cast):
    token, _key = token_services.create_token(actor=cast.agent, name="agent script", scopes=["read"])
    admin = client_for(cast.admin)
    assert "agent script" in admin.get(list_url("tokens")).content.decode()
    admin.post(reverse("administration:token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_by == cast.admin


def test_preferences_page_makes_a_token_shown_once(cast):
    client = client_for(cast.end_user)
    page = client.get(reverse("preferences")).content.decode()
    assert reverse("api-tokens") in page
    response = client.post(reverse("api-tokens"), {"name": "my laptop", "scopes": ["read", "incidents"],
                                                   "expires_in_days": 30})
    html = response.content.decode()
    key = re.search(r'data-testid="new-token-key">(itsm_\S+)</code>', html).group(1)
    assert token_services.find_token(key).user == cast.end_user
    again = client.get(reverse("api-tokens")).content.decode()
    assert "my laptop" in again and key not in again
    response = client.post(reverse("api-tokens"), {"name": "", "scopes": ["read"], "expires_in_days": 30})
    assert response.status_code == 400 and "name" in response.context["token_form"].errors


def test_nobody_revokes_someone_elses_token_from_their_preferences(cast):
    token, _key = token_services.create_token(actor=cast.agent, name="x", scopes=["read"])
    assert client_for(cast.agent2).post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("section", SECTIONS)
def test_a_list_page_costs_the_same_queries_for_more_rows(cast, section):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(cast.admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(list_url(section)).status_code == 200
        return len(captured)

    def add_rows(numbers):
        for number in numbers:
            person = UserFactory(username=f"extra{number}", role=Role.AGENT)
            token_services.create_token(actor=person, name=f"t{number}", scopes=["read"])
            group = AssignmentGroup.objects.create(name=f"Extra {number}", lead=person)
            group.members.add(person)
            Service.objects.create(name=f"Extra {number}", support_group=group)
            parent = Category.objects.create(name=f"Extra {number}", default_group=group)
            Category.objects.create(name=f"Sub {number}", parent=parent)
            CIClass.objects.create(name=f"Extra {number}", code=f"extra-{number}")

    add_rows([0])  # every list has a row, so the page query runs in both measurements
    before = queries()
    add_rows([1, 2, 3])
    assert queries() == before


def test_an_invitation_the_mail_server_refused_leaves_once_it_takes_mail(cast, smtp_settings):
    from django.utils import timezone

    from core import outbox

    smtp_settings.handler.refuse = True
    admin = client_for(cast.admin)
    response = admin.post(create_url("users"), {"username": "later", "email": "later@example.com",
                                                "language": "en", "roles": [Role.END_USER]})
    assert response.status_code == 302  # the account stands; its mail waits in the outbox
    later = User.objects.get(username="later")
    assert not smtp_settings.received
    assert outbox.pending().filter(key__startswith=f"invitation:{later.pk}:").count() == 1

    smtp_settings.handler.refuse = False
    outbox.pending().update(available_at=timezone.now())  # due now, not after its pause
    outbox.relay()
    [mail] = smtp_settings.received
    assert mail["To"] == "later@example.com"
    outbox.relay()
    assert len(smtp_settings.received) == 1  # once

    assert admin.post(reverse("administration:user-invitation", args=[later.pk])).status_code == 302
    outbox.relay()
    assert len(smtp_settings.received) == 2  # sent again on request: a mail of its own


def test_pages_show_times_in_the_time_zone_an_administrator_set(cast):
    from datetime import UTC, datetime

    token, _key = token_services.create_token(actor=cast.agent, name="x", scopes=["read"])
    token.last_used_at = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    token.save(update_fields=["last_used_at"])
    agent = client_for(cast.agent)
    assert "8 p.m." in agent.get(reverse("api-tokens")).content.decode()  # the portal's zone: Asia/Shanghai
    admin = client_for(cast.admin)
    stamp = stamp_on(admin.get(edit_url("users", cast.agent.pk)))
    response = admin.post(edit_url("users", cast.agent.pk), {
        "stamp": stamp, "email": cast.agent.email, "language": "en", "time_zone": "Europe/Berlin",
        "roles": [Role.AGENT]})
    assert response.status_code == 302
    assert "1 p.m." in agent.get(reverse("api-tokens")).content.decode()


def test_every_edit_page_opens_for_administrators_only(cast):
    records = {
        "users": cast.agent, "groups": cast.group, "organisations": cast.org, "services": cast.service,
        "categories": Category.objects.create(name="Network"),
        "ci-classes": CIClass.objects.create(name="Server", code="server"),
    }
    AttributeDefinition.objects.create(ci_class=records["ci-classes"], key="cpu", label="CPU", type="integer")
    for section, record in records.items():
        url = edit_url(section, record.pk)
        response = client_for(cast.admin).get(url)
        assert response.status_code == 200 and 'name="stamp"' in response.content.decode(), section
        for person in (cast.end_user, cast.agent, cast.manager):
            assert client_for(person).get(url).status_code == 403, section
    assert client_for(cast.admin).get(edit_url("users", 999999)).status_code == 404
    assert client_for(cast.admin).get(list_url("no-such-section")).status_code == 404


def test_the_people_list_filters_by_role_and_state_and_keeps_them_across_pages(cast):
    for number in range(30):
        UserFactory(username=f"agent{number:02}", organisation=None, role=Role.AGENT)
    cast.agent2.is_active = False
    cast.agent2.save()
    admin = client_for(cast.admin)
    agents = admin.get(list_url("users") + "?role=agent&is_active=true")
    names = [obj.username for obj, _cells in agents.context["rows"]]
    assert names[:2] == ["agent", "agent00"] and "agent2" not in names and "enduser" not in names
    assert "role=agent&amp;is_active=true&amp;page=2" in agents.content.decode()
    second = admin.get(list_url("users") + "?role=agent&is_active=true&page=2")
    assert [obj.username for obj, _cells in second.context["rows"]] == [f"agent{n}" for n in range(24, 30)]
    assert admin.get(list_url("users") + "?role=nonsense").status_code == 200


def test_end_users_do_not_join_or_lead_groups(cast):
    admin = client_for(cast.admin)
    response = admin.post(reverse("administration:group-member-add", args=[cast.group.pk]), {"user": cast.end_user.pk})
    assert response.status_code == 400
    assert not cast.group.members.filter(pk=cast.end_user.pk).exists()
    from core.services import add_group_member

    with pytest.raises(ValidationError) as refused:
        add_group_member(cast.group, actor=cast.admin, user=cast.end_user)
    assert "user" in refused.value.message_dict
    response = admin.post(create_url("groups"), {"name": "Odd team", "lead": cast.end_user.pk, "is_active": "on"})
    assert response.status_code == 400 and "lead" in response.context["form"].errors


def test_a_token_section_error_shows_on_the_field_inside_the_page(cast):
    client = client_for(cast.agent)
    response = client.post(reverse("api-tokens"), {"name": "x", "scopes": ["incidents"], "expires_in_days": 5},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only successful answers: the fragment carries the error
    assert 'data-field="scopes"' in response.content.decode()
    assert not cast.agent.api_tokens.exists()
