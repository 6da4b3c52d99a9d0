"""The transactional outbox: every side effect of a committed change leaves through here, exactly once.

A service calls `enqueue(handler, payload, key=...)` inside its transaction, instead of
`transaction.on_commit(lambda: task.delay(...))`: the effect is a row written with the change, so it exists exactly
when the change committed, and the write never depends on the broker (a broker that is down used to turn a committed
write into a 500 and lose its mail). The relay carries the effects out:

- after the commit, a nudge asks a worker to relay now: from a background thread, so a request never waits on the
  broker (a hung Valkey blocks a publish for seconds); if the broker is away the nudge is simply lost, and
- beat runs the relay every settings.OUTBOX_SWEEP_SECONDS (`core.tasks.relay_outbox`), which finds what is left.

The relay takes one message at a time (SKIP LOCKED, so several workers share a burst), leases it, runs its handler
outside any transaction, and marks it done. A handler that fails leaves the message for later, after a growing pause
and with its error recorded; a relay that dies mid-way leaves it leased, and the lease runs out. Handlers must
therefore be idempotent per key (core.notify already is: one Notification per recipient and key).

`handler` is the dotted path of a function taking the payload as keyword arguments (JSON values only);
`publish_task` below is the handler for work that should run as a task of its own.
"""

import logging
import os
import threading
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # a relay that took a message and died: another takes it after this
FIRST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS = 5, 600  # after a failure: 5 s, 10 s, 20 s ... at most 10 min
RELAY_BATCH = 200  # messages per relay task; a longer backlog asks for another task


def enqueue(handler, payload, *, key):
    """Record a side effect in the current transaction (its key: one row per effect, a repeat is ignored), and
    have it relayed once the transaction commits."""
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(key=key, handler=handler, payload=payload)], ignore_conflicts=True)
    transaction.on_commit(nudge)


def nudge():
    """Ask for a relay now. With Celery eager (tests) it relays here; otherwise a background thread publishes the
    task, so the caller never waits on the broker."""
    from itsm.celery import app

    if app.conf.task_always_eager:
        relay()
    else:
        _nudger.poke()


class _Nudger:
    """One daemon thread per process that publishes `core.tasks.relay_outbox`; pokes while it publishes fold into
    one more publish."""

    def __init__(self):
        self.wanted = threading.Event()
        self.lock = threading.Lock()
        self.thread, self.pid = None, None

    def poke(self):
        with self.lock:
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()  # a forked child (gunicorn, billiard) has no thread of its parent
                self.thread = threading.Thread(target=self._run, name="outbox-nudge", daemon=True)
                self.thread.start()
        self.wanted.set()

    def _run(self):
        from .tasks import relay_outbox

        while True:
            self.wanted.wait()
            self.wanted.clear()
            try:
                relay_outbox.apply_async(retry=False)
            except Exception as exc:  # noqa: BLE001 - the broker is away: beat's sweep relays later
                logger.warning("Could not ask a worker to relay the outbox now (the sweep will): %s", exc)


_nudger = _Nudger()


def _claim(now):
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(done_at__isnull=True, available_at__lte=now).order_by("available_at", "id").first())
        if message is not None:
            message.attempts += 1
            message.available_at = now + LEASE
            message.save(update_fields=["attempts", "available_at"])
    return message


def _pause(attempts):
    return timedelta(seconds=min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (attempts - 1)))


def _carry_out(message):
    try:
        import_string(message.handler)(**message.payload)
    except DatabaseError:
        raise  # the database is away: the task retries; the lease brings the message back
    except Exception as exc:  # noqa: BLE001 - recorded on the message, which is tried again later
        logger.warning("Outbox message %s failed (attempt %d): %r", message.key, message.attempts, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            available_at=timezone.now() + _pause(message.attempts), last_error=repr(exc)[:2000])
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=timezone.now(), last_error="")
    return True


def publish_task(task, args=(), kwargs=None):
    """A handler that hands a Celery task to the broker (for work too long to run inside the relay, like a large
    import): done once the broker took it; from there acks_late delivers it at least once, so the task must be
    idempotent. enqueue("core.outbox.publish_task", {"task": name, "args": [...]}, key=...)."""
    from itsm.celery import app

    app.tasks[task].apply_async(args=list(args), kwargs=kwargs or {})


def relay(limit=RELAY_BATCH):
    """Carry out up to `limit` messages that are due; answers (done, more_may_be_due)."""
    done = 0
    for _ in range(limit):
        message = _claim(timezone.now())
        if message is None:
            return done, False
        done += _carry_out(message)
    return done, True


def prune(*, keep=None):
    """Forget messages carried out longer ago than `keep` (settings.OUTBOX_KEEP_DAYS); answers how many."""
    from django.conf import settings

    keep = keep if keep is not None else timedelta(days=settings.OUTBOX_KEEP_DAYS)
    return OutboxMessage.objects.filter(done_at__lt=timezone.now() - keep).delete()[0]


def pending():
    """Messages not yet carried out (for health checks and tests)."""
    return OutboxMessage.objects.filter(done_at__isnull=True)
