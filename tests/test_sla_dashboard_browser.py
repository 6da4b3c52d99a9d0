"""In headless Chromium: a manager opens the SLA dashboard and its charts are drawn, one series per metric."""

from datetime import timedelta

from core.roles import Role
from sla.choices import Metric
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import UserFactory
from tests.test_sla_dashboard import Builder

pytestmark = BROWSER_TESTS


def test_the_dashboard_draws_the_trend_and_every_breakdown(live_server, browser, transactional_db, settings):
    from django.utils import timezone

    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    UserFactory(username="boss", organisation=None, role=Role.MANAGER)
    b = Builder(cast)
    now = timezone.now()
    b.clock(Metric.RESPONSE, "met", now - timedelta(days=2), service=cast.service, group=cast.group)
    b.clock(Metric.RESOLUTION, "breached", now - timedelta(days=9), stopped=now - timedelta(days=8),
            group=cast.group)
    page, errors = signed_in_page(browser, live_server.url, "boss")
    page.goto(f"{live_server.url}/sla/dashboard/?period=30")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-trend'))")
    trend = page.evaluate("""() => Chart.getChart(document.getElementById('chart-trend')).data.datasets.map(
        d => [d.label, d.data.filter(v => v !== null).length])""")
    assert [label for label, _drawn in trend] == ["First response", "Progress update", "Resolution"]
    assert dict(trend)["First response"] >= 1 and dict(trend)["Resolution"] >= 1
    groups = page.evaluate("() => Chart.getChart(document.getElementById('chart-assignment_group')).data.labels")
    assert groups == ["Service desk"]
    assert page.inner_text("[data-testid=total-response]") == "100.0 %"
    assert errors == []
