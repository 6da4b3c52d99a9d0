"""In headless Chromium: the SLA dashboard's period select names the period whose figures are shown, and the
breakdown charts label every row without clipping long names (shortened, the whole name in the tooltip)."""

from datetime import timedelta

from core.roles import Role
from sla.choices import Metric
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import ServiceFactory, UserFactory
from tests.test_sla_dashboard import Builder

pytestmark = BROWSER_TESTS
LONG = "Enterprise resource planning for the finance department"


def test_period_select_and_chart_labels(live_server, browser, transactional_db, settings):
    from django.utils import timezone

    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    UserFactory(username="boss", organisation=None, role=Role.MANAGER)
    b = Builder(cast)
    now = timezone.now()
    for name in (LONG, "Printing", "财务系统（总部）报销与预算管理平台"):
        b.clock(Metric.RESPONSE, "met", now - timedelta(days=2), service=ServiceFactory(name=name))
    page, errors = signed_in_page(browser, live_server.url, "boss")
    page.click("nav button:has-text('SLA')")  # the menu's SLA section opens
    page.click("nav >> text=SLA dashboard")
    page.wait_for_selector("[data-testid=period]")
    shown = page.inner_text("[data-testid=period]")
    first = (timezone.localdate() - timedelta(days=29)).isoformat()
    assert first in shown  # the default: the last 30 days ...
    assert page.eval_on_selector("#id_period", "s => s.options[s.selectedIndex].text") == "Last 30 days"  # ... said
    page.select_option("#id_period", "7")
    page.click("[data-testid=dashboard-filters] button[type=submit]")
    assert page.eval_on_selector("#id_period", "s => s.options[s.selectedIndex].text") == "Last 7 days"
    assert (timezone.localdate() - timedelta(days=6)).isoformat() in page.inner_text("[data-testid=period]")

    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-service'))")
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('chart-service'));
        const axis = chart.scales.y;
        return {labels: chart.data.labels, ticks: axis.ticks.map(t => t.label), left: axis.left,
                widest: Math.max(...axis.ticks.map(t => chart.ctx.measureText(t.label).width))};
    }""")
    assert len(drawn["ticks"]) == len(drawn["labels"]) == 3  # every row labelled
    assert LONG in drawn["labels"]  # the whole name kept for the tooltip
    assert all(len(tick) <= 18 for tick in drawn["ticks"]), drawn["ticks"]
    assert any(tick.endswith("…") for tick in drawn["ticks"])
    assert drawn["left"] >= 0
    assert errors == []
