"""A Redis/Valkey outage degrades, never breaks: real web (gunicorn), worker and beat processes on a private Valkey,
which is stopped or frozen (SIGSTOP) under requests.

While it is away, pages and the API answer within 2 s, reads and writes alike; writes answer 201/302. Once it is back,
each write's acknowledgement mail arrives exactly once (real SMTP server), and the worker and beat are still the
processes they were: the worker even survives losing the broker while it holds an unacknowledged task.
"""

import asyncio
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes
from http.cookies import SimpleCookie

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from core import outbox
from incidents.models import Incident
from tests.conftest import ROOT, _test_database_url
from tests.mail import subject_of
from tests.processes import output_of, start_process, stop, wait_until
from tests.valkey import PrivateValkey, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
IN_TIME = 2.0  # seconds: what a request may take while Valkey is away


class StallFirstMessage:
    """SMTP handler: holds the first message for `stall` seconds (the worker keeps its task unacknowledged
    meanwhile), then accepts it and every later one."""

    def __init__(self, stall=4.0):
        self.stall, self.received, self.stalled = stall, [], threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(self.stall)
        self.received.append(subject_of(message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(tmp_path):
    from aiosmtpd.controller import Controller

    handler = StallFirstMessage()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


class Web:
    """gunicorn on the test database, spoken to over HTTP with a token (API) or a session cookie (pages)."""

    def __init__(self, env, tmp_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "web.log").open("w+b")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=self.log)
        self.cookies = {}

    def request(self, method, path, *, token=None, data=None, json_body=None):
        """(status, seconds taken, body); redirects are not followed."""
        headers = {"Accept": "text/html,application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if json_body is not None:
            import json

            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.base + path
        req = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)  # noqa: S310
        started = time.monotonic()
        try:
            response = _NO_REDIRECTS.open(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
            return response.status, time.monotonic() - started, text


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


@pytest.fixture
def stack(cast, smtp, tmp_path, request):
    """Private Valkey, gunicorn, one worker and one beat (sweeping the outbox every second), all on it."""
    import os

    valkey = PrivateValkey(tmp_path / "valkey").start()
    env = {key: value for key, value in os.environ.items()
           if key not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "EMAIL_URL")}
    env.update({"DATABASE_URL": _test_database_url(), "REDIS_URL": valkey.url, "DB_CONN_MAX_AGE": "0",
                "CELERY_QUEUE": f"outage-{os.getpid()}", "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
                "OUTBOX_SWEEP_SECONDS": "1", "SLA_SCAN_INTERVAL_SECONDS": "3600"})
    web = Web(env, tmp_path)
    # Prefork, as `make run` and production run it: the worker's main process sees the broker go while a child
    # holds the unacknowledged task (the path where kombu made workers exit, core/broker.py).
    worker = start_process("worker", env, tmp_path, "worker", pool="prefork")
    beat = start_process("beat", env, tmp_path, "beat")
    processes = [web.process, worker, beat]
    try:
        assert wait_until(lambda: _answers(web), processes, timeout=60), "gunicorn did not start"
        yield valkey, web, worker, beat
    finally:
        stop(worker, beat)
        web.process.terminate()
        web.process.wait(10)
        web.log.close()
        valkey.stop()


def _answers(web):
    try:
        return web.request("GET", "/accounts/login/")[0] == 200
    except OSError:
        return False


def acknowledgements(smtp):
    return [subject for subject in smtp.received if "We have received your report" in subject]


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_pages_and_api_answer_in_time_and_every_mail_arrives_once(cast, smtp, stack, fault):
    valkey, web, worker, beat = stack
    token = Token.objects.create(user=cast.end_user).key
    browser = Client()
    browser.force_login(cast.end_user)
    web.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert web.request("GET", "/api/v1/incidents/", token=token)[0] == 200

    # A report before the outage: its mail is stalled at the SMTP server while Valkey goes away, so the worker
    # loses the broker holding that task unacknowledged.
    status, _took, _body = web.request("POST", "/api/v1/incidents/", token=token, json_body={"title": "Before"})
    assert status == 201
    assert wait_until(smtp.stalled.is_set, [worker], timeout=60), "the worker never tried to mail"
    valkey.stop() if fault == "stopped" else valkey.freeze()

    answers = {
        "api list": web.request("GET", "/api/v1/incidents/", token=token),
        "api create": web.request("POST", "/api/v1/incidents/", token=token, json_body={"title": "During (API)"}),
        "portal page": web.request("GET", "/portal/"),
        "report form": web.request("GET", "/portal/report/"),
    }
    answers["portal report"] = web.request("POST", "/portal/report/", data={
        "title": "During (portal)", "urgency": 3, "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")})
    answers["api list again"] = web.request("GET", "/api/v1/incidents/", token=token)
    statuses = {name: status for name, (status, _took, _body) in answers.items()}
    assert statuses == {"api list": 200, "api create": 201, "portal page": 200, "report form": 200,
                        "portal report": 302, "api list again": 200}, output_of(web)
    slow = {name: round(took, 2) for name, (_status, took, _body) in answers.items() if took >= IN_TIME}
    assert slow == {}, f"with Valkey {fault}, these took too long"
    assert set(Incident.objects.values_list("title", flat=True)) == {"Before", "During (API)", "During (portal)"}

    time.sleep(3)  # the outage lasts a while: beat sweeps and the worker reconnects into nothing
    valkey.start() if fault == "stopped" else valkey.thaw()
    assert wait_until(lambda: len(acknowledgements(smtp)) >= 3, [worker, beat], timeout=90), \
        f"mails after the outage: {len(acknowledgements(smtp))}; worker: {output_of(worker)}"
    assert wait_until(lambda: not outbox.pending().exists(), [worker, beat], timeout=30)
    time.sleep(3)  # more sweeps: nothing is sent twice
    numbers = sorted(Incident.objects.values_list("number", flat=True))
    mailed = sorted(number for text in acknowledgements(smtp) for number in numbers if f"[{number}]" in text)
    assert mailed == numbers  # each report acknowledged once
    assert worker.poll() is None and beat.poll() is None and web.process.poll() is None
