"""In headless Chromium: an administrator adds rows to a calendar's weekly periods with "Add a row" and saves it."""



from core.roles import Role
from sla.models import BusinessCalendar
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import UserFactory

pytestmark = BROWSER_TESTS


def test_a_calendar_gets_a_split_saturday_through_added_rows(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="root", organisation=None, role=Role.ADMIN)
    page, errors = signed_in_page(browser, live_server.url, "root")
    page.goto(f"{live_server.url}/sla/calendars/new/")
    rows = page.locator("[data-rows=periods] tbody tr")
    offered = rows.count()  # the office week, Monday to Friday, and a few blank rows
    page.fill("#id_name", "Weekend desk")
    page.fill("#id_time_zone", "Asia/Shanghai")
    page.click("[data-add-row=periods]")
    page.click("[data-add-row=periods]")
    assert rows.count() == offered + 2
    for index, (start, end) in ((offered, ("09:00", "12:00")), (offered + 1, ("13:00", "17:00"))):
        page.select_option(f"[name=periods-{index}-weekday]", "5")
        page.fill(f"[name=periods-{index}-start_time]", start)
        page.fill(f"[name=periods-{index}-end_time]", end)
    page.click("[data-testid=calendar-form] button[type=submit]")
    page.wait_for_selector("[data-testid=calendar-name]")
    calendar = BusinessCalendar.objects.get(name="Weekend desk")
    assert page.url.endswith(f"/sla/calendars/{calendar.pk}/")
    saturday = sorted((p.start_time.strftime("%H:%M"), p.end_time.strftime("%H:%M"))
                      for p in calendar.periods.filter(weekday=5))
    assert saturday == [("09:00", "12:00"), ("13:00", "17:00")]
    assert calendar.periods.count() == 7
    table = page.inner_text("[data-testid=weekly-periods]")
    assert "09:00–12:00" in table and "13:00–17:00" in table
    assert errors == []
