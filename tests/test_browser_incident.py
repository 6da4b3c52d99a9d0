"""End to end in headless Chromium: an end user reports, an agent resolves, the end user confirms."""

from core.roles import Role
from incidents.choices import State
from incidents.models import Incident
from tests.browser import BROWSER_TESTS, log_in
from tests.factories import AssignmentGroupFactory, OrganisationFactory, UserFactory

pytestmark = BROWSER_TESTS


def test_report_resolve_confirm(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = OrganisationFactory(name="Acme", code="acme")
    UserFactory(username="alice", organisation=org, role=Role.END_USER)
    agent = UserFactory(username="bob", organisation=None, role=Role.AGENT)
    AssignmentGroupFactory(name="Service desk").members.add(agent)
    base = live_server.url

    requester = browser.new_context().new_page()
    log_in(requester, base, "alice")
    requester.click("[data-testid=report-incident]")
    requester.fill("#id_title", "Printer on floor 3 <b>jams</b>")
    requester.fill("#id_description", "It shows **error 42**")
    requester.select_option("#id_urgency", "2")
    requester.click("[data-testid=report-form] button[type=submit]")
    requester.wait_for_selector("[data-testid=incident-state]")
    assert requester.inner_text("[data-testid=incident-title]") == "Printer on floor 3 <b>jams</b>"
    assert requester.inner_text("[data-testid=incident-state]") == "New"
    number = Incident.objects.get().number

    desk = browser.new_context().new_page()
    log_in(desk, base, "bob")
    desk.wait_for_selector("[data-testid=queue-table]")
    desk.fill("#id_q", number)
    desk.wait_for_selector(f"[data-testid=queue-table] a:has-text('{number}')")
    desk.click(f"[data-testid=queue-table] a:has-text('{number}')")
    desk.click("[data-testid=action-take]")
    assert desk.inner_text("[data-testid=incident-state]") == "In progress"
    desk.fill("#id_body", "We replaced the **roller**.")
    desk.click("[data-testid=comment-form] button[type=submit]")
    desk.select_option("#id_resolution_code", "solved")
    desk.fill("#id_resolution_notes", "Roller replaced")
    desk.click("[data-testid=resolve-form] button[type=submit]")
    assert desk.inner_text("[data-testid=incident-state]") == "Resolved"
    desk.wait_for_selector("[data-testid=history] td:has-text('Resolve')")

    requester.reload()
    assert requester.inner_text("[data-testid=incident-state]") == "Resolved"
    assert "roller" in requester.inner_text("[data-testid=conversation]")
    assert requester.inner_text("[data-testid=incident-group]") == "Service desk"
    requester.click("[data-testid=portal-action-close]")
    assert requester.inner_text("[data-testid=incident-state]") == "Closed"
    assert Incident.objects.get().state == State.CLOSED
