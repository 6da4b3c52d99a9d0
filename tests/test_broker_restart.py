"""Workers survive a broker restart: closing a channel that holds an unacknowledged message after the connection is
gone (kombu's restore-unacked-on-close path, core/broker.py) no longer raises, and the message is not lost: Redis
gives it back after the visibility timeout."""

import time

import kombu
import pytest

from core import broker
from tests.valkey import PrivateValkey


@pytest.fixture
def valkey(tmp_path):
    server = PrivateValkey(tmp_path / "valkey").start()
    try:
        yield server
    finally:
        server.stop()


def test_a_channel_closed_after_its_connection_keeps_the_unacked_message(valkey):
    broker.install()  # as itsm/celery.py does in every worker
    options = {"visibility_timeout": 1}
    with kombu.Connection(valkey.url, transport_options=options) as conn:
        queue = conn.SimpleQueue("tasks")
        queue.put({"task": "mail"})
        queue.get(timeout=2)  # delivered, not acknowledged: a task running with acks_late
        channel = queue.channel
        channel.connection.client = None  # what kombu leaves when the broker connection was lost and collected
        channel.close()  # was: AttributeError 'NoneType' object has no attribute 'hostname' -> worker exits

    time.sleep(1.5)  # past the visibility timeout
    with kombu.Connection(valkey.url, transport_options=options) as conn:
        conn.default_channel.qos.restore_visible()  # what every worker does on start and while it runs
        queue = conn.SimpleQueue("tasks")
        message = queue.get(timeout=2)
        assert message.payload == {"task": "mail"}
        message.ack()
