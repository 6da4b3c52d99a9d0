"""The newcomer's path: `make run` with no servers configured brings up the whole portal, and Ctrl-C stops it all.

The subprocess gets no DATABASE_URL/REDIS_URL (even in CI, where they are set), so the embedded PostgreSQL and Valkey
are what is tested, in a data folder of its own. It is stopped the way a terminal does it: SIGINT to its process group.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_string
from pathlib import Path

import psutil
import pytest
from celery import Celery

from tests.conftest import ROOT
from tests.mail import body_of, subject_of

# What the developer's or CI's environment may point at other servers; the newcomer has none of it.
STRIPPED = ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME", "CELERY_QUEUE", "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND", "PORT", "MEDIA_ROOT", "EMAIL_URL", "ITSM_PRODUCTION", "ITSM_DATA_DIR",
            "DJANGO_ALLOW_ASYNC_UNSAFE")
STARTUP_TIMEOUT = 300


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, opener=None, data=None):
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=10) as response:
            return response.status, response.read().decode(errors="replace"), response.url
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), url
    except OSError:
        return None, "", url


def _log(path):
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _processes_of(make, data):
    """Everything the run started: descendants of make, plus PostgreSQL (pg_ctl detaches it) and its children."""
    found = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        for proc in psutil.Process(make.pid).children(recursive=True):
            found[proc.pid] = proc
    for proc in psutil.process_iter(["cmdline"]):
        if str(data) in " ".join(proc.info["cmdline"] or ()):
            found[proc.pid] = proc
            with contextlib.suppress(psutil.NoSuchProcess):
                found.update({child.pid: child for child in proc.children(recursive=True)})
    return list(found.values())


def _log_in(base, username, password):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, page, _ = _get(f"{base}/accounts/login/", opener)
    assert status == 200, page[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    status, page, final_url = _get(f"{base}/accounts/login/", opener, data=form.encode())
    assert status == 200, page[:500]
    assert "/accounts/login/" not in final_url, "the demo account could not log in"
    return opener


@pytest.mark.slow
def test_make_run_serves_the_portal_runs_tasks_and_stops_cleanly(tmp_path):
    data = Path(tempfile.mkdtemp(prefix="itsm-newcomer-"))  # not under pytest's 0700 tmp: pgserver's user reads it
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    # Empty rather than absent, so a developer's .env cannot fill them in either.
    env.update(PORT=str(port), ITSM_DATA_DIR=str(data), DATABASE_URL="", REDIS_URL="")
    log_path = tmp_path / "make-run.log"
    with open(log_path, "wb") as log:
        make = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    started = time.monotonic()
    processes = []
    try:
        # 1. The portal answers, with database, broker and a worker up.
        while True:
            status, body, _ = _get(f"{base}/health/")
            if status == 200:
                break
            assert make.poll() is None, f"make run exited with {make.returncode}:\n{_log(log_path)}"
            assert time.monotonic() - started < STARTUP_TIMEOUT, f"not healthy: {status} {body}\n{_log(log_path)}"
            time.sleep(0.5)
        print(f"make run healthy after {time.monotonic() - started:.1f} s")  # noqa: T201 - a timing worth seeing
        assert json.loads(body)["checks"]["workers"]["ok"] is True

        # 2. A task sent through the broker runs on the worker and its result comes back.
        state = json.loads((data / "devstack.json").read_text())
        assert state["database_url"].startswith("postgres://") and str(data) in state["database_url"]
        client = Celery("newcomer-test", broker=state["redis_url"], backend=state["redis_url"])
        token = secrets.token_hex(8)
        try:
            result = client.send_task("core.tasks.ping", args=[token], queue="itsm")
            assert result.get(timeout=60) == f"pong:{token}"
        finally:
            client.close()

        # 3. The demo accounts the command printed can log in.
        deadline = time.monotonic() + 30
        while "Press Ctrl-C" not in _log(log_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        output = _log(log_path)
        assert "demo-pass-123" in output and "enduser" in output, output
        agent = _log_in(base, "agent", "demo-pass-123")
        status, page, _ = _get(f"{base}/desk/incidents/", agent)
        assert status == 200
        assert "INC-" in page, "the demo data should show incidents in the agent's queue"

        # 4. A report's acknowledgement leaves through the outbox into the mail folder under the data folder, its
        # link on the port served; a worker that dies is started again and the portal carries on.
        enduser = _log_in(base, "enduser", "demo-pass-123")
        status, page, _ = _get(f"{base}/portal/report/", enduser)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "title": "Newcomer printer", "urgency": 3})
        status, page, _ = _get(f"{base}/portal/report/", enduser, data=form.encode())
        assert status == 200, page[:500]

        def mailed():
            # Only files the worker finished writing: Django's file backend ends each message with a line of dashes.
            texts = [f.read_text(errors="replace") for f in (data / "mail").glob("*.log")] \
                if (data / "mail").exists() else []
            return [text.rstrip().rstrip("-") for text in texts if text.rstrip().endswith("-" * 79)]

        deadline = time.monotonic() + 60
        while not mailed() and time.monotonic() < deadline:
            time.sleep(0.5)
        [mail] = [message_from_string(text) for text in mailed()]
        assert "Newcomer printer" in subject_of(mail)
        assert f"{base}/portal/incidents/INC-" in body_of(mail), body_of(mail)
        os.kill(state["children"]["worker"], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while "worker exited with code -9; starting it again" not in _log(log_path) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "worker exited with code -9; starting it again" in _log(log_path)
        client = Celery("newcomer-test", broker=state["redis_url"], backend=state["redis_url"])
        try:
            result = client.send_task("core.tasks.ping", args=["again"], queue="itsm")
            assert result.get(timeout=90) == "pong:again", _log(log_path)
        finally:
            client.close()
        assert make.poll() is None

        # 5. Ctrl-C stops everything: web, worker, beat, Valkey, PostgreSQL.
        processes = _processes_of(make, data)
        names = " ".join(" ".join(p.cmdline()) for p in processes if p.is_running())
        for expected in ("gunicorn", "celery", "worker", "beat", "valkey-server", "postgres"):
            assert expected in names, f"{expected} is not running: {names}"
        os.killpg(make.pid, signal.SIGINT)
        make.wait(60)
        _, alive = psutil.wait_procs(processes, timeout=20)
        assert alive == [], f"left running after Ctrl-C: {alive}\n{_log(log_path)}"
        with pytest.raises(ProcessLookupError):
            os.killpg(make.pid, 0)
        assert "stopped web, worker, beat, Valkey, PostgreSQL" in _log(log_path)
        assert not (data / "devstack.json").exists()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                make.wait(30)
        for proc in processes or _processes_of(make, data):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        shutil.rmtree(data, ignore_errors=True)
