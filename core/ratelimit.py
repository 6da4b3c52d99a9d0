"""Creation rate limit (issue 8): how many records one user, and one API token, may create in a period.

One end-user token once created 300 incidents in a minute, all accepted. `@limit_creations` on a create view (a page
function or a DRF viewset's `create`) counts each attempt in the cache, per user and per token, in fixed windows of
CREATE_RATE_LIMIT ("30/minute"); past the limit the API answers 429 with Retry-After (DRF's Throttled), a page a
translated 429 page with the same header.

The limit protects; it must never block the desk. Counting goes through Django's cache API (so it inherits the
cache's own timeouts and fail-open behaviour), and any error from the cache lets the create through.
"""

import hashlib
import logging
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled

logger = logging.getLogger(__name__)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """"30/minute" → (30, 60); "" or "0" → None (no limit)."""
    if not rate or rate.strip() in ("0", "none", "off"):
        return None
    count, _slash, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1].lower() or "m"]


def _identities(request):
    user = getattr(request, "user", None)
    keys = [f"user:{user.pk}"] if user is not None and user.is_authenticated else []
    token = getattr(getattr(request, "auth", None), "key", None)  # DRF's TokenAuthentication sets request.auth
    if token:
        keys.append("token:" + hashlib.sha256(token.encode()).hexdigest()[:32])
    return keys


def seconds_to_wait(request, scope="create"):
    """Count this attempt; the seconds until the caller may create again when over the limit, else 0."""
    try:
        parsed = parse_rate(settings.CREATE_RATE_LIMIT)
    except (KeyError, ValueError):
        logger.error("CREATE_RATE_LIMIT %r is not like '30/minute'; creations are not limited",
                     settings.CREATE_RATE_LIMIT)
        return 0
    if parsed is None:
        return 0
    limit, period = parsed
    now = time.time()
    window = int(now // period)
    wait = 0
    for identity in _identities(request):
        key = f"ratelimit:{scope}:{identity}:{window}"
        try:
            cache.add(key, 0, timeout=period + 5)
            count = cache.incr(key)
        except Exception as exc:  # noqa: BLE001 - Redis down or frozen: fail open, never block a create
            logger.warning("creation rate limit not checked (%s: %s)", type(exc).__name__, exc)
            return 0
        if count > limit:
            wait = max(wait, math.ceil((window + 1) * period - now))
    return wait


def _message():
    return _("You are creating records faster than allowed (%(rate)s).") % {"rate": settings.CREATE_RATE_LIMIT}


def limit_creations(view):
    """Decorate a create view: a POST past the limit is refused (429, Retry-After) before the view runs."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        api = not isinstance(args[0], HttpRequest)  # a DRF method: (self, request, ...)
        request = args[1] if api else args[0]
        if request.method == "POST":
            wait = seconds_to_wait(request)
            if wait and api:
                raise Throttled(wait=wait, detail=_message())  # DRF adds the wait and the Retry-After header
            if wait:
                response = render(request, "core/too_many_requests.html", {"message": _message(), "wait": wait},
                                  status=429)
                response["Retry-After"] = str(wait)
                return response
        return view(*args, **kwargs)

    return wrapper
