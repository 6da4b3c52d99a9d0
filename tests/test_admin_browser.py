"""In headless Chromium: an administrator creates a group and adds a member by clicking through the menu; a person
creates an API token on their preferences page and sees its secret once."""

from apitokens.services import find_token
from core.models import AssignmentGroup
from core.roles import Role
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import UserFactory

pytestmark = BROWSER_TESTS


def test_administrator_creates_a_group_and_adds_a_member(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="root", organisation=None, role=Role.ADMIN)
    newcomer = UserFactory(username="newcomer", first_name="Nora", last_name="Chen", organisation=None,
                           role=Role.AGENT)
    page, errors = signed_in_page(browser, live_server.url, "root")
    page.click("[data-testid=nav-administration]")
    page.click("[data-testid=admin-groups]")
    page.click("[data-testid=admin-create]")
    page.fill("#id_name", "Database team")
    page.fill("#id_email", "dba@example.com")
    page.click("[data-testid=admin-form] button[type=submit]")
    page.wait_for_selector("[data-testid=group-members]")
    assert "No members yet." in page.inner_text("[data-testid=group-members]")
    page.select_option("#id_user", label="Nora Chen")
    page.click("[data-testid=member-add]")
    page.wait_for_selector("[data-testid=group-members] >> text=newcomer")
    group = AssignmentGroup.objects.get(name="Database team")
    assert list(group.members.all()) == [newcomer]
    assert errors == []


def test_person_creates_a_token_and_sees_it_once(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    person = UserFactory(username="requester", role=Role.END_USER)
    page, errors = signed_in_page(browser, live_server.url, "requester")
    page.click("[data-testid=user-menu]")
    page.wait_for_selector("[data-testid=token-form]")  # the section loads with htmx
    page.fill("[data-testid=token-form] #id_name", "My laptop")
    page.uncheck("[data-testid=token-form] input[name=scopes][value=write]")
    page.click("[data-testid=token-form] button[type=submit]")
    key = page.inner_text("[data-testid=new-token-key]").strip()
    token = find_token(key)
    assert token.user == person and token.name == "My laptop" and "write" not in token.scopes
    assert "My laptop" in page.inner_text("[data-testid=api-tokens]")
    page.reload()
    page.wait_for_selector("[data-testid=token-row]")
    assert key not in page.content() and token.prefix in page.content()
    assert errors == []
