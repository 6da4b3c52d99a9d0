"""The cache fails open (core.cache.FailOpenRedisCache): with Redis refusing or hung, the API answers at once and its
throttle lets requests through; with Redis up, the throttle still counts."""

import socket
import time

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from core import cache as fail_open


@pytest.fixture(autouse=True)
def breaker_closed():
    fail_open._open_until["at"] = 0.0
    yield
    fail_open._open_until["at"] = 0.0


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})


def cache_at(settings, location, prefix):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": location, "KEY_PREFIX": prefix}}


@pytest.fixture
def refusing(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache_at(settings, f"redis://127.0.0.1:{port}/0", "refusing")


@pytest.fixture
def hung(settings):
    """A server that accepts connections (the kernel does) but never answers, as a frozen Valkey."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        cache_at(settings, f"redis://127.0.0.1:{server.getsockname()[1]}/0", "hung")
        yield


def api_list(user, times):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    answers = []
    for _ in range(times):
        started = time.monotonic()
        answers.append((client.get("/api/v1/incidents/").status_code, time.monotonic() - started))
    return answers


def test_with_redis_up_the_throttle_counts(cast, two_a_minute, settings):
    cache_at(settings, settings.CACHES["default"]["LOCATION"], f"up-{time.monotonic_ns()}")
    assert [status for status, _took in api_list(cast.agent, 3)] == [200, 200, 429]


@pytest.mark.parametrize("redis_state", ["refusing", "hung"])
def test_with_redis_away_the_api_answers_at_once_unthrottled(cast, two_a_minute, redis_state, request):
    request.getfixturevalue(redis_state)
    answers = api_list(cast.agent, 5)
    assert [status for status, _took in answers] == [200] * 5
    assert max(took for _status, took in answers) < 1.0
    assert sum(took for _status, took in answers) < 2.0  # the breaker: one timeout, not one per request


def test_cache_calls_answer_a_miss_while_redis_is_away(hung):
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 1) is False and cache.incr("k", 3) == 3 and cache.get_many(["k"]) == {}
    assert cache.set_many({"a": 1}) == ["a"] and cache.get_or_set("k", 7) == 7
    assert time.monotonic() - started < 1.0
    assert not fail_open.cache_available()
