"""A Redis cache that fails open: with Redis/Valkey stopped or hung, the cache answers "nothing cached" at once.

Everything the portal keeps in the cache can be lost (API throttle counters, rate limits, computed fragments), so an
outage must cost nothing but the cache. Django's RedisCache raises redis-py's errors into the request (every API call
answered 500 with Valkey stopped, because DRF's throttle reads the cache on each request) and waits as long as the
socket lets it (5–10 s with Valkey frozen). This backend:

- uses short socket timeouts (settings.CACHES OPTIONS, see itsm/settings.py);
- answers a miss (`get` → default, `add`/`set` → False, `incr` → delta) when Redis errs, and logs one warning;
- after an error, does not ask Redis again for `BREAKER_SECONDS` in this process (a circuit breaker), so a hung
  Valkey costs one socket timeout per process every few seconds, not one per cache call.

Anything that counts with the cache (throttles, rate limits) therefore lets requests through while Redis is away.
Use it as `core.cache.FailOpenRedisCache` in CACHES; `cache_available()` says whether the breaker is closed.
"""

import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 5.0
# The errors of a Redis that is away or hung: refused, reset, timed out, loading, read-only replica.
REDIS_ERRORS = (redis.RedisError, OSError)

_open_until = {"at": 0.0, "warned": 0.0}  # per process: any thread's failure opens the breaker for all of them


def cache_available():
    """False while the breaker is open (Redis failed in the last BREAKER_SECONDS in this process)."""
    return time.monotonic() >= _open_until["at"]


def _fail_open(method, miss):
    """Wrap a RedisCache method: on a Redis error (or with the breaker open) answer `miss(*args, **kwargs)`."""

    def wrapper(self, *args, **kwargs):
        if not cache_available():
            return miss(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except REDIS_ERRORS as exc:
            _open_until["at"] = time.monotonic() + BREAKER_SECONDS
            if _open_until["warned"] < time.monotonic() - 60:  # one warning a minute, not one per request
                _open_until["warned"] = time.monotonic()
                logger.warning("Cache unavailable, answering without it for %.0f s: %s", BREAKER_SECONDS, exc)
            return miss(*args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _default(key, default=None, version=None):
    return default


def _false(*args, **kwargs):
    return False


def _none(*args, **kwargs):
    return None


def _empty(*args, **kwargs):
    return {}


def _nothing_stored(data, timeout=DEFAULT_TIMEOUT, version=None):
    return list(data)  # set_many answers the keys it could not store


def _counted_once(key, delta=1, version=None):
    return delta  # as if this were the first hit: a counter with Redis away never blocks anyone


class FailOpenRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache that answers a miss instead of raising when Redis is away."""

    add = _fail_open(RedisCache.add, _false)
    get = _fail_open(RedisCache.get, _default)
    set = _fail_open(RedisCache.set, _none)
    touch = _fail_open(RedisCache.touch, _false)
    delete = _fail_open(RedisCache.delete, _false)
    get_many = _fail_open(RedisCache.get_many, _empty)
    has_key = _fail_open(RedisCache.has_key, _false)
    incr = _fail_open(RedisCache.incr, _counted_once)
    set_many = _fail_open(RedisCache.set_many, _nothing_stored)
    delete_many = _fail_open(RedisCache.delete_many, _none)
    clear = _fail_open(RedisCache.clear, _false)
