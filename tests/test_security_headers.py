"""Every response carries the Content-Security-Policy and Permissions-Policy; downloads are sandboxed.

The pages are found, not listed: every named URL without parameters, then every link those pages show, followed
breadth-first as each role (one page per URL shape, so a thousand incidents cost one visit). A page another engineer
adds is covered once it is reachable from a link.
"""

import re
from collections import deque
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone

from cmdb.testing import link, make_ci, make_class, make_type
from incidents import services
from sla.choices import Metric
from tests.test_sla_dashboard import Builder

SKIP = re.compile(r"^/(accounts/logout|i18n/|static/|media/)")
LINK = re.compile(r"""(?:href|hx-get)=["'](/[^"'#]*)""")
BUDGET = 300  # pages per role; the crawl asserts it did not run out


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def estate(cast):
    """Something on every kind of page: an incident with a file and a note, a CI with links, an SLA clock."""
    Builder(cast).clock(Metric.RESPONSE, "met", timezone.now() - timedelta(days=1), service=cast.service,
                        group=cast.group)  # first: lists show the newest incident (the one with a file) first
    incident = services.create_incident(
        actor=cast.agent, requester=cast.end_user, title="Printer jams", assignment_group=cast.group,
        attachments=[SimpleUploadedFile("log.txt", b"jam", content_type="text/plain")])
    services.add_comment(incident, actor=cast.agent, body="Checked the *tray*.", internal=True)
    server, app = make_class("server", colour="#336699"), make_class("application")
    web, erp = make_ci(server, "web-01", organisation=cast.org), make_ci(app, "ERP", organisation=cast.org)
    link(erp, web, make_type("runs_on", sources=[app], targets=[server]))
    return {"incident": incident, "ci": web}


def named_routes():
    """Paths of every named URL that takes no parameter."""
    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not pattern.pattern.regex.groups:
                    yield from walk(pattern.url_patterns, [*namespaces, pattern.namespace] if pattern.namespace
                                    else namespaces)
            elif pattern.name and not pattern.pattern.regex.groups:
                yield ":".join([*namespaces, pattern.name])

    for name in sorted(set(walk(get_resolver().url_patterns, []))):
        try:
            yield reverse(name)
        except NoReverseMatch:
            continue


def shape(path):
    """The path with its ids as N (/desk/incidents/INC-N/, /cmdb/N/), so each kind of page is visited a few times."""
    return re.sub(r"/([A-Z]+-)?\d+(?=/|$)", r"/\1N", path.split("?")[0])


def crawl(client):
    """{shape: response} for every page reachable from the named routes (up to three pages of a shape)."""
    queue, seen, visited = deque(named_routes()), {}, set()
    while queue and len(seen) < BUDGET:
        path = queue.popleft()
        if path in visited or SKIP.match(path) or sum(shape(p) == shape(path) for p in visited) >= 3:
            continue
        visited.add(path)
        response = client.get(path)
        seen[shape(path)] = response
        if "html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
            queue.extend(LINK.findall(response.content.decode()))
    assert len(seen) < BUDGET, "raise BUDGET: the crawl stopped before it had seen every page"
    return seen


def policy(response):
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_page_policy(path, response):
    directives = policy(response)
    assert directives, f"{path}: no Content-Security-Policy"
    if directives == {"sandbox": []}:
        assert response["Content-Disposition"].startswith("attachment"), path
        return
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts and not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts), (path, scripts)
    assert directives["object-src"] == ["'none'"], path
    assert directives["base-uri"] == ["'none'"], path
    assert directives["frame-ancestors"] == ["'none'"], path
    assert "camera=()" in response.get("Permissions-Policy", ""), path


@pytest.mark.parametrize("role", ["anonymous", "end_user", "agent", "lead", "manager", "admin"])
def test_every_page_carries_the_policies(cast, estate, role):
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    pages = crawl(client)
    for path, response in pages.items():
        assert_page_policy(path, response)
    downloads = {"/attachments/N/", "/api/v1/attachments/N/download/"}
    if role == "agent":  # the crawl found the pages that matter by following links
        missing = {"/desk/incidents/INC-N/", "/cmdb/N/", "/api/docs/"} - set(pages)
        assert not missing and downloads & set(pages), (missing, sorted(pages))
    if role == "end_user":
        assert "/portal/incidents/INC-N/" in pages and downloads & set(pages), sorted(pages)
    if role == "manager":
        assert "/sla/dashboard/" in pages


def test_downloads_are_sandboxed(cast, estate):
    attachment = estate["incident"].attachments.get()
    client = Client()
    client.force_login(cast.end_user)
    for path in (f"/attachments/{attachment.pk}/", f"/api/v1/attachments/{attachment.pk}/download/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == "sandbox"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")


def test_errors_and_api_answers_carry_them_too(cast):
    client = Client()
    client.force_login(cast.agent)
    for path in ("/no-such-page/", "/desk/incidents/INC-999999/", "/api/v1/incidents/", "/desk/incidents/%00/"):
        assert_page_policy(path, client.get(path))


def test_only_the_api_docs_relax_styles(cast):
    client = Client()
    client.force_login(cast.agent)
    docs = policy(client.get(reverse("api-docs")))
    assert "'unsafe-inline'" in docs["style-src-elem"]
    assert docs["script-src"] == ["'self'"]
    queue = policy(client.get(reverse("incidents:queue")))
    assert "'unsafe-inline'" not in queue["style-src-elem"]
