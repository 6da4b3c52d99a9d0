"""Workers survive a broker restart: a guard around kombu's hand-back of unacknowledged messages.

With acks_late, a worker holding a task it has not acknowledged yet hands the message back to Redis when its channel
closes (kombu.transport.redis.QoS.restore_unacked). When the channel closes because Valkey went away, kombu has
already dropped the connection's details and the hand-back fails with "AttributeError: 'NoneType' object has no
attribute 'hostname'" (in Channel._connparams), which Celery reports as an unrecoverable error: the worker exits for
good. The same path failed at warm shutdown in celery/kombu#970 ("Error on Restarting Celery") and closing channels
on a lost connection in celery/kombu#582 ("Error on restarting Gossip"); kombu 5.7.0, the newest release, still has it.

Nothing is lost by not handing the message back at that moment: Redis keeps every unacknowledged message in the
`unacked` hash, and kombu's restore_visible (run by every worker) returns it to the queue after the visibility
timeout; and what the task was to deliver is in PostgreSQL (core.outbox) anyway. So the failure is logged and the
worker carries on reconnecting. Installed by itsm/celery.py; remove when kombu fixes the path.
"""

import logging

import redis
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)


def _tolerant(restore_unacked):
    def restore_unacked_or_leave_them(self, client=None):
        try:
            return restore_unacked(self, client)
        except (AttributeError, redis.RedisError, OSError) as exc:
            logger.warning("Broker away: %d unacknowledged message(s) left in Redis, restored after the visibility "
                           "timeout (%r)", len(self._delivered), exc)
            self._delivered.clear()
            return None

    restore_unacked_or_leave_them.patched_by_itsm = True
    return restore_unacked_or_leave_them


def install():
    qos = kombu_redis.QoS
    if not getattr(qos.restore_unacked, "patched_by_itsm", False):
        qos.restore_unacked = _tolerant(qos.restore_unacked)
