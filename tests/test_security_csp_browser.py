"""In headless Chromium, as each role: the main pages work under the Content-Security-Policy and the browser reports
no violation. Besides the pages named here (each waited for until its scripts have drawn it: the SLA charts, the CMDB
graph, the API docs), every page linked from the navigation bar is opened, so a page added later is checked too."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb.models import ConfigurationItem
from core.roles import Role
from incidents import services
from sla.choices import Metric
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import UserFactory

pytestmark = BROWSER_TESTS

# Each violation is also posted to the page's console by Chromium; the event carries the directive and the source.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""

# ReDoc always draws Redocly's logo from their CDN (no option turns it off); the policy blocks that image, as it should,
# and ReDoc hides the broken image. The only violation tolerated, and only on the ReDoc page.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _world():
    from django.core.management import call_command
    from django.utils import timezone

    from tests.conftest import Cast
    from tests.test_sla_dashboard import Builder

    cast = Cast()
    Builder(cast).clock(Metric.RESPONSE, "met", timezone.now() - timedelta(days=2), service=cast.service,
                        group=cast.group)
    incident = services.create_incident(
        actor=cast.agent, requester=cast.end_user, title="Printer jams", assignment_group=cast.group,
        attachments=[SimpleUploadedFile("log.txt", b"jam", content_type="text/plain")])
    services.add_comment(incident, actor=cast.agent, body="Tray **checked**.", internal=False)
    call_command("seed_cmdb_demo", stdout=io.StringIO())
    return cast, incident


class Visit:
    """A signed-in page that records CSP violations (console and event) and uncaught script errors."""

    def __init__(self, browser, base, username):
        self.base = base
        self.page, self.errors = signed_in_page(browser, base, username)
        self.console = []
        self.page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
                     and self.console.append(m.text))
        self.page.context.add_init_script(RECORD_VIOLATIONS)
        self.seen = []

    def open(self, path, ready=None):
        self.page.goto(self.base + path)
        if ready:
            self.page.wait_for_selector(ready, state="attached")
        self.page.wait_for_load_state("networkidle")
        found = self.page.evaluate("() => window.__cspViolations || []")
        self.seen += [f"{path}: {v}" for v in found if not (path == "/api/redoc/" and REDOC_LOGO in v)]
        self.console = [m for m in self.console if not (path == "/api/redoc/" and REDOC_LOGO[:24] in m)]

    def open_navigation(self):
        """Every page the navigation bar links to (a page added to the menu is checked without a change here)."""
        self.page.goto(self.base + "/")
        links = self.page.eval_on_selector_all(
            "nav a.nav-link[href^='/'], nav a.dropdown-item[href^='/'], nav a.navbar-brand[href^='/']",
            "els => els.map(a => a.getAttribute('href'))")
        for path in dict.fromkeys(links):
            self.open(path)
        return links

    def assert_clean(self):
        assert self.seen == [] and self.console == [], (self.seen, self.console)
        assert self.errors == []


def test_main_pages_raise_no_csp_violation(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast, incident = _world()
    UserFactory(username="boss", organisation=None, role=Role.MANAGER)
    host = ConfigurationItem.objects.get(external_key="esx-01")
    base = live_server.url

    end_user = Visit(browser, base, "enduser")
    end_user.open("/portal/")
    end_user.open(f"/portal/incidents/{incident.number}/")
    end_user.open("/portal/report/")
    assert "/api/docs/" in end_user.open_navigation()
    end_user.assert_clean()

    agent = Visit(browser, base, "agent")
    agent.open("/desk/incidents/", ready="table")
    agent.open(f"/desk/incidents/{incident.number}/")
    agent.open(f"/cmdb/{host.pk}/", ready="#impact-graph[data-rendered=true]")
    assert agent.page.locator("#impact-graph canvas").count() >= 1
    assert agent.page.evaluate("() => getComputedStyle(document.getElementById('impact-graph')).position") \
        == "relative"  # what cytoscape's refused <style> held comes from cmdb.css
    agent.open("/api/docs/", ready="#swagger-ui .opblock")
    agent.open("/api/redoc/", ready="redoc h1, .api-info h1, [role=navigation]")
    agent.open_navigation()
    agent.assert_clean()

    manager = Visit(browser, base, "boss")
    manager.open("/sla/dashboard/?period=30")
    manager.page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-trend'))")
    manager.open_navigation()
    manager.assert_clean()

    admin = Visit(browser, base, "admin")
    admin.open("/desk/incidents/priority-matrix/")
    admin.open("/admin/")
    admin.open("/admin/incidents/incident/")
    admin.open_navigation()
    admin.assert_clean()


def test_the_language_picker_works_without_inline_script(live_server, browser, transactional_db):
    page = browser.new_context().new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    assert violations == []
