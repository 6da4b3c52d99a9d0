"""Shared fixtures: a small organisation with every role, a real SMTP server, a real Celery worker."""

import os
import socket
from pathlib import Path

import pytest
from django.db import connection

from core.roles import Role
from tests.factories import AssignmentGroupFactory, OrganisationFactory, ServiceFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


class Cast:
    """Everyone a permission test needs, built once per test."""

    def __init__(self):
        self.org = OrganisationFactory(name="Acme", code="acme")
        self.other_org = OrganisationFactory(name="Globex", code="globex")
        self.end_user = UserFactory(username="enduser", organisation=self.org, role=Role.END_USER)
        self.colleague = UserFactory(username="colleague", organisation=self.org, role=Role.END_USER)
        self.outsider = UserFactory(username="outsider", organisation=self.other_org, role=Role.END_USER)
        self.agent = UserFactory(username="agent", organisation=None, role=Role.AGENT)
        self.agent2 = UserFactory(username="agent2", organisation=None, role=Role.AGENT)
        self.lead = UserFactory(username="lead", organisation=None, role=Role.TEAM_LEAD)
        self.manager = UserFactory(username="manager", organisation=None, role=Role.MANAGER)
        self.admin = UserFactory(username="admin", organisation=None, role=Role.ADMIN)
        self.group = AssignmentGroupFactory(name="Service desk", lead=self.lead)
        self.group.members.add(self.agent, self.agent2, self.lead)
        self.other_group = AssignmentGroupFactory(name="Network")
        self.service = ServiceFactory(name="E-mail", support_group=None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default PBKDF2 costs ~0.2 s per user; `cast` makes ten. Hashing strength is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Playwright launches Debian's Chromium, headless (tests/browser.py)."""
    from tests.browser import LAUNCH_ARGS

    return LAUNCH_ARGS


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English: a request made as a Chinese-speaking user leaves its language active in the
    thread (LocaleMiddleware activates, nothing deactivates), and the next test in the worker would inherit it."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def cast(db):
    return Cast()


@pytest.fixture
def frozen(monkeypatch):
    """django.utils.timezone.now() under the test's control (tests.sla_helpers.FrozenClock)."""
    from tests.sla_helpers import FrozenClock

    return FrozenClock(monkeypatch)


@pytest.fixture
def as_user(client):
    """as_user(person) → the test client signed in as that person."""
    def log_in(user):
        client.force_login(user)
        return client
    return log_in


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); Django's SMTP backend delivers to it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        refuse = False  # set it on the controller's handler to have every recipient refused (550)

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if self.refuse:
                return "550 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        def handle_message(self, message):
            received.append(message)

    # aiosmtpd cannot listen on port 0 (start() connects to the port it was given), so ask the OS for a free one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    controller.received = received
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server


def _test_database_url():
    s = connection.settings_dict
    host = s.get("HOST") or ""
    if host.startswith("/"):
        from urllib.parse import quote

        # django-environ takes a socket folder from the path (user@:port//folder/name), not from a quoted host.
        return f"postgres://{s.get('USER') or 'postgres'}@:{s.get('PORT') or 5432}/{quote(host)}/{s['NAME']}"
    return f"postgres://{s.get('USER') or 'postgres'}@{host or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, settings, request, tmp_path):
    """A real `celery worker` process on the test database, with its own queue (xdist-safe).

    Yields a function that waits until a condition holds (polling the database the test can see); it carries the
    process, the queue and the environment, for tests that start more processes alike (tests/processes.py).
    """
    from itsm.celery import app
    from tests.processes import start_process, stop, wait_until

    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    app.conf.task_default_queue = queue
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_QUEUE": queue, "DB_CONN_MAX_AGE": "0"}
    env.update(getattr(request, "param", {}) or {})
    mail_port = getattr(settings, "EMAIL_PORT", None)
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{mail_port}"
    proc = start_process("worker", env, tmp_path, "worker1")

    def wait_for(condition, timeout=30):
        return wait_until(condition, [proc], timeout)

    wait_for.process = proc
    wait_for.queue = queue
    wait_for.env = env
    try:
        yield wait_for
    finally:
        stop(proc)
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
