"""/health/: the state of the database, the broker and the workers, for load balancers and the newcomer test."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


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


def health(request):
    checks = {}
    for name, probe in (("database", _database), ("broker", _broker), ("workers", _workers)):
        try:
            result = probe()
            checks[name] = {"ok": True, **({"count": result} if isinstance(result, int) else {})}
        except Exception as exc:  # noqa: BLE001 - a health probe reports every failure instead of raising
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            if name == "broker":
                checks["workers"] = {"ok": False, "error": "broker unreachable"}
                break
    down = sorted(name for name, check in checks.items() if not check["ok"])
    body = {"status": "ok" if not down else "down", "down": down, "checks": checks}
    return JsonResponse(body, status=200 if not down else 503)
