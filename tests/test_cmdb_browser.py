"""In headless Chromium: an agent opens a CI and sees its impact graph drawn, zooms it, and follows a node."""

import io

from cmdb.models import ConfigurationItem
from core.roles import Role
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import UserFactory

pytestmark = BROWSER_TESTS


def test_ci_page_draws_the_impact_graph(live_server, browser, transactional_db, settings):
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="bob", organisation=None, role=Role.AGENT)
    call_command("seed_cmdb_demo", stdout=io.StringIO())
    host = ConfigurationItem.objects.get(external_key="esx-01")
    page, errors = signed_in_page(browser, live_server.url, "bob")
    page.goto(f"{live_server.url}/cmdb/{host.pk}/")
    page.wait_for_selector("#impact-graph[data-rendered=true]")
    graph = page.locator("#impact-graph")
    assert int(graph.get_attribute("data-nodes")) == 1 + 17 + 5  # the host, what depends on it, what it rests on
    assert int(graph.get_attribute("data-edges")) > 20
    assert page.locator("#impact-graph canvas").count() >= 1
    drawn = page.evaluate("() => window.cmdbImpactGraph.nodes().filter(n => n.renderedPosition().x > 0).length")
    assert drawn == 23
    before = page.evaluate("() => window.cmdbImpactGraph.zoom()")
    page.click("[data-graph-action=zoom-in]")
    assert page.evaluate("() => window.cmdbImpactGraph.zoom()") > before
    assert "财务服务 Finance" in page.inner_text("[data-testid=affected-services]")
    finance = ConfigurationItem.objects.get(external_key="bs-finance")
    page.evaluate(f"() => window.cmdbImpactGraph.getElementById('{finance.pk}').emit('tap')")
    page.wait_for_url(f"**/cmdb/{finance.pk}/")
    page.wait_for_selector("#impact-graph[data-rendered=true]")
    assert page.inner_text("[data-testid=ci-name]") == "财务服务 Finance"
    assert errors == []
