"""In headless Chromium: the queue's bulk bar refused (nothing checked, no action chosen) says why in the page, also
right after a search refreshed the table under it (the crawler's flaky "answered 400 and the page shows no reason")."""

import pytest
from playwright.sync_api import expect

from incidents import services
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


@pytest.fixture
def desk(transactional_db, settings):
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    for title in ("打印机卡纸", "Printer offline"):
        services.create_incident(actor=cast.agent, requester=cast.end_user, title=title, channel="phone",
                                 assignment_group=cast.group)
    return cast


def test_a_refused_bulk_change_says_why(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent")
    page.wait_for_selector("[data-testid=queue-table]")
    page.locator("#id_q").fill("打印机")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=queue-table] tbody tr[data-number]')"
                           ".length === 1")
    page.locator("#id_bulk_comment").fill("打印机")
    with page.expect_response(lambda r: r.url.endswith("/desk/incidents/bulk/")) as answer:
        page.locator("[data-testid=bulk-apply]").click()
    assert answer.value.status == 400
    alert = page.locator("#queue-table [role=alert]")
    expect(alert.first).to_be_visible()
    expect(page.locator("#queue-table")).to_contain_text("Check at least one incident.")
    expect(page.locator("#queue-table")).to_contain_text("Choose what to do with the checked incidents.")
    assert errors == []
