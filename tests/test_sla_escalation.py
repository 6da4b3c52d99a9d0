"""Warnings, breaches and escalation steps, run by the scan in this process: what is done, to whom, in which
language, and that a busy record, a failing step or a lost notification task never doubles or drops anything.

Mail goes through Django's SMTP backend to a real SMTP server on loopback (`smtp_settings`); Celery tasks run eagerly
so that the after-commit path (queue → task → core.notify) is the one production takes.
"""

import smtplib
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from core.models import Notification
from incidents import services
from incidents.choices import Action, Priority
from incidents.models import Incident, IncidentEvent
from sla import escalation, notifications
from sla.choices import ClockState
from sla.models import ClockThresholdEvent, SLAClock
from tests.factories import AssignmentGroupFactory
from tests.mail import body_of, subject_of
from tests.sla_helpers import (
    ALL_DAY,
    at,
    make_agreement,
    make_calendar,
    report,
    step,
    targets,
)

H = timedelta(hours=1)



T0 = at(2025, 6, 2, 9)


@pytest.fixture
def eager_tasks():
    from itsm.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def second_line(db):
    return AssignmentGroupFactory(name="Second line")


@pytest.fixture
def agreement(cast, second_line):
    """Around the clock; resolution 4 h at P3 (2 h at P2); warnings to the assignee and the lead, a breach escalated."""
    return make_agreement(
        cast.admin, make_calendar(cast.admin, name="24x7", periods=ALL_DAY), name="Gold",
        target_rows=targets(P3_resolution=4 * H, P2_resolution=2 * H),
        steps=[step(75, "notify_assignee", "resolution"), step(90, "notify_group_lead", "resolution"),
               step(100, "notify_managers"), step(100, "reassign", target_group=second_line),
               step(100, "raise_priority")],
    )


def scan(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return escalation.scan_due_clocks()


def test_each_threshold_is_handled_once_in_order(cast, agreement, second_line, frozen, smtp_settings, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    cast.lead.language = "zh-hans"
    cast.lead.save()
    frozen.set(T0)
    incident = report(cast)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)

    frozen.set(T0 + 3 * H)  # 75 %
    assert scan(django_capture_on_commit_callbacks).events == 1
    assert scan(django_capture_on_commit_callbacks).events == 0  # a second scan (or a second delivery) adds nothing
    [warning] = smtp_settings.received
    assert warning["To"] == cast.agent.email
    assert subject_of(warning) == f"[{incident.number}] Warning: 75 % of the resolution target used (Gold)"
    assert "Priority: P3 General" in body_of(warning) and "Due: 2025-06-02 13:00 (Asia/Shanghai)" in body_of(warning)

    frozen.set(T0 + 3.6 * H)  # 90 %: the lead, who reads Chinese
    scan(django_capture_on_commit_callbacks)
    lead_mail = smtp_settings.received[1]
    assert lead_mail["To"] == cast.lead.email and "优先级" in body_of(lead_mail) and "处理组" in body_of(lead_mail)

    frozen.set(T0 + 4 * H + timedelta(seconds=5))  # breach
    assert scan(django_capture_on_commit_callbacks).events == 1
    clock = SLAClock.objects.get(incident=incident, metric="resolution")
    assert clock.breached and clock.breached_at == T0 + 4 * H and clock.handled_percent == 100
    assert clock.next_check_at is None and clock.status == "breached"
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee, incident.priority) == (second_line, None, Priority.P2)
    assert clock.priority == Priority.P2 and clock.target == 2 * H and clock.assignment_group_id == second_line.pk
    # The threshold's record steps are one recorded change of the incident.
    [escalated] = IncidentEvent.objects.filter(pgh_obj_id=incident.pk, pgh_context__metadata__action="sla_escalation")
    assert (escalated.assignment_group_id, escalated.priority) == (second_line.pk, Priority.P2)
    breach = ClockThresholdEvent.objects.get(clock=clock, threshold_percent=100)
    assert breach.notified_at is not None and breach.reached_at == T0 + 4 * H
    assert [a["action"] for a in breach.actions] == ["notify_managers", "reassign", "raise_priority"]
    assert all(a["done"] for a in breach.actions if a["action"] in ("reassign", "raise_priority"))
    manager_mail = smtp_settings.received[2]
    assert manager_mail["To"] == cast.manager.email
    assert subject_of(manager_mail) == f"[{incident.number}] Resolution target breached (Gold)"
    assert "- Reassign to a group" in body_of(manager_mail) and "- Raise the priority" in body_of(manager_mail)

    frozen.advance(hours=5)
    assert scan(django_capture_on_commit_callbacks).events == 0
    assert len(smtp_settings.received) == 3
    assert Notification.objects.filter(key__startswith="sla:").count() == 3
    assert list(ClockThresholdEvent.objects.filter(clock=clock).values_list("threshold_percent", flat=True)) == [
        75, 90, 100]


def test_nobody_assigned_means_the_lead_hears_it(cast, agreement, frozen, smtp_settings, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    frozen.set(T0)
    report(cast)  # assigned to the group, nobody has taken it
    frozen.set(T0 + 3 * H)
    scan(django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp_settings.received] == [cast.lead.email]


def test_raising_priority_early_can_bring_the_breach_at_once(cast, second_line, frozen, eager_tasks,
                                                             django_capture_on_commit_callbacks):
    make_agreement(cast.admin, make_calendar(cast.admin, name="24x7", periods=ALL_DAY),
                   target_rows=targets(P3_resolution=4 * H, P2_resolution=2 * H),
                   steps=[step(75, "raise_priority", "resolution")])
    frozen.set(T0)
    incident = report(cast)
    frozen.set(T0 + 3 * H)
    scan(django_capture_on_commit_callbacks)  # 75 % of 4 h; at P2 the 3 h used are past 2 h
    clock = SLAClock.objects.get(incident=incident, metric="resolution")
    assert clock.target == 2 * H and clock.next_check_at == T0 + 1.8 * H and not clock.breached  # 90 % of 2 h
    scan(django_capture_on_commit_callbacks)  # the next tick sees it due: 90 % and 100 %, and no second raise
    clock.refresh_from_db()
    assert clock.breached and clock.handled_percent == 100
    assert Incident.objects.get(pk=incident.pk).priority == Priority.P2


def test_a_failing_step_is_recorded_and_the_others_still_happen(cast, agreement, second_line, frozen, smtp_settings,
                                                                eager_tasks, django_capture_on_commit_callbacks):
    frozen.set(T0)
    incident = report(cast)
    second_line.is_active = False
    second_line.save()
    frozen.set(T0 + 5 * H)
    scan(django_capture_on_commit_callbacks)
    breach = ClockThresholdEvent.objects.get(clock__incident=incident, threshold_percent=100)
    by_action = {a["action"]: a for a in breach.actions}
    assert by_action["reassign"]["done"] is False and "no longer active" in by_action["reassign"]["error"]
    assert by_action["raise_priority"]["done"] is True
    incident.refresh_from_db()
    assert incident.assignment_group == cast.group and incident.priority == Priority.P2
    assert cast.manager.email in [m["To"] for m in smtp_settings.received]
    assert escalation.scan_due_clocks(now=T0 + 6 * H).events == 0


def test_a_lost_notification_task_is_sent_by_the_outbox_sweep(cast, agreement, frozen, smtp_settings, eager_tasks,
                                                              monkeypatch, django_capture_on_commit_callbacks):
    from sla import tasks

    frozen.set(T0)
    incident = report(cast)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    frozen.set(T0 + 3 * H)

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(tasks.send_threshold_notices, "delay", broker_down)
    scan(django_capture_on_commit_callbacks)
    event = ClockThresholdEvent.objects.get(clock__incident=incident)
    assert event.notified_at is None and event.notice_queued_at == frozen.now and not smtp_settings.received
    assert escalation.requeue_unsent_notices() == 0  # too recent: perhaps still on its way
    monkeypatch.undo()
    frozen.advance(minutes=3)
    assert escalation.requeue_unsent_notices() == 1
    assert [m["To"] for m in smtp_settings.received] == [cast.agent.email]
    assert escalation.requeue_unsent_notices() == 0
    # The same task delivered twice more sends nothing more.
    assert notifications.send_threshold_notices([event.pk]) == 0
    ClockThresholdEvent.objects.filter(pk=event.pk).update(notified_at=None)
    assert notifications.send_threshold_notices([event.pk]) == 0
    assert len(smtp_settings.received) == 1


def test_pausing_removes_the_clock_from_the_scan(cast, agreement, frozen, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    frozen.set(T0)
    incident = report(cast)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    frozen.set(T0 + 2 * H)
    services.transition_incident(incident, Action.PEND_USER, actor=cast.agent, comment="Which printer?")
    frozen.set(T0 + 10 * H)
    assert scan(django_capture_on_commit_callbacks).clocks == 0
    clock = SLAClock.objects.get(incident=incident, metric="resolution")
    assert clock.state == ClockState.PAUSED and not clock.breached


@pytest.mark.django_db(transaction=True)
def test_a_clock_whose_incident_is_busy_waits_for_the_next_tick(cast, agreement, second_line, frozen, eager_tasks,
                                                                smtp_settings):
    frozen.set(T0)
    incident = report(cast)
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def agent_saving_the_incident():
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()
            done.set()

    holder = threading.Thread(target=agent_saving_the_incident)
    holder.start()
    try:
        assert locked.wait(10)
        frozen.set(T0 + 5 * H)
        result = escalation.scan_due_clocks()  # never waits for the agent's lock
        assert result.deferred == 1 and result.events == 0
        assert not ClockThresholdEvent.objects.filter(clock__incident=incident).exists()
    finally:
        release.set()
        holder.join(30)
    result = escalation.scan_due_clocks()
    assert result.events == 3 and Incident.objects.get(pk=incident.pk).assignment_group == second_line


def test_a_burst_to_one_person_is_one_digest_mail_and_each_notice_in_the_portal(
        cast, second_line, frozen, smtp_settings, eager_tasks, django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATION_DIGEST_FROM = 5
    cast.lead.language = "zh-hans"
    cast.lead.save()
    make_agreement(cast.admin, make_calendar(cast.admin, name="24x7", periods=ALL_DAY), name="Gold",
                   target_rows=targets(P3_resolution=4 * H), steps=[step(100, "notify_group_lead", "resolution")])
    frozen.set(T0)
    incidents = [report(cast, title=f"Printer {n}") for n in range(6)]
    frozen.set(T0 + 5 * H)
    scan(django_capture_on_commit_callbacks)
    assert ClockThresholdEvent.objects.filter(threshold_percent=100).count() == 6
    [digest] = smtp_settings.received
    assert digest["To"] == cast.lead.email
    assert subject_of(digest) == "6 个服务级别警告或违约"
    body = body_of(digest)
    assert all(incident.number in body and f"/desk/incidents/{incident.number}/" in body for incident in incidents)
    notes = Notification.objects.filter(recipient=cast.lead).order_by("key")
    assert notes.count() == 6 and all("违约" in note.subject for note in notes)
    assert {note.url for note in notes} == {f"/desk/incidents/{incident.number}/" for incident in incidents}

    # The outbox sweep or a second delivery of the task adds nothing: every event was served.
    assert not ClockThresholdEvent.objects.filter(notified_at__isnull=True).exists()
    notifications.send_threshold_notices(list(ClockThresholdEvent.objects.values_list("pk", flat=True)))
    assert len(smtp_settings.received) == 1 and Notification.objects.filter(recipient=cast.lead).count() == 6


def test_a_refused_digest_leaves_its_notices_in_the_outbox(cast, second_line, frozen, smtp_settings, settings):
    settings.NOTIFICATION_DIGEST_FROM = 2
    make_agreement(cast.admin, make_calendar(cast.admin, name="24x7", periods=ALL_DAY), name="Gold",
                   target_rows=targets(P3_resolution=4 * H), steps=[step(100, "notify_group_lead", "resolution")])
    frozen.set(T0)
    report(cast)
    report(cast)
    frozen.set(T0 + 5 * H)
    escalation.scan_due_clocks()
    smtp_settings.handler.refuse = True  # the mail server refuses the lead's mailbox
    events = list(ClockThresholdEvent.objects.values_list("pk", flat=True))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        notifications.send_threshold_notices(events)
    assert not Notification.objects.exists()  # the portal notices rolled back with the mail: the retry sends both
    assert ClockThresholdEvent.objects.filter(notified_at__isnull=True).count() == 2
    smtp_settings.handler.refuse = False
    assert notifications.send_threshold_notices(events) == 2
    assert len(smtp_settings.received) == 1 and Notification.objects.count() == 2
