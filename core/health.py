"""/health/: the state of the database, the broker and the workers, for load balancers and the newcomer test.

It answers within HEALTH_DEADLINE_SECONDS whatever is down or frozen: the probes run side by side in threads, and a
probe still waiting then is reported as timed out (its thread ends on its own connect or socket timeout).
"""

import threading
import time

import psycopg
import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

HEALTH_DEADLINE_SECONDS = 1.5


def _database():
    # Its own short-lived connection: a probe thread's Django connection would outlive the thread (CONN_MAX_AGE).
    with psycopg.connect(**connection.get_connection_params()) as conn:
        conn.execute("SELECT 1").fetchone()


def _broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _workers():
    """Workers that consume the portal's queue: a worker of another deployment on the same broker does not count."""
    from itsm.celery import app

    queue = app.conf.task_default_queue
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    serving = [name for name, queues in replies.items() if any(q.get("name") == queue for q in queues or ())]
    if not serving:
        raise RuntimeError(f"no worker consumes the queue {queue!r}")
    return len(serving)


def _probe(checks, name, probe):
    try:
        result = probe()
        checks[name] = {"ok": True, **({"count": result} if isinstance(result, int) else {})}
    except Exception as exc:  # noqa: BLE001 - a health probe reports every failure instead of raising
        checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _broker_then_workers(checks):
    _probe(checks, "broker", _broker)
    if checks["broker"]["ok"]:
        _probe(checks, "workers", _workers)
    else:
        checks["workers"] = {"ok": False, "error": "broker unreachable"}


def health(request):
    found = {}
    threads = [threading.Thread(target=_probe, args=(found, "database", _database), daemon=True),
               threading.Thread(target=_broker_then_workers, args=(found,), daemon=True)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + HEALTH_DEADLINE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    checks = dict(found)  # a late probe writes to `found`, not to the answer
    for name in ("database", "broker", "workers"):
        checks.setdefault(name, {"ok": False, "error": f"no answer within {HEALTH_DEADLINE_SECONDS} s"})
    down = sorted(name for name, check in checks.items() if not check["ok"])
    body = {"status": "ok" if not down else "down", "down": down, "checks": checks}
    return JsonResponse(body, status=200 if not down else 503)
