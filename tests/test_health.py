"""/health/: 200 when the database, the broker and a worker of the portal's queue answer; 503 naming what is down."""

import socket

import pytest

from itsm.celery import app


def _dead_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on return: nothing listens there


@pytest.mark.slow
def test_all_up_answers_200(client, celery_worker_process):
    # A fresh worker may take a moment before it answers control messages.
    answers = []

    def healthy():
        answers.append(client.get("/health/"))
        return answers[-1].status_code == 200

    assert celery_worker_process(healthy, timeout=30)
    body = answers[-1].json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["checks"]["workers"]["count"] >= 1


@pytest.mark.django_db
def test_dead_broker_answers_503_naming_broker(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_dead_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert "broker" in body["down"]
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_no_worker_answers_503_naming_workers(client):
    # A queue nobody consumes: workers other tests run on the same broker serve other queues and do not count.
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = "health-test-queue-without-worker"
    try:
        response = client.get("/health/")
    finally:
        app.conf.task_default_queue = previous
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert body["checks"]["broker"]["ok"] is True
    assert "health-test-queue-without-worker" in body["checks"]["workers"]["error"]
