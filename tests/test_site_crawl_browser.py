"""In headless Chromium, each demo person crawls the portal and the desk (tests/site_crawl.py): every page they can
reach answers without an error, passes axe-core with no critical or serious violation, and every form they can
operate answers each option, checkbox and English or Chinese word without a server error or a silent refusal.
"""

import io

import pytest
from django.core.management import call_command

from servicedesk.demo import DEMO_PASSWORD
from tests.browser import BROWSER_TESTS
from tests.site_crawl import Crawl, parameterless_paths

pytestmark = BROWSER_TESTS


@pytest.fixture
def demo_site(live_server, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    quiet = io.StringIO()
    call_command("seed_demo", incidents=12, quiet=True)
    call_command("seed_sla_demo", stdout=quiet)
    call_command("seed_cmdb_demo", stdout=quiet)
    return live_server.url


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username], input[name=login]").first.fill(username)
    page.locator("input[name=password]").first.fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def menu_links(page):
    return page.eval_on_selector_all("nav a[href]", "as => as.map(a => a.getAttribute('href'))")


def test_signed_out_pages_pass_axe(demo_site, browser):
    crawl = Crawl(browser.new_context().new_page(), demo_site, "anonymous")
    crawl.crawl(["/accounts/login/"], operate_forms=False)
    assert crawl.visited, "nothing was crawled"
    assert not crawl.problems, "\n".join(crawl.problems)


def _crawl_as(browser, demo_site, username, operated):
    page = browser.new_context().new_page()
    sign_in(page, demo_site, username)
    crawl = Crawl(page, demo_site, username, operated=operated)
    crawl.crawl([*menu_links(page), *parameterless_paths()])
    assert len(crawl.visited) >= 3, (username, crawl.visited)
    page.context.close()
    return crawl


def test_each_role_crawls_every_page_and_form(demo_site, browser):
    """Everyone in the demo, one after the other; a form two people share is operated once (by the first)."""
    operated, problems = set(), []
    for username in ("enduser", "agent", "lead", "manager", "admin"):
        before = set(operated)
        crawl = _crawl_as(browser, demo_site, username, operated)
        if crawl.problems and all("did nothing" in problem for problem in crawl.problems):
            # Only "a submit sent nothing", which a loaded machine can fake (a click while the page still moves):
            # this person's crawl once more, and what it finds again is what counts. Any other problem counts at once.
            operated.clear()
            operated.update(before)
            crawl = _crawl_as(browser, demo_site, username, operated)
        problems += crawl.problems
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
