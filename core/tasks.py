"""The shared base of every Celery task: ids in, a service call, retries on transient errors, acks late."""

import django.db
import kombu.exceptions
import redis.exceptions
from celery import Task, shared_task

# What a task really meets when PostgreSQL or Redis/Valkey blink (a restart, a network fault): Python's own
# ConnectionError/TimeoutError cover neither Django's database errors nor redis-py's nor kombu's.
TRANSIENT_ERRORS = (
    ConnectionError, TimeoutError,
    django.db.OperationalError, django.db.InterfaceError,
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


class BaseTask(Task):
    """Retried with growing, jittered pauses on transient errors. What a task was to deliver lives in PostgreSQL
    (core.outbox, SLA events), not in the task, so a task that gives up loses nothing: the sweeps send it again."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = True
    retry_backoff_max = 60
    retry_jitter = True
    retry_kwargs = {"max_retries": 5}


@shared_task(base=BaseTask, name="core.tasks.ping")
def ping(token=""):
    """Answer with what it was given: used by the newcomer test to prove a worker runs tasks."""
    return f"pong:{token}"


@shared_task(base=BaseTask, name="core.tasks.relay_outbox", ignore_result=True)
def relay_outbox():
    """Carry out the side effects waiting in the outbox (core.outbox); nudged after commits, and swept by beat."""
    from . import outbox

    done, more = outbox.relay()
    if more:
        outbox.nudge()
    return done


@shared_task(base=BaseTask, name="core.tasks.prune_outbox", ignore_result=True)
def prune_outbox():
    """Beat: forget outbox messages carried out more than settings.OUTBOX_KEEP_DAYS ago."""
    from . import outbox

    return outbox.prune()


@shared_task(base=BaseTask, name="core.tasks.forget_expired_idempotency_keys")
def forget_expired_idempotency_keys():
    """Beat: idempotency keys older than IDEMPOTENCY_KEY_HOURS go (core.idempotency)."""
    from core.idempotency import forget_expired

    return forget_expired()
