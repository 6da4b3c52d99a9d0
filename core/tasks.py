"""The shared base of every Celery task: ids in, a service call, retries on transient errors, acks late."""

from celery import Task, shared_task


class BaseTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (ConnectionError, TimeoutError)
    retry_backoff = True
    retry_kwargs = {"max_retries": 5}


@shared_task(base=BaseTask, name="core.tasks.ping")
def ping(token=""):
    """Answer with what it was given: used by the newcomer test to prove a worker runs tasks."""
    return f"pong:{token}"


@shared_task(base=BaseTask, name="core.tasks.forget_expired_idempotency_keys")
def forget_expired_idempotency_keys():
    """Beat: idempotency keys older than IDEMPOTENCY_KEY_HOURS go (core.idempotency)."""
    from core.idempotency import forget_expired

    return forget_expired()
