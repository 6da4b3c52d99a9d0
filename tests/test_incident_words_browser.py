"""In headless Chromium: the desk logs a phone call, finding the requester by typing; "wait for user" asks its
question, the requester's reopen says why, and a closed incident's portal page still shows its resolution."""

from incidents.models import Incident
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


def test_picker_question_reason_and_resolution(live_server, browser, transactional_db, settings):
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    cast.end_user.first_name, cast.end_user.last_name, cast.end_user.phone = "Wei", "Zhang", "+86 138 0013 8000"
    cast.end_user.save()
    base = live_server.url

    desk, desk_errors = signed_in_page(browser, base, "agent")
    desk.click("nav button:has-text('Incidents')")  # the menu's Incidents section opens
    desk.click("nav >> text=Log an incident")
    desk.click("#id_requester_search")
    desk.keyboard.type("0013 8000")  # the caller gives their phone number
    desk.wait_for_selector("[data-testid=picker-results] [data-person-id]")
    options = desk.locator("[data-testid=picker-results] [data-person-id]")
    assert options.count() == 1 and "Wei Zhang" in options.first.inner_text()
    desk.fill("#id_requester_search", "")
    desk.keyboard.type("Acme")  # or their organisation: everyone of it is listed
    desk.wait_for_function(
        "() => document.querySelectorAll('[data-testid=picker-results] [data-person-id]').length == 2")
    desk.click("[data-testid=picker-results] [data-person-id]:has-text('Wei Zhang')")
    assert "Wei Zhang" in desk.inner_text("[data-testid=picker-chosen]")
    desk.fill("#id_title", "Cannot print to floor 3")
    desk.select_option("#id_assignment_group", str(cast.group.pk))
    desk.click("[data-testid=create-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=incident-state]")
    incident = Incident.objects.get()
    assert (incident.requester, incident.channel) == (cast.end_user, "phone")

    desk.click("[data-testid=action-take]")
    desk.fill("#id_pend_user_comment", "Which printer do you use?")
    desk.click("[data-testid=action-pend_user]")
    assert desk.inner_text("[data-testid=incident-state]") == "Pending on user"
    assert "Which printer do you use?" in desk.inner_text("[data-testid=conversation]")

    portal, portal_errors = signed_in_page(browser, base, "enduser")
    portal.goto(f"{base}/portal/incidents/{incident.number}/")
    assert "Which printer do you use?" in portal.inner_text("[data-testid=conversation]")
    portal.fill("#id_body", "The one by the window.")
    portal.click("[data-testid=reply-form] button[type=submit]")
    assert portal.inner_text("[data-testid=incident-state]") == "In progress"

    desk.reload()
    desk.select_option("#id_resolution_code", "solved")
    desk.fill("#id_resolution_notes", "Replaced the fuser unit")
    desk.click("[data-testid=resolve-form] button[type=submit]")
    portal.reload()
    portal.fill("#id_reopen_reason", "It still jams on double-sided jobs.")
    portal.click("[data-testid=portal-action-reopen]")
    assert portal.inner_text("[data-testid=incident-state]") == "In progress"
    assert "It still jams on double-sided jobs." in portal.inner_text("[data-testid=conversation]")

    desk.reload()
    desk.select_option("#id_resolution_code", "solved")
    desk.fill("#id_resolution_notes", "Replaced the duplex unit too")
    desk.click("[data-testid=resolve-form] button[type=submit]")
    portal.reload()
    portal.click("[data-testid=portal-action-close]")
    assert portal.inner_text("[data-testid=incident-state]") == "Closed"
    assert "Replaced the duplex unit too" in portal.inner_text("[data-testid=resolution]")
    assert desk_errors == [] and portal_errors == []
