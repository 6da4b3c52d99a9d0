"""A crawler for the browser tests: it signs in as someone, starts from the menu and the URLconf's parameterless
pages, follows links within the portal (one page per URL pattern), runs axe-core on each page and operates each
form (every option of every select, every checkbox, text in English and in Chinese) and submits it.

Pages are found generically (URLconf and links), so a page another area adds is crawled without a list to edit.
"""

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from playwright.sync_api import Error as PlaywrightError

AXE = Path(__file__).resolve().parent.parent / "static" / "vendor" / "axe" / "axe.min.js"
# Not portal pages: Django's own admin, the API and its schema files, language switching, the health probe, and
# Redoc (a second API viewer, not in the menu, whose bundle fetches its logo from cdn.redoc.ly).
SKIPPED_PREFIXES = ("/admin/", "/api/v1/", "/api/schema/", "/api/redoc/", "/i18n/", "/health/", "/static/",
                    "/media/")
# Destructive links and forms are skipped by name (their action, their button's words).
DESTRUCTIVE = re.compile(r"delete|logout|log out|remove|unlink|删除|退出|移除", re.IGNORECASE)
WORDS = ("printer", "打印机")  # each text field gets a word in English, then in Chinese
MAX_OPTIONS = 6  # options tried per select (the first ones and the last): the portal's selects list people too
# Swagger UI's own markup (its version badges' contrast, its nested controls) is the sidecar's, not ours to fix.
AXE_SKIPPED_PREFIXES = ("/api/",)
ERROR_SHOWN = (".invalid-feedback:visible, .alert-danger:visible, .errorlist:visible, .is-invalid:visible, "
               "[role=alert]:visible, .text-danger:visible")
IGNORED_CONSOLE = ("Failed to load resource: the server responded with a status of", "Response Status Error Code")
# A navigation replaced by the next one; an error answer without a body (its status is judged instead).
IGNORED_FAILURES = ("net::ERR_ABORTED", "net::ERR_HTTP_RESPONSE_CODE_FAILURE")
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary.split('\\n')[1])}));
}"""


def parameterless_paths():
    """Every path of the URLconf that takes no argument (the site's entry points), skipped prefixes aside."""
    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and not re.search(r"[\^$(\\]", route):
                yield "/" + route
    return sorted(p for p in set(walk(get_resolver().url_patterns, ""))
                  if not p.startswith(SKIPPED_PREFIXES) and not DESTRUCTIVE.search(p))


def pattern_of(path):
    """The URL pattern a path belongs to ("cmdb:detail"): pages are visited once per pattern, not once per record."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name or match.route


@dataclass
class Crawl:
    """One person's crawl: what was visited and what went wrong, in words a failure message can show."""

    page: object
    base: str
    who: str
    problems: list = field(default_factory=list)
    visited: dict = field(default_factory=dict)  # pattern → path
    operated: set = field(default_factory=set)  # forms already operated (shared between people: same form, once)
    pending: int = 0
    answers: list = field(default_factory=list)  # (method, url, status, resource type) since the last reset
    # Which action each request in flight belongs to: Playwright hands its events to Python only when the crawler next
    # calls it, so an answer to an earlier action (a slow bulk POST sent twice on a loaded machine) can arrive after
    # the next action's reset and would be judged against a page that never saw it ("answered 400 and the page shows
    # no reason"). Only requests started since the last reset are judged.
    generation: int = 0
    started_in: dict = field(default_factory=dict)
    # While a page is being opened, a POST can only be the previous action's (a submit the loaded browser started
    # late, after the crawler had given up on it): it is not the new page's to answer for.
    opening: bool = False

    def __post_init__(self):
        page = self.page
        page.set_default_timeout(5000)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problem(f"script error: {e}"))
        page.on("request", self._started)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    def problem(self, text):
        self.problems.append(f"[{self.who} @ {urlsplit(self.page.url).path}] {text}")

    def _console(self, message):
        # The browser and htmx also log each 4xx/5xx answer; those are judged from the answers themselves (a refusal
        # the page explains is fine), so only other errors count here.
        if message.type == "error" and not message.text.startswith(IGNORED_CONSOLE):
            self.problem(f"console error: {message.text}")

    def reset(self):
        """Forget the answers so far: what follows is judged on the requests it starts."""
        self.generation += 1
        self.answers.clear()

    def _started(self, request):
        self.pending += 1
        self.started_in[request] = -1 if self.opening and request.method != "GET" else self.generation

    def _finished(self, request):
        self.pending -= 1
        current = self.started_in.pop(request, self.generation) == self.generation
        response = request.response()
        if current and request.url.startswith(self.base) and response is not None:
            self.answers.append((request.method, request.url, response.status, request.resource_type,
                                 request.headers.get("hx-request") == "true"))
            if response.status >= 400 and request.resource_type not in ("document", "xhr", "fetch"):
                self.problem(f"{request.resource_type} {request.url} answered {response.status}")

    def _failed(self, request):
        self.pending -= 1
        self.started_in.pop(request, None)
        if request.url.startswith(self.base) and not (request.failure or "").startswith(IGNORED_FAILURES):
            self.problem(f"{request.method} {request.url} failed: {request.failure}")

    def settle(self, timeout=5.0, *, expect_request=False):
        """Wait until the page's requests (htmx's included) have answered. `expect_request`: a form was submitted,
        so give its request up to 2 s to start (a loaded machine, as CI's two test workers make it, is slow to)."""
        self.page.wait_for_timeout(60)  # htmx sends on the next tick
        started = time.monotonic() + 2.0
        while expect_request and self.pending == 0 and not self.answers and time.monotonic() < started:
            self.page.wait_for_timeout(50)
        deadline = time.monotonic() + timeout
        while self.pending > 0 and time.monotonic() < deadline:
            self.page.wait_for_timeout(25)
        with contextlib.suppress(PlaywrightError):  # a page still loading is reported by the checks that follow
            self.page.wait_for_load_state("load", timeout=timeout * 1000)

    # --- visiting ------------------------------------------------------------------------------------------
    def open(self, path):
        """Go to `path`; None when it is not a page (a download or an endpoint for forms), else its status."""
        self.settle()  # what the previous action sent answers before the page goes away
        self.reset()
        self.opening = True
        try:
            response = self.page.goto(urljoin(self.base, path), wait_until="load")
        except PlaywrightError:  # a download, an empty answer (204, 405): not a page; its status still counts
            status = self.page.request.get(urljoin(self.base, path), max_redirects=0).status
            return status if status >= 400 else None  # a download that worked is not a page to look at
        finally:
            self.opening = False
        self.settle()
        return response.status if response else None

    def links(self):
        hrefs = self.page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        found = []
        for href in hrefs:
            url = urlsplit(urljoin(self.page.url, href))
            if f"{url.scheme}://{url.netloc}" != self.base or url.path.startswith(SKIPPED_PREFIXES):
                continue
            if DESTRUCTIVE.search(url.path):
                continue
            found.append(url.path + (f"?{url.query}" if url.query else ""))
        return found

    def axe(self):
        # As a file the portal serves (the Content-Security-Policy refuses inline scripts, injected ones too).
        self.page.add_script_tag(url=f"{self.base}/static/vendor/axe/{AXE.name}")
        for violation in self.page.evaluate(AXE_RUN):
            self.problem(f"axe {violation['impact']} {violation['id']} ({violation['help']}): {violation['nodes']}")

    def crawl(self, start, *, run_axe=True, operate_forms=True, max_pages=60):
        """Visit the pages reachable from `start` (paths), one per URL pattern."""
        queue = [(path, False) for path in start]  # (path, found by following a link)
        while queue and len(self.visited) < max_pages:
            path, linked = queue.pop(0)
            pattern = pattern_of(path)
            if pattern is None or pattern in self.visited:
                continue
            self.visited[pattern] = path
            status = self.open(path)
            if status is None:
                continue
            if status >= 500 or (linked and status >= 400):
                self.problem(f"GET {path} answered {status}")
                continue
            if status >= 400:  # an entry of the URLconf that is not for this person, or takes only POST
                continue
            if self.page.evaluate("() => document.doctype === null"):
                continue  # a fragment for htmx or a file, not a page
            queue.extend((link, True) for link in self.links())
            if run_axe and not path.startswith(AXE_SKIPPED_PREFIXES):
                self.axe()
            if operate_forms:
                self.operate_forms(path)

    # --- forms ---------------------------------------------------------------------------------------------
    def _forms(self):
        return self.page.eval_on_selector_all("form", """fs => fs.map((f, i) => ({
            index: i, action: f.getAttribute('action') || '', method: (f.method || 'get').toLowerCase(),
            visible: !!(f.offsetWidth || f.offsetHeight || f.getClientRects().length),
            words: f.innerText.slice(0, 200), files: !!f.querySelector('input[type=file][required]'),
            fields: Array.from(f.elements).map(e => e.name).filter(Boolean).sort().join(',')}))""")

    def _key(self, info, path):
        """What a form is: where it sends, how, and its field names."""
        action_path = urlsplit(urljoin(self.page.url, info["action"] or path)).path
        return pattern_of(action_path), info["method"], info["fields"]

    def operate_forms(self, path):
        for info in self._forms():
            action_path = urlsplit(urljoin(self.page.url, info["action"] or path)).path
            key = self._key(info, path)
            submit_words = self.page.locator("form").nth(info["index"]).locator(
                "button[type=submit], button:not([type]), input[type=submit]").all_inner_texts()
            if (not info["visible"] or info["files"] or key in self.operated
                    or DESTRUCTIVE.search(action_path) or DESTRUCTIVE.search(" ".join(submit_words))):
                continue
            self.operated.add(key)
            for round_, word in enumerate(WORDS):
                if self.open(path) is None:
                    return
                # Found again by what it is, not where it was: an earlier round may have added forms before it
                # (a saved view brings its delete button), which would shift the index onto another form.
                index = next((f["index"] for f in self._forms() if self._key(f, path) == key), None)
                if index is None:
                    break
                try:
                    self.operate(index, word, try_options=round_ == 0)
                except PlaywrightError as error:  # the form went away under the crawler (replaced by htmx)
                    if "Timeout" not in str(error) and "detached" not in str(error):
                        raise

    def operate(self, index, word, *, try_options=True):
        form = self.page.locator("form").nth(index)
        start_url = self.page.url
        for select in form.locator("select:visible:enabled").all() if try_options else []:
            values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            for value in (values[:MAX_OPTIONS - 1] + values[-1:]) if len(values) > MAX_OPTIONS else values:
                self.reset()
                try:
                    select.select_option(value, timeout=2000)
                except Exception:  # noqa: BLE001 - the select went away (the page was replaced): stop here
                    return
                self.settle()
                self.judge(f"choosing “{value}”")
                if self.page.url != start_url:  # the choice submitted the form (a language or filter select)
                    return
        for box in form.locator("input[type=checkbox]:visible:enabled").all():
            box.check(timeout=2000)
        for field_ in form.locator("input:visible:enabled, textarea:visible:enabled").all():
            kind = (field_.get_attribute("type") or "text").lower()
            value = {"text": word, "search": word, "textarea": word, "email": "someone@example.com",
                     "number": "1", "date": "2026-01-05", "time": "09:00", "datetime-local": "2026-01-05T09:00", "url": "https://example.com/",
                     "tel": "010-12345678", "password": word}.get(kind)
            if field_.evaluate("e => e.tagName") == "TEXTAREA":
                value = word
            if value is not None and not field_.get_attribute("readonly"):
                field_.fill(value, timeout=2000)
        # Typing may itself send (the queue's search refreshes the table, and with it the bulk and view forms, after
        # 300 ms): let that finish, so the submit below acts on the form as it now stands.
        self.settle(expect_request=False)
        self.page.wait_for_timeout(400)
        self.settle()
        self.judge(f"typing “{word}” into form {index}")
        self.reset()
        if not form.evaluate("f => f.checkValidity()"):
            return  # the browser says what is missing, next to the field
        buttons = form.locator("button[type=submit]:visible, button:not([type]):visible, input[type=submit]:visible")
        if buttons.count():
            buttons.first.click(timeout=5000)
        else:
            form.evaluate("f => f.requestSubmit()")
        self.settle(expect_request=True)
        if not self.answers:
            # On a loaded machine a click can land while the page still moves (a panel opening); submit the form
            # itself once more before calling it dead. (Known gap: a dead button on a live form would pass.)
            with contextlib.suppress(PlaywrightError):
                form.evaluate("f => f.isConnected && f.requestSubmit()")
            self.settle(expect_request=True)
        if not self.answers:
            self.problem(f"submitting form {index} with “{word}” did nothing (no request, no message)")
            return
        self.judge(f"submitting form {index} with “{word}”")

    def judge(self, what):
        """Each answer since the action: no server error; a refusal (4xx) only with its reason shown on the page."""
        for method, url, status, _resource, _htmx in self.answers:
            if status < 400:
                continue
            shown = self.page.locator(ERROR_SHOWN).count() > 0
            if status >= 500 or not shown or status not in (400, 409, 413, 422):
                self.problem(f"{what}: {method} {url} answered {status}"
                             f"{'' if shown else ' and the page shows no reason'}")
