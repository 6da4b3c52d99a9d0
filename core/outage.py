"""When PostgreSQL is down or frozen, pages and the API answer 503 with Retry-After instead of a 500.

Django turns an exception raised anywhere in a request (a view, DRF's authentication, the session or the signed-in
user read by a middleware) into a call to handler500 while the exception is being handled, so that one place sees
them all. The page is rendered without a request context: the context processors read the signed-in user, whose
session lives in the database that is down.
"""

import sys

import psycopg
from django import db
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 5
DATABASE_DOWN = (db.OperationalError, db.InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def wants_json(request):
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def database_unavailable(request):
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        detail = _("The service is briefly unavailable: its database is not answering. Try again shortly.")
        return JsonResponse({"detail": detail}, status=503, headers=headers)
    page = render_to_string("core/unavailable.html", {"retry_after": RETRY_AFTER_SECONDS})
    return HttpResponse(page, status=503, headers=headers)


def server_error(request):
    """handler500: a database outage is a 503 the client may retry; anything else stays Django's plain 500."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable(request)
    return defaults.server_error(request)
