"""Resolved incidents close themselves: through a real `celery beat` and worker, and safely when runs overlap."""

import os
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from incidents.choices import ResolutionCode, State
from incidents.models import Incident, IncidentEvent, next_numbers
from incidents.services import auto_close_resolved
from tests.factories import IncidentFactory, Role, UserFactory
from tests.processes import start_process, stop

pytestmark = pytest.mark.django_db(transaction=True)


def resolved_incident(requester, days_ago, **fields):
    return IncidentFactory(requester=requester, state=State.RESOLVED, resolution_code=ResolutionCode.SOLVED,
                           resolution_notes="Fixed.", resolved_at=timezone.now() - timedelta(days=days_ago),
                           **fields)


def closing_events(incident_ids):
    return IncidentEvent.objects.filter(pgh_obj_id__in=incident_ids, pgh_label="update", state=State.CLOSED)


@pytest.fixture
def beat_process(celery_worker_process, tmp_path):
    """A real `celery beat` firing the auto-close task every second into the worker's queue."""
    proc = start_process("beat", {**celery_worker_process.env, "AUTO_CLOSE_INTERVAL_SECONDS": "1"}, tmp_path, "beat")
    try:
        yield proc
    finally:
        stop(proc)


@pytest.mark.slow
def test_beat_and_worker_close_old_resolved_incidents(smtp_settings, celery_worker_process, beat_process):
    requester = UserFactory(role=Role.END_USER)
    days = django_settings.INCIDENT_AUTO_CLOSE_DAYS
    old = resolved_incident(requester, days_ago=days + 1)
    recent = resolved_incident(requester, days_ago=days - 1)

    def closed():
        if beat_process.poll() is not None:
            beat_process.log.seek(0)
            raise AssertionError(f"celery beat died: {beat_process.log.read().decode()[-2000:]}")
        return Incident.objects.get(pk=old.pk).state == State.CLOSED

    assert celery_worker_process(closed, timeout=60), "the old resolved incident was not closed by beat + worker"
    # The requester hears of it: a second task, queued after the close committed, mails through the real server.
    assert celery_worker_process(lambda: len(smtp_settings.received) == 1, timeout=30)
    assert "Closed" in smtp_settings.received[0]["Subject"]

    old.refresh_from_db()
    assert old.closed_at is not None and old.version == 2
    [event] = closing_events([old.pk])
    assert event.pgh_context.metadata == {"user": None, "action": "auto_close"}
    assert Incident.objects.get(pk=recent.pk).state == State.RESOLVED


@pytest.fixture
def throwaway_queue(settings):
    """Mails queued after commit go to a queue of this test's own, deleted afterwards (nobody consumes it)."""
    from itsm.celery import app

    queue = f"test-throwaway-{os.getpid()}"
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        # kombu's queue_delete only forgets bindings this process declared; remove the Redis keys themselves.
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_two_runs_at_once_close_each_incident_once(throwaway_queue):
    requester = UserFactory(role=Role.END_USER)
    resolved_at = timezone.now() - timedelta(days=django_settings.INCIDENT_AUTO_CLOSE_DAYS + 1)
    count = 250  # more than one batch of 200, so both runs loop
    Incident.objects.bulk_create([
        Incident(number=number, title=f"Old {number}", requester=requester, logged_by=requester,
                 state=State.RESOLVED, resolved_at=resolved_at, resolution_code=ResolutionCode.SOLVED)
        for number in next_numbers(count)
    ])
    ids = list(Incident.objects.values_list("pk", flat=True))
    start, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            start.wait()
            results.append(auto_close_resolved())
        except Exception as exc:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(results) == count
    assert not Incident.objects.exclude(state=State.CLOSED).exists()
    events = closing_events(ids)
    assert events.count() == count
    assert events.values("pgh_obj_id").distinct().count() == count
    assert set(Incident.objects.values_list("version", flat=True)) == {2}


def test_nothing_to_close_is_a_quiet_no_op(throwaway_queue):
    requester = UserFactory(role=Role.END_USER)
    recent = resolved_incident(requester, days_ago=0.5)
    in_progress = IncidentFactory(requester=requester, state=State.IN_PROGRESS)
    assert auto_close_resolved() == 0
    assert set(Incident.objects.values_list("state", flat=True)) == {State.RESOLVED, State.IN_PROGRESS}
    assert not closing_events([recent.pk, in_progress.pk]).exists()
