"""What the browser tests share: Debian's Chromium, headless, and pages signed in as someone.

A browser test module sets `pytestmark = BROWSER_TESTS` (skipped where Chromium is missing; `make test` installs it);
tests/conftest.py hands Playwright the launch arguments.
"""

import os
import shutil

import pytest

from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") and "/usr/lib/chromium/chromium"
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM or not os.path.exists(CHROMIUM),
                       reason="Debian's chromium package is not installed (make test installs it)"),
]
LAUNCH_ARGS = {
    "executable_path": CHROMIUM,
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"],
}
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in this thread


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def signed_in_page(browser, base, username):
    """(page, errors): a page of a fresh browser context, signed in as `username`; `errors` collects the uncaught
    errors of the page's scripts (a test ends asserting it is empty)."""
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, username)
    return page, errors
