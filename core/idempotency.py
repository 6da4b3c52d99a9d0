"""Idempotent creates: a retried or double-clicked POST makes one record, declared with one decorator per view.

    class IncidentViewSet(...):
        @idempotent_api_create("incidents.api.create")      # the `Idempotency-Key` request header
        def create(self, request): ...

    @idempotent_form_post("portal.report")                   # the hidden {% idempotency_token %} of the form
    def report(request): ...

The key (per user and scope) is inserted in the same PostgreSQL transaction as the record, under a unique constraint:
a second request with the same key waits for the first to commit, then answers with the first one's record (the
original status, `Idempotent-Replayed: true`), or, when its body differs, 422. A request that fails (bad input, a
refused action) stores nothing, so the same key may be sent again once corrected. Keys are forgotten after
IDEMPOTENCY_KEY_HOURS.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError

from .api.serializers import ErrorSerializer
from .exceptions import ServiceError
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
FORM_FIELD = "idempotency_token"
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length


class KeyReused(ServiceError):
    status_code = 422
    default_message = gettext_lazy("This idempotency key was already used for a different request. Send a new key "
                                    "with a new request.")


class _Failed(Exception):  # noqa: N818 - carries a failed attempt's answer out of the transaction it rolls back
    def __init__(self, response):
        self.response = response


def _file_digest(value):
    if hasattr(value, "chunks"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return str(value)


def fingerprint(data, skip=()):
    """A digest of a request's fields (JSON, form or multipart, files by content), independent of their order."""
    items = dict(data.lists()) if hasattr(data, "lists") else dict(data)
    for name in skip:
        items.pop(name, None)
    text = json.dumps(items, sort_keys=True, default=_file_digest)
    return hashlib.sha256(text.encode()).hexdigest()


def forget_expired():
    """Delete keys older than IDEMPOTENCY_KEY_HOURS (run by beat); returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]


def run_once(user, scope, key, digest, call, succeeded, result_of):
    """Run `call()` once per (user, scope, key). Returns (None, response) when it ran, or (stored key, None) when an
    earlier request with this key already succeeded; raises KeyReused when that request had another body."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    try:
        with transaction.atomic():
            IdempotencyKey.objects.filter(user=user, scope=scope, key=key, created_at__lt=cutoff).delete()
            # Waits on the unique index while another request holds this key uncommitted, then finds its row.
            stored, created = IdempotencyKey.objects.get_or_create(
                user=user, scope=scope, key=key, defaults={"fingerprint": digest, "status_code": 0, "result": ""})
            if not created:
                if stored.fingerprint != digest:
                    raise KeyReused()
                return stored, None
            response = call()
            if not succeeded(response):
                raise _Failed(response)
            stored.status_code, stored.result = response.status_code, result_of(response)
            stored.save(update_fields=["status_code", "result"])
            return None, response
    except _Failed as failed:
        return None, failed.response


def idempotent_api_create(scope):
    """For a DRF viewset's `create`: with an Idempotency-Key header, a repeat answers with the record the first
    request made (read through `retrieve`, so as the caller may see it now) and the first request's status."""

    def decorate(method):
        @wraps(method)
        def create(view, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return method(view, request, *args, **kwargs)
            key = key.strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                raise ValidationError({HEADER: [_("Send between 1 and %(max)d characters.") % {"max": MAX_KEY_LENGTH}]})
            lookup = view.lookup_url_kwarg or view.lookup_field
            stored, response = run_once(
                request.user, scope, key, fingerprint(request.data), lambda: method(view, request, *args, **kwargs),
                succeeded=lambda answer: 200 <= answer.status_code < 300,
                result_of=lambda answer: str(answer.data[view.lookup_field]))
            if stored is None:
                return response
            view.kwargs = {lookup: stored.result}
            response = view.retrieve(request, **view.kwargs)
            response.status_code = stored.status_code
            response[REPLAYED_HEADER] = "true"
            response["Location"] = view.reverse_action("detail", kwargs=view.kwargs)
            return response

        return create

    return decorate


def idempotent_form_post(scope):
    """For a page whose POST creates a record and redirects to it: with the form's idempotency token, a repeat (a
    double-click, a resend after an error page) redirects to the record the first one made."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            key = request.POST.get(FORM_FIELD, "").strip() if request.method == "POST" else ""
            if not key or len(key) > MAX_KEY_LENGTH:
                return view(request, *args, **kwargs)
            digest = fingerprint({**dict(request.POST.lists()), **dict(request.FILES.lists())},
                                 skip=(FORM_FIELD, "csrfmiddlewaretoken"))
            try:
                stored, response = run_once(
                    request.user, scope, key, digest, lambda: view(request, *args, **kwargs),
                    succeeded=lambda answer: answer.status_code in (301, 302, 303),
                    result_of=lambda answer: answer["Location"])
            except KeyReused:
                messages.error(request, _("This form was already sent with other content. Check it and send it "
                                          "again."))
                return redirect(request.get_full_path())
            if stored is None:
                return response
            messages.info(request, _("This form was already sent; here is what it recorded."))
            return redirect(stored.result)

        return wrapped

    return decorate


# For the OpenAPI schema of a create declared idempotent: extend_schema(parameters=[...], responses={422: ...}).
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False,
    description=gettext_lazy("Any unique string (a UUID) per record you mean to create: resending the request with "
                             "the same key answers with the record already made instead of making another. Kept for "
                             "IDEMPOTENCY_KEY_HOURS hours."))
IDEMPOTENCY_KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description=gettext_lazy("The Idempotency-Key was already used with a different body."))
