"""Django's PostgreSQL backend, with every database call of a web request bounded by DB_WEB_QUERY_TIMEOUT seconds.

PostgreSQL enforces statement_timeout and lock_timeout itself, so a frozen server (SIGSTOP, a hung VM, a black-holed
network) enforces neither, and the kernel keeps the socket open: a query, a COMMIT or the CONN_HEALTH_CHECKS ping
would wait for ever. A watchdog thread shuts the socket of any call that outlives its limit; psycopg then fails at
once with OperationalError, the page or API answers 503 (core/outage.py), and the broken connection is replaced on
the next request. Only web requests are bounded this way: migrations, Celery tasks and commands may legitimately run
long statements, and the server's statement_timeout still covers them while it is alive.

Connecting is bounded by connect_timeout (psycopg enforces it, at least 2 s), as the socket does not exist yet.
"""

import contextlib
import itertools
import os
import socket
import threading
import time

from django.conf import settings
from django.db.backends.postgresql import base

_scope = threading.local()  # .limit: seconds a database call may take in this thread's current request
_calls = {}  # token -> (deadline, limit, DatabaseWrapper): the calls in flight under a limit, in every thread
_tokens = itertools.count()
_wake = threading.Event()
_watcher = {"pid": None}


def enter_request(**_kwargs):
    """request_started (connected in core.apps): database calls from here on are bounded."""
    _scope.limit = settings.DB_WEB_QUERY_TIMEOUT or None


def leave_request(**_kwargs):
    """request_finished: connected after django.db's close_old_connections, so the health check it runs as a
    request ends is still bounded."""
    _scope.limit = None


def _sever(wrapper):
    """Shut the socket under the call: the blocked psycopg call sees end-of-file and raises OperationalError."""
    with contextlib.suppress(Exception):
        fd = wrapper.connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


def _watch():
    while True:
        _wake.wait()
        _wake.clear()
        while _calls:
            time.sleep(0.05)
            now = time.monotonic()
            for token, (deadline, limit, wrapper) in list(_calls.items()):
                if now >= deadline and _calls.pop(token, None) is not None:
                    wrapper.unreachable_until = now + limit
                    _sever(wrapper)


def _ensure_watcher():
    if _watcher["pid"] != os.getpid():  # first use, or a forked child (gunicorn, Celery) without the parent's thread
        _watcher["pid"] = os.getpid()
        _calls.clear()
        threading.Thread(target=_watch, name="db-watchdog", daemon=True).start()


@contextlib.contextmanager
def bounded(wrapper):
    """Within a web request, give up on PostgreSQL after DB_WEB_QUERY_TIMEOUT seconds; elsewhere, do nothing."""
    limit = getattr(_scope, "limit", None)
    if not limit:
        yield
        return
    _ensure_watcher()
    token = next(_tokens)
    _calls[token] = (time.monotonic() + limit, limit, wrapper)
    _wake.set()
    try:
        yield
    finally:
        _calls.pop(token, None)


class DatabaseWrapper(base.DatabaseWrapper):
    # After the watchdog gave up on the server, reconnecting is not tried again for as long (a circuit breaker): the
    # request that found it frozen, and the next ones in this thread, answer 503 at once instead of waiting for
    # connect_timeout on top of the time already spent.
    unreachable_until = 0.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._bounded_execute)

    def get_new_connection(self, conn_params):
        if time.monotonic() < self.unreachable_until:
            raise base.Database.OperationalError("PostgreSQL did not answer in time just now; not waiting on it again")
        try:
            return super().get_new_connection(conn_params)
        except base.Database.OperationalError:
            # A connect that failed (refused, or connect_timeout on a frozen server) trips the breaker too: requests
            # queued behind this one in the worker answer 503 at once instead of each waiting connect_timeout again.
            limit = getattr(_scope, "limit", None)
            if limit:
                self.unreachable_until = time.monotonic() + limit
            raise

    def _bounded_execute(self, execute, sql, params, many, context):
        with bounded(self):
            return execute(sql, params, many, context)

    def init_connection_state(self):
        with bounded(self):
            super().init_connection_state()

    def is_usable(self):
        with bounded(self):
            return super().is_usable()

    def _commit(self):
        with bounded(self):
            return super()._commit()

    def _rollback(self):
        with bounded(self):
            return super()._rollback()
