"""The transactional outbox (core.outbox): an effect exists exactly when its change committed, is carried out once,
and one that fails (SMTP down, the database blinking) stays to be carried out later; tasks retry on the transient
errors they really meet."""

from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from core import outbox
from core.models import Notification, OutboxMessage
from core.tasks import BaseTask
from incidents import services
from incidents.models import Incident
from itsm.celery import app
from tests.mail import subject_of


def report(cast, title="Printer jams"):
    return services.create_incident(actor=cast.end_user, title=title)


def test_a_change_and_its_mail_are_one_transaction(cast):
    incident = report(cast)
    [message] = OutboxMessage.objects.all()
    assert (message.key, message.handler) == (f"incident-mail:{incident.pk}:acknowledgement:",
                                              "incidents.notifications.send_incident_mail")
    assert message.payload == {"incident_id": incident.pk, "kind": "acknowledgement", "comment_id": None}

    with pytest.raises(RuntimeError), transaction.atomic():
        report(cast, "Rolled back")
        raise RuntimeError("the change fails after the mail was queued")
    assert OutboxMessage.objects.count() == 1  # no mail for a change that did not happen


def test_the_relay_mails_once_however_often_it_runs(cast, smtp_settings):
    incident = report(cast)
    assert outbox.relay() == (1, False)
    assert outbox.relay() == (0, False)
    [mail] = smtp_settings.received
    assert subject_of(mail) == f"[{incident.number}] We have received your report: Printer jams"
    assert not outbox.pending().exists()
    outbox.enqueue("incidents.notifications.send_incident_mail",
                   {"incident_id": incident.pk, "kind": "acknowledgement", "comment_id": None},
                   key=f"incident-mail:{incident.pk}:acknowledgement:")  # the same effect queued again
    assert OutboxMessage.objects.count() == 1
    OutboxMessage.objects.update(done_at=None, available_at=timezone.now())  # a relay that died before marking it
    assert outbox.relay() == (1, False)
    assert len(smtp_settings.received) == 1  # the mail's own key (core.notify) keeps it to one


def test_a_failed_mail_stays_in_the_outbox_and_is_sent_later(cast, smtp_settings, settings):
    incident = report(cast)
    settings.EMAIL_PORT = 1  # SMTP down
    assert outbox.relay() == (0, False)
    message = OutboxMessage.objects.get()
    assert message.done_at is None and message.attempts == 1 and "Connection refused" in message.last_error
    assert message.available_at > timezone.now()  # a pause before the next try
    assert outbox.relay() == (0, False)  # not tried again during the pause
    assert not Notification.objects.exists()

    settings.EMAIL_PORT = smtp_settings.port
    OutboxMessage.objects.update(available_at=timezone.now() - timedelta(seconds=1))
    assert outbox.relay() == (1, False)
    [mail] = smtp_settings.received
    assert incident.number in subject_of(mail)
    message.refresh_from_db()
    assert message.done_at is not None and message.attempts == 2 and message.last_error == ""


def test_pauses_grow_and_are_bounded():
    assert [outbox._pause(n).total_seconds() for n in (1, 2, 3, 10, 50)] == [5, 10, 20, 600, 600]


def test_the_relay_leaves_the_message_when_the_database_fails(cast, monkeypatch):
    report(cast)

    def database_away(**payload):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("incidents.notifications.send_incident_mail", database_away)
    with pytest.raises(OperationalError):  # the relay task retries (BaseTask)
        outbox.relay()
    message = OutboxMessage.objects.get()
    assert message.done_at is None and message.available_at > timezone.now()  # leased: back after the lease


attempts = []


@app.task(base=BaseTask, name="tests.test_outbox.flaky")
def flaky(failures, error):
    attempts.append(error)
    if len(attempts) <= failures:
        raise {"operational": OperationalError, "redis": _redis_error(), "kombu": _kombu_error()}[error]("blinked")
    return len(attempts)


def _redis_error():
    import redis

    return redis.exceptions.ConnectionError


def _kombu_error():
    import kombu.exceptions

    return kombu.exceptions.OperationalError


@pytest.mark.parametrize("error", ["operational", "redis", "kombu"])
def test_tasks_retry_on_the_transient_errors_they_meet(error):
    attempts.clear()
    app.conf.task_always_eager = True
    try:
        assert flaky.delay(2, error).get() == 3  # failed twice, retried, then done
    finally:
        app.conf.task_always_eager = False
    assert attempts == [error] * 3


def test_work_too_long_for_the_relay_is_handed_to_the_broker_once(db):
    attempts.clear()
    outbox.enqueue("core.outbox.publish_task", {"task": "tests.test_outbox.flaky", "args": [0, "kombu"]},
                   key="long-work:1")
    app.conf.task_always_eager = True  # the published task runs here, as a worker would run it
    try:
        assert outbox.relay() == (1, False) and outbox.relay() == (0, False)
    finally:
        app.conf.task_always_eager = False
    assert attempts == ["kombu"]


def test_carried_out_messages_are_forgotten_after_a_week(cast):
    report(cast, "Old")
    report(cast, "Waiting")
    OutboxMessage.objects.filter(payload__incident_id=Incident.objects.get(title="Old").pk).update(
        done_at=timezone.now() - timedelta(days=8))
    assert outbox.prune() == 1
    assert outbox.pending().count() == 1 and OutboxMessage.objects.count() == 1
