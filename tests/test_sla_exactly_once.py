"""Each escalation step happens exactly once per clock: with real workers and beats against Redis, when a worker is
killed (SIGKILL) mid-escalation or mid-mail, when a task is delivered twice, and when two scans run at once."""

import asyncio
import os
import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.models import Notification
from incidents.choices import Impact, Priority, State, Urgency
from incidents.models import Incident, IncidentEvent, next_numbers
from sla import escalation, notifications, recompute, tasks
from sla.models import ClockThresholdEvent, SLAClock
from tests.factories import AssignmentGroupFactory
from tests.mail import body_of, subject_of
from tests.processes import start_process, stop, wait_until
from tests.sla_helpers import ALL_DAY, make_agreement, make_calendar, step, targets


def notices_mailed(received):
    """(recipient, notice subject) of every notice delivered by mail: one by one, or listed in a digest (many to one
    person at once, core.notify.notify_each)."""
    found = []
    for message in received:
        subject = subject_of(message)
        if subject.startswith("["):
            found.append((message["To"], subject))
        else:
            found += [(message["To"], line[2:]) for line in body_of(message).splitlines() if line.startswith("- [")]
    return found

pytestmark = pytest.mark.django_db(transaction=True)
H = timedelta(hours=1)
CHECKPOINTS = [75, 90, 100]


@pytest.fixture
def second_line(cast):
    return AssignmentGroupFactory(name="Second line", lead=cast.lead)


@pytest.fixture
def agreement(cast, second_line):
    """24 × 7; resolution 4 h at P3 and P2. 75 %: tell the assignee; breach: tell the lead, reassign, raise."""
    return make_agreement(
        cast.admin, make_calendar(cast.admin, name="24x7", periods=ALL_DAY), name="Gold",
        target_rows=targets(P3_resolution=4 * H, P2_resolution=4 * H),
        steps=[step(75, "notify_assignee"), step(100, "notify_group_lead"),
               step(100, "reassign", target_group=second_line), step(100, "raise_priority")],
    )


def overdue_incidents(cast, agreement, count, overdue_by=5 * H, due=True):
    """`count` incidents in progress (the cast's agent works them) whose resolution clocks are past every threshold.

    Written in bulk (the services would take a second per dozen); the clocks are then scheduled by the engine.
    """
    start = timezone.now() - overdue_by
    incidents = Incident.objects.bulk_create([
        Incident(number=number, title=f"Down {number}", requester=cast.end_user, logged_by=cast.agent,
                 organisation=cast.org, state=State.IN_PROGRESS, impact=Impact.MODERATE, urgency=Urgency.MEDIUM,
                 priority=Priority.P3, assignment_group=cast.group, assignee=cast.agent)
        for number in next_numbers(count)
    ])
    SLAClock.objects.bulk_create([
        SLAClock(incident=incident, sla=agreement, metric="resolution", target=4 * H, started_at=start,
                 segment_started_at=start, sla_kind=agreement.kind, priority=Priority.P3,
                 assignment_group=cast.group, organisation=cast.org)
        for incident in incidents
    ])
    recompute.recompute_agreement(agreement.pk)
    assert SLAClock.objects.filter(next_check_at__lte=timezone.now()).count() == (count if due else 0)
    return incidents


def assert_escalated_once(cast, incidents, second_line):
    ids = [incident.pk for incident in incidents]
    events = ClockThresholdEvent.objects.filter(clock__incident_id__in=ids)
    assert events.count() == len(ids) * len(CHECKPOINTS)
    for clock in SLAClock.objects.filter(incident_id__in=ids):
        assert sorted(clock.threshold_events.values_list("threshold_percent", flat=True)) == CHECKPOINTS
        assert clock.breached and clock.handled_percent == 100
    for incident in Incident.objects.filter(pk__in=ids):
        assert (incident.assignment_group_id, incident.priority, incident.version) == (second_line.pk, Priority.P2, 2)
    escalations = IncidentEvent.objects.filter(pgh_obj_id__in=ids, pgh_context__metadata__action="sla_escalation")
    assert escalations.count() == len(ids)  # reassigned and raised in one change each, never more
    keys = [f"sla:{c}:1:{p}" for c in SLAClock.objects.filter(incident_id__in=ids).values_list("pk", flat=True)
            for p in (75, 100)]
    sent = Notification.objects.filter(key__in=keys)
    assert sent.count() == len(keys)
    assert set(sent.filter(key__endswith=":75").values_list("recipient", flat=True)) == {cast.agent.pk}
    assert set(sent.filter(key__endswith=":100").values_list("recipient", flat=True)) == {cast.lead.pk}


def locked_elsewhere(incident_id):
    """True while another session holds the incident's row lock (the worker is mid-escalation)."""
    try:
        with transaction.atomic():
            list(Incident.objects.select_for_update(nowait=True).filter(pk=incident_id))
        return False
    except DatabaseError:
        return True


@pytest.mark.slow
def test_two_beats_and_two_workers_escalate_each_breach_once(cast, agreement, second_line, smtp_settings,
                                                             celery_worker_process, tmp_path):
    env = {**celery_worker_process.env, "SLA_SCAN_INTERVAL_SECONDS": "1"}
    incidents = overdue_incidents(cast, agreement, 40)
    others = [start_process("worker", env, tmp_path, "worker2"), start_process("beat", env, tmp_path, "beat1"),
              start_process("beat", env, tmp_path, "beat2")]
    try:
        def all_notified():
            return ClockThresholdEvent.objects.count() == 120 and not ClockThresholdEvent.objects.filter(
                notified_at__isnull=True).exists()

        assert wait_until(all_notified, [celery_worker_process.process, *others], timeout=90), \
            "the beats and workers did not escalate every breach"
        time.sleep(3)  # several more ticks of both beats: nothing more may happen
    finally:
        stop(*others)
    assert_escalated_once(cast, incidents, second_line)
    mailed = notices_mailed(smtp_settings.received)  # 40 warnings to the agent, 40 breaches to the lead, once each
    assert len(mailed) == len(set(mailed)) == 80


@pytest.mark.slow
@pytest.mark.parametrize("celery_worker_process", [{"SLA_TEST_PAUSE_BEFORE_COMMIT": "120"}], indirect=True)
def test_a_worker_killed_mid_escalation_leaves_nothing_and_the_next_does_it_once(
        cast, agreement, second_line, smtp_settings, celery_worker_process, tmp_path):
    [incident] = overdue_incidents(cast, agreement, 1)
    tasks.scan_clocks.delay()
    first = celery_worker_process.process
    assert wait_until(lambda: locked_elsewhere(incident.pk), [first], timeout=60), "the escalation did not start"
    first.send_signal(signal.SIGKILL)  # mid-escalation: reassigned and raised, not committed
    first.wait(10)
    assert wait_until(lambda: not locked_elsewhere(incident.pk), timeout=30)
    assert not ClockThresholdEvent.objects.exists()
    assert Incident.objects.get(pk=incident.pk).assignment_group_id == cast.group.pk
    assert not Notification.objects.exists()

    env = {key: value for key, value in celery_worker_process.env.items() if key != "SLA_TEST_PAUSE_BEFORE_COMMIT"}
    second = start_process("worker", env, tmp_path, "worker2")
    try:
        tasks.scan_clocks.delay()
        tasks.scan_clocks.delay()  # and the same task delivered twice
        assert wait_until(lambda: Notification.objects.count() == 2, [second], timeout=60)
        time.sleep(2)
    finally:
        stop(second)
    assert_escalated_once(cast, [incident], second_line)
    assert sorted(m["To"] for m in smtp_settings.received) == sorted([cast.agent.email, cast.lead.email])


class SlowFirstMessage:
    """An SMTP handler that stalls on the first message (and never keeps it, as a server that never answered
    250 would not), then accepts every later one at once."""

    def __init__(self):
        self.received, self.stalled = [], threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(60)
            return "451 Try again later"
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def slow_smtp(settings):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = SlowFirstMessage()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        yield handler
    finally:
        controller.stop()


@pytest.mark.slow
@pytest.mark.parametrize("celery_worker_process", [{"SLA_NOTICE_RESEND_SECONDS": "2"}], indirect=True)
def test_a_worker_killed_mid_mail_is_covered_by_the_outbox(cast, agreement, slow_smtp, celery_worker_process,
                                                          tmp_path):
    [incident] = overdue_incidents(cast, agreement, 1, overdue_by=3.7 * H)  # past 75 and 90 %: one mail, the agent's
    tasks.scan_clocks.delay()
    first = celery_worker_process.process
    assert wait_until(slow_smtp.stalled.is_set, [first], timeout=60), "no mail was attempted"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    event = ClockThresholdEvent.objects.get(threshold_percent=75)
    assert event.notified_at is None and not Notification.objects.exists()

    env = {**celery_worker_process.env, "SLA_SCAN_INTERVAL_SECONDS": "1"}
    second, beat = start_process("worker", env, tmp_path, "worker2"), start_process("beat", env, tmp_path, "beat")
    try:
        assert wait_until(lambda: ClockThresholdEvent.objects.filter(notified_at__isnull=False).count() == 2,
                          [second, beat], timeout=60)
        time.sleep(4)  # more sweeps: nothing more
    finally:
        stop(second, beat)
    assert [envelope.rcpt_tos for envelope in slow_smtp.received] == [[cast.agent.email]]
    assert Notification.objects.get().key == notifications.notice_key(event)
    assert Incident.objects.get(pk=incident.pk).version == 1  # no record step below 100 %
    assert incident.assignment_group_id == cast.group.pk


def test_the_same_tasks_delivered_twice_do_everything_once(cast, agreement, second_line, smtp_settings):
    from itsm.celery import app

    incidents = overdue_incidents(cast, agreement, 3)
    app.conf.task_always_eager = True
    try:
        first, again = tasks.scan_clocks(), tasks.scan_clocks()
        events = list(ClockThresholdEvent.objects.values_list("pk", flat=True))
        assert tasks.send_threshold_notices(events) == 0 and tasks.send_threshold_notices(events) == 0
    finally:
        app.conf.task_always_eager = False
    assert (first["events"], again["events"]) == (9, 0)
    assert_escalated_once(cast, incidents, second_line)
    assert len(smtp_settings.received) == 6


def test_two_scans_at_once_escalate_each_breach_once(cast, agreement, second_line, smtp_settings, monkeypatch):
    incidents = overdue_incidents(cast, agreement, 600)  # six batches of 100: both scans loop
    barrier, results, errors, queued = threading.Barrier(2), [], [], []
    # The notices each scan queues after its commits are collected here and sent afterwards (Celery's eager mode is
    # not thread-safe: its "no join inside a task" flag is a process global).
    monkeypatch.setattr(escalation, "queue_notices", queued.extend)

    def run():
        try:
            barrier.wait()
            results.append(escalation.scan_due_clocks(batch_size=100))
        except Exception as exc:  # noqa: BLE001 - reported on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == []
    assert len(results) == 2 and sum(r.events for r in results) == 3 * 600, results
    assert len(queued) == len(set(queued)) == 2 * 600  # each event queued once: the 75 % and the breach notices
    assert notifications.send_threshold_notices(queued) == 2 * 600
    assert_escalated_once(cast, incidents, second_line)
    mailed = notices_mailed(smtp_settings.received)
    assert len(mailed) == len(set(mailed)) == 2 * 600
    assert len(smtp_settings.received) == 2  # one digest to the agent (the warnings), one to the lead (the breaches)


def test_nothing_due_is_a_quiet_tick(cast, agreement):
    overdue_incidents(cast, agreement, 2, overdue_by=H, due=False)  # 25 % used: not due yet
    assert escalation.scan_due_clocks().as_dict() == {"clocks": 0, "events": 0, "deferred": 0, "batches": 1}
    assert os.environ.get("SLA_TEST_PAUSE_BEFORE_COMMIT") is None
