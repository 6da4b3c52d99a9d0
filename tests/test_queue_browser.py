"""In headless Chromium, as an agent uses the queue: the filter form (each state, a priority, searches in English and
Chinese, clearing), a filter error shown, saved views, bulk actions with one stale row, keyboard shortcuts, and the
layout at 1366 × 768."""

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.choices import Action, Impact, State, Urgency
from incidents.models import Incident
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


@pytest.fixture
def desk(transactional_db, settings):
    """The cast, and incidents in several states and priorities (one in Chinese)."""
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()

    def log(title, requester=cast.end_user, **kwargs):
        return services.create_incident(actor=cast.agent, requester=requester, title=title, channel="phone",
                                        assignment_group=cast.group, **kwargs)

    cast.printer = log("Printer jams on floor 3", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL)  # P1
    cast.vpn = log("VPN drops every ten minutes")
    cast.chinese = log("打印机无法打印", requester=cast.colleague)
    cast.mail = log("Mailbox full")
    services.transition_incident(cast.vpn, Action.TAKE, actor=cast.agent)
    services.transition_incident(cast.mail, Action.RESOLVE, actor=cast.agent, resolution_code="solved",
                                 resolution_notes="Archived old mail")
    return cast


def numbers(page):
    return sorted(page.eval_on_selector_all("[data-testid=queue-table] tbody tr[data-number]",
                                            "rows => rows.map(r => r.dataset.number)"))


def expect_rows(page, *incidents):
    wanted = sorted(i.number for i in incidents)
    page.wait_for_function(
        """wanted => JSON.stringify([...document.querySelectorAll('[data-testid=queue-table] tbody tr[data-number]')]
             .map(r => r.dataset.number).sort()) === JSON.stringify(wanted)""", arg=wanted, timeout=5000)
    assert numbers(page) == wanted


def test_the_filter_form_filters_as_a_person_uses_it(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent")
    page.wait_for_selector("[data-testid=queue-table]")
    expect_rows(page, desk.printer, desk.vpn, desk.chinese)  # open ones by default

    for value, label in State.choices:  # every state the select offers
        page.select_option("#id_state", value)
        expected = [i for i in Incident.objects.all() if i.state == value]
        expect_rows(page, *expected)
        for badge in page.locator("[data-testid=row-state]").all_inner_texts():
            assert badge == label
    page.select_option("#id_state", "any")
    expect_rows(page, desk.printer, desk.vpn, desk.chinese, desk.mail)
    page.select_option("#id_state", "")
    expect_rows(page, desk.printer, desk.vpn, desk.chinese)

    page.select_option("#id_priority", "1")
    expect_rows(page, desk.printer)
    page.select_option("#id_priority", "")
    page.check("#id_mine")
    expect_rows(page, desk.vpn)
    page.uncheck("#id_mine")
    expect_rows(page, desk.printer, desk.vpn, desk.chinese)

    page.click("#id_q")
    page.keyboard.type("printer")
    expect_rows(page, desk.printer)
    page.fill("#id_q", "")
    page.keyboard.type("打印")
    expect_rows(page, desk.chinese)
    page.fill("#id_q", "")
    page.keyboard.press("Enter")
    expect_rows(page, desk.printer, desk.vpn, desk.chinese)
    page.reload()  # the address htmx pushed shows the same table again
    expect_rows(page, desk.printer, desk.vpn, desk.chinese)
    assert errors == []


def test_a_filter_error_is_shown_not_swallowed(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent")
    page.wait_for_selector("[data-testid=queue-table]")
    desk.agent2.is_active = False  # leaves the desk after the page was loaded: the choice is no longer valid
    desk.agent2.save()
    page.select_option("#id_assignee", str(desk.agent2.pk))
    expect(page.locator("[data-testid=filter-errors]")).to_contain_text("Assignee")
    assert page.locator("[data-testid=queue-table] tbody tr[data-number]").count() == 0
    assert errors == []


def test_saved_views_built_in_save_choose_delete(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent")
    page.click("[data-testid=view-my-open]")
    expect_rows(page, desk.vpn)
    page.click("text=Open incidents")
    page.select_option("#id_priority", "1")
    expect_rows(page, desk.printer)
    page.click("[data-testid=save-view] summary")
    page.fill("#id_view_name", "Urgent ones")
    page.select_option("#id_shared_with", str(desk.group.pk))
    page.uncheck("[data-testid=save-view-form] input[value=service]")
    page.click("[data-testid=save-view-form] button[type=submit]")
    expect_rows(page, desk.printer)
    assert "Service" not in page.locator("[data-testid=queue-table] thead").inner_text()

    other, _errors = signed_in_page(browser, live_server.url, "agent2")  # a member of the group it was shared with
    other.click("[data-testid=saved-view] a:has-text('Urgent ones')")
    expect_rows(other, desk.printer)
    assert other.locator("[data-testid=saved-view] [data-testid=delete-view]").count() == 0  # not theirs

    page.click("text=Open incidents")
    page.click("[data-testid=saved-view] [data-testid=delete-view]")
    expect(page.locator("[data-testid=saved-view]")).to_have_count(0)
    assert errors == []


def test_bulk_assign_with_one_stale_row(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "lead")
    page.wait_for_selector("[data-testid=queue-table]")
    services.update_incident(desk.chinese, actor=desk.agent, version=desk.chinese.version,
                             urgency=Urgency.HIGH)  # someone else changes it after the lead's page loaded
    for incident in (desk.printer, desk.chinese):
        page.check(f"tr[data-number='{incident.number}'] input[name=rows]")
    page.select_option("#id_bulk_action", "assign")
    page.select_option("#id_bulk_group", str(desk.group.pk))
    page.select_option("#id_bulk_assignee", str(desk.agent2.pk))
    page.click("[data-testid=bulk-apply]")
    results = page.locator("[data-testid=bulk-results]")
    expect(results).to_contain_text("1 of 2 incidents changed.")
    assert results.locator(f"li[data-number='{desk.printer.number}']").get_attribute("data-status") == "200"
    assert results.locator(f"li[data-number='{desk.chinese.number}']").get_attribute("data-status") == "409"
    assert Incident.objects.get(pk=desk.printer.pk).assignee == desk.agent2
    assert Incident.objects.get(pk=desk.chinese.pk).assignee is None
    expect(page.locator(f"tr[data-number='{desk.printer.number}'] [data-testid=row-assignee]")).to_have_text(
        str(desk.agent2))
    assert errors == []


def test_keyboard_shortcuts(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent2")
    page.wait_for_selector("[data-testid=queue-table]")
    page.keyboard.press("?")
    expect(page.locator("[data-testid=shortcut-help]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=shortcut-help]")).to_be_hidden()
    order = page.eval_on_selector_all("[data-testid=queue-table] tbody tr[data-number]",
                                      "rows => rows.map(r => r.dataset.number)")  # newest first
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("x")
    assert page.is_checked(f"tr[data-number='{order[0]}'] input[name=rows]")
    assert not page.is_checked(f"tr[data-number='{order[1]}'] input[name=rows]")
    page.keyboard.press("j")
    page.keyboard.press("t")  # take the checked one
    expect(page.locator("[data-testid=bulk-results]")).to_contain_text("1 of 1 incidents changed.")
    assert Incident.objects.get(number=order[0]).assignee == desk.agent2
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "id_q"
    assert errors == []


@pytest.mark.parametrize("username,language", [("agent", "en"), ("lead", "en"), ("manager", "en"), ("admin", "en"),
                                               ("manager", "zh-hans")])
def test_the_queue_fits_1366_by_768(live_server, browser, desk, username, language):
    person = getattr(desk, username)
    person.language = language
    person.first_name, person.last_name = "Alexandria", "Montgomery-Worthington"  # a long name in the menu
    person.save()
    for n in range(20):
        services.create_incident(actor=desk.agent, requester=desk.outsider, channel="phone",
                                 title=f"Long title number {n} about a printer that will not print double-sided",
                                 assignment_group=desk.other_group, service=desk.service)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    from tests.browser import log_in

    log_in(page, live_server.url, username)
    page.wait_for_selector("[data-testid=queue-table]")
    table_right = page.evaluate("document.querySelector('[data-testid=queue-table]').getBoundingClientRect().right")
    assert table_right <= 1366, table_right
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    boxes = page.eval_on_selector_all(
        "#mainnav .nav-link", "links => links.map(l => [l.textContent.trim(), l.getBoundingClientRect().top, "
        "l.getBoundingClientRect().height])")
    assert len({round(top) for _text, top, _height in boxes}) == 1, boxes  # one line: the menu does not wrap
    assert len({round(height) for _text, _top, height in boxes}) == 1, boxes  # nor does any entry's text
