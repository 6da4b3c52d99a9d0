"""In headless Chromium, an agent on an incident page: picks a reply template (its text lands in the message, in the
requester's language), enters time spent with the reply, watches the incident and links another one by number."""

import pytest
from playwright.sync_api import expect

from incidents import services
from records.models import RecordLink, ReplyTemplate, TimeEntry, Watcher
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


@pytest.fixture
def desk(transactional_db, settings):
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    cast.end_user.first_name, cast.end_user.last_name, cast.end_user.language = "Wei", "Li", "zh-hans"
    cast.end_user.save()
    cast.incident = services.create_incident(actor=cast.agent, requester=cast.end_user, title="Printer jams",
                                             channel="phone", assignment_group=cast.group)
    cast.other = services.create_incident(actor=cast.agent, requester=cast.colleague, title="Printer offline",
                                          channel="phone", assignment_group=cast.group)
    ReplyTemplate.objects.create(name="Greeting", group=cast.group, body_en="Hello {requester}, about {number}:",
                                 body_zh="{requester}您好，关于 {number}：")
    return cast


def test_an_agent_uses_the_panels_and_the_reply_form(live_server, browser, desk):
    page, errors = signed_in_page(browser, live_server.url, "agent")
    page.goto(f"{live_server.url}/desk/incidents/{desk.incident.number}/")

    message = page.locator("#id_body")
    message.fill("First line.")
    page.get_by_label("Insert a reply template").select_option(label="Greeting (Service desk)")
    expect(message).to_have_value(f"First line.\nWei Li您好，关于 {desk.incident.number}：")
    expect(page.get_by_label("Insert a reply template")).to_have_value("")
    message.press("End")
    message.type(" 已更换硒鼓。")
    page.get_by_label("Time spent (minutes)").fill("20")
    page.locator("[data-testid=comment-form] button[type=submit]").click()
    expect(page.locator("[data-testid=conversation]")).to_contain_text("已更换硒鼓")
    expect(page.locator("[data-testid=time-total]")).to_have_text("20 minutes")
    assert TimeEntry.objects.get().minutes == 20

    page.get_by_label("Time spent (minutes)").fill("a lot")
    message.fill("Still on it.")
    page.locator("[data-testid=comment-form] button[type=submit]").click()
    expect(page.locator("[data-field=minutes]")).to_contain_text("whole number")
    assert TimeEntry.objects.count() == 1

    page.locator("[data-testid=watch]").click()
    expect(page.locator("[data-testid=unwatch]")).to_be_visible()
    assert Watcher.objects.filter(user=desk.agent).exists()

    page.get_by_label("Record number").fill("INC-999999")
    page.locator("[data-testid=add-link-form] button[type=submit]").click()
    expect(page.locator(".alert-danger")).to_contain_text("Record number: No record INC-999999.")
    page.get_by_label("Link", exact=True).select_option("caused_by")
    page.get_by_label("Record number").fill(desk.other.number.lower())
    page.locator("[data-testid=add-link-form] button[type=submit]").click()
    expect(page.locator("[data-testid=link-list]")).to_contain_text(desk.other.number)
    assert RecordLink.objects.filter(link_type="caused_by").count() == 1
    assert errors == []
