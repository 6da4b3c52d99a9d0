"""Measuring for the benchmarks: pages and API through a real gunicorn on loopback, queries in-process, calls timed
in-process, and the machine it all ran on.

Latency is what one client sees, sequentially, one request after another (gunicorn's sync workers close every
connection, so each request pays a loopback connect too, as a browser without keep-alive would). Query counts come
from the Django test client in this process with CaptureQueriesContext, at two page sizes, after one warm-up
request so per-process caches (content types, translations) do not count.
"""

import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def time_calls(function, repeat, *, warmup=0):
    """Milliseconds each of `repeat` calls of `function` took, in this process, after `warmup` untimed calls."""
    for _ in range(warmup):
        function()
    values = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        values.append((time.perf_counter() - started) * 1000)
    return values


def summary(values):
    """Median, p95 and max of some milliseconds, rounded for the record."""
    return {"median_ms": round(statistics.median(values), 1), "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1), "n": len(values)}


def machine():
    """What the figures were measured on: the code's revision, the machine, PostgreSQL and the load average."""
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    return {"revision": revision, "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": server, "shared_buffers": buffers,
            "os": platform.platform(), "load_average": os.getloadavg()}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn itsm.wsgi with N sync workers on a free loopback port, stopped (and waited for) on exit."""

    def __init__(self, *, workers=2, env=None):
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, **(env or {})}
        self.process = None

    def __enter__(self):
        # The server's log goes to a file, not a pipe: a pipe nobody reads would block it once full.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                HttpClient(self.port).request("GET", "/accounts/login/")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def log_tail(self, size=2000):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class HttpClient:
    """A tiny HTTP client with a cookie jar (session login) or a token (API), one connection per request."""

    def __init__(self, port, *, token=None):
        self.port, self.token, self.cookies = port, token, {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content, elapsed

    def login(self, username, password):
        self.request("GET", "/accounts/login/")
        form = urlencode({"username": username, "password": password,
                          "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        status, content, _elapsed = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: HTTP {status} {content[:300]!r}")


@dataclass
class Scenario:
    """One line of the table: what is requested, by whom, and how its query count is taken."""

    name: str
    method: str
    path: object  # a path, or a function of the request index giving one
    client: str  # "session" or "token"
    body: object = None  # a function of the request index giving a JSON-able payload
    expect: int = 200
    query_paths: list = field(default_factory=list)  # (label, path) pairs counted in-process
    results: dict = field(default_factory=dict)

    def path_for(self, index):
        return self.path(index) if callable(self.path) else self.path


def run_timings(scenarios, clients, *, requests, warmup, progress=None):
    """Time every scenario, taking them in turn (one request each per round), so that a passing burst of load on
    the machine spreads over all of them instead of spoiling one."""
    timings = {id(s): [] for s in scenarios}
    for index in range(-warmup, requests):
        for scenario in scenarios:
            body, headers = None, {}
            if scenario.body is not None:
                body, headers = json.dumps(scenario.body(index)), {"Content-Type": "application/json"}
            path = scenario.path_for(index)
            status, content, elapsed = clients[scenario.client].request(scenario.method, path, body, headers)
            if status != scenario.expect:
                raise RuntimeError(f"{scenario.name}: HTTP {status} for {path}: {content[:300]!r}")
            if index >= 0:
                timings[id(scenario)].append(elapsed * 1000)
        if progress and index > 0 and index % 50 == 0:
            progress(f"  {index} rounds of {len(scenarios)} requests")
    for scenario in scenarios:
        values = timings[id(scenario)]
        total_seconds = sum(values) / 1000
        scenario.results.update(
            median_ms=statistics.median(values), p95_ms=percentile(values, 0.95), max_ms=max(values),
            requests=len(values), per_second=len(values) / total_seconds if total_seconds else 0.0,
        )


def count_queries(path, *, user, token=None):
    """Queries one GET makes, through the Django test client in this process (after one warm-up request)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    extra = {}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    else:
        client.force_login(user)
    client.get(path, **extra)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    rows = None
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        rows = len(data["results"]) if isinstance(data, dict) and "results" in data else None
    elif "page_size=" in path:  # a list page: the incidents it shows, to prove the page size took effect
        rows = len(set(re.findall(rb"INC-\d{6}", response.content)))
    return len(captured.captured_queries), rows, [q["sql"] for q in captured.captured_queries]


def wait_until_quiet(*, limit=1.0, timeout=600, progress=None):
    """On a shared machine: wait (up to `timeout` s) until the one-minute load average is under `limit`."""
    deadline = time.monotonic() + timeout
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        if progress:
            progress(f"  waiting for a quiet machine (load {os.getloadavg()[0]:.1f})")
        time.sleep(15)
    return os.getloadavg()[0] < limit


def pages_answer(paths, *, user, token):
    """Whether the pages and API under test exist yet (each answers 200 in-process)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    answers = {}
    for label, path, use_token in paths:
        extra = {"HTTP_AUTHORIZATION": f"Token {token}"} if use_token else {}
        answers[label] = (Client() if use_token else client).get(path, **extra).status_code
    return answers
