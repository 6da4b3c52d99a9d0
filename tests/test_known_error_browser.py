"""In headless Chromium: a lead writes a known error from the menu and publishes it; an agent on an incident of that
service sees it in the panel with its workaround and links it in one click (htmx swaps the panel), counted once."""

from incidents import services as incident_services
from known_errors.models import KnownError
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


def _open_known_errors(page):
    link = "[data-testid=menu-known-errors]"
    if not page.is_visible(link):  # inside the "Problems" dropdown once problems share the section
        page.click("nav button:has-text('Problems')")
    page.click(link)


def test_write_publish_and_link_from_an_incident(live_server, browser, transactional_db, settings):
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    incident = incident_services.create_incident(actor=cast.agent, requester=cast.end_user,
                                                 title="Outlook cannot send", service=cast.service)
    base = live_server.url

    lead, lead_errors = signed_in_page(browser, base, "lead")
    _open_known_errors(lead)
    lead.click("[data-testid=create-known-error]")
    lead.fill("#id_title", "Mail relay rejects large attachments")
    lead.fill("#id_symptoms", "Sending fails with *552*.")
    lead.select_option("#id_service", str(cast.service.pk))
    lead.click("[data-testid=save-known-error]")
    lead.click("[data-testid=action-publish]")
    assert "workaround" in lead.inner_text("main").lower()  # refused, naming the field
    lead.click("[data-testid=edit-known-error]")
    lead.fill("#id_workaround", "Share the file through **OneDrive** instead.")
    lead.click("[data-testid=save-known-error]")
    lead.click("[data-testid=action-publish]")
    lead.wait_for_selector("[data-testid=known-error-state]:has-text('Published')")
    known_error = KnownError.objects.get()

    desk, desk_errors = signed_in_page(browser, base, "agent")
    desk.goto(f"{base}/desk/incidents/{incident.number}/")
    match = desk.locator(f"[data-testid=known-error-match][data-number='{known_error.number}']")
    match.wait_for()
    assert "OneDrive" in match.locator("[data-testid=known-error-workaround] strong").inner_text()
    match.locator("[data-testid=link-known-error]").click()
    desk.wait_for_selector("[data-testid=known-error-linked]")
    assert KnownError.objects.get().link_count == 1
    desk.click(f"[data-testid=known-error-panel] a:has-text('{known_error.number}')")
    desk.wait_for_selector("[data-testid=known-error-incidents]")
    assert incident.number in desk.inner_text("[data-testid=known-error-incidents]")
    assert lead_errors == [] and desk_errors == []
