"""core/db/base.py: in a web request, a database call that outlives DB_WEB_QUERY_TIMEOUT is abandoned (its socket
shut), and reconnecting is not tried again for as long; outside requests nothing is bounded."""

import time

import pytest
from django import db
from django.db import connection

from core.db.base import enter_request, leave_request


@pytest.fixture
def in_a_request(settings):
    settings.DB_WEB_QUERY_TIMEOUT = 0.5
    enter_request()
    try:
        yield
    finally:
        leave_request()
        connection.close()
        connection.unreachable_until = 0.0  # the test database is still needed for the teardown


@pytest.mark.django_db(transaction=True)
def test_a_call_outliving_its_limit_is_abandoned_and_not_retried_at_once(in_a_request):
    started = time.monotonic()
    with pytest.raises(db.OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2
    connection.close()
    started = time.monotonic()
    with pytest.raises(db.OperationalError, match="did not answer in time"):
        connection.ensure_connection()
    assert time.monotonic() - started < 0.2


@pytest.mark.django_db(transaction=True)
def test_calls_within_the_limit_and_outside_requests_are_untouched(settings):
    settings.DB_WEB_QUERY_TIMEOUT = 0.5
    with connection.cursor() as cursor:  # not in a request: a celery task or a command may run long statements
        cursor.execute("SELECT pg_sleep(0.8), 1")
        assert cursor.fetchone()[1] == 1
    enter_request()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.1), 2")
            assert cursor.fetchone()[1] == 2
    finally:
        leave_request()
