"""Request bodies are bounded before they are read (issue 8).

Django reads a whole upload into a temporary file before a view can look at its size, and DRF reads a JSON body of
any length: a 1 GB upload tied a worker up until gunicorn killed it, leaving the temporary file behind. This
middleware answers first:

- a body whose Content-Length is over the limit of its kind is refused with 413 before a byte of it is read;
- a body sent in chunks (no Content-Length) is read into a spool only up to that limit, refused as the stream
  passes it;
- a multipart body is parsed here, with each file refused as soon as it passes its own limit (core.uploads), and a
  malformed part, an unusable file name or a body cut short is a 400 naming it, never a silent drop;
- a JSON body nested deeper than JSON_MAX_DEPTH is a 400 (Python's parser would otherwise raise RecursionError: 500).

Limits: JSON and form bodies DATA_UPLOAD_MAX_MEMORY_SIZE (REQUEST_BODY_MAX_BYTES); multipart bodies
UPLOAD_REQUEST_MAX_BYTES with ATTACHMENT_MAX_BYTES a file, unless the view names its own file limit with
`upload_limit("SETTING")` (the CMDB import). The API answers JSON; pages answer a translated page.
"""

import json
import tempfile

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .uploads import BodyRefused, FileSizeLimitHandler, StrictMultiPartParser, close_handler_files

_CHUNK = 64 * 1024
_FORM_SLACK = 1024 * 1024  # room for a multipart body's other fields beside a file as large as its limit


def upload_limit(setting_name):
    """Mark a view (function, or DRF view class) whose uploads are limited by `setting_name` per file instead of
    ATTACHMENT_MAX_BYTES; its multipart body may be that plus 1 MB of other fields."""

    def mark(view):
        view.upload_limit_setting = setting_name
        return view

    return mark


def _file_limit(request):
    try:
        func = resolve(request.path_info).func
    except Resolver404:
        return settings.ATTACHMENT_MAX_BYTES, settings.UPLOAD_REQUEST_MAX_BYTES
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    name = getattr(func, "upload_limit_setting", None) or getattr(view, "upload_limit_setting", None)
    if name is None:
        return settings.ATTACHMENT_MAX_BYTES, settings.UPLOAD_REQUEST_MAX_BYTES
    per_file = getattr(settings, name)
    return per_file, max(settings.UPLOAD_REQUEST_MAX_BYTES, per_file + _FORM_SLACK)


def _json_too_deep(body, limit):
    """True when the JSON document nests deeper than `limit`; invalid JSON is left for the parser to report."""
    try:
        value = json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False
    stack = [(value, 1)] if isinstance(value, dict | list) else []  # a bare number or string has no depth
    while stack:  # iteratively: a recursive walk would meet the same recursion limit
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _multipart_refusal(exc):
    """The refusal an error met while parsing a multipart body stands for (None: not the body's fault)."""
    if isinstance(exc, BodyRefused):
        return exc
    if isinstance(exc, RequestDataTooBig):  # the non-file fields together passed DATA_UPLOAD_MAX_MEMORY_SIZE
        return BodyRefused(413, _("The form fields are larger than the limit of %(limit)s.")
                           % {"limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return BodyRefused(400, _("The form has more fields or files than one request may carry (%(fields)d fields, "
                                  "%(files)d files).") % {"fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                                                          "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    if isinstance(exc, MultiPartParserError | SuspiciousOperation | OSError):
        return BodyRefused(400, _("The multipart form could not be read: it is malformed or incomplete."))
    return None


class RequestBodyLimitMiddleware:
    """After the language is chosen (refusals are translated), before anything reads the body (CSRF, views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            self._check(request)
        except BodyRefused as refusal:
            return self._refuse(request, refusal)
        return self.get_response(request)

    def _check(self, request):
        content_type = request.content_type or ""
        multipart = content_type == "multipart/form-data"
        per_file, body_limit = _file_limit(request) if multipart else (None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        length = self._length(request, body_limit)
        if length == 0:
            return
        if length > body_limit:
            raise BodyRefused(413, _("The request body is %(size)s; the limit here is %(limit)s.")
                              % {"size": filesizeformat(length), "limit": filesizeformat(body_limit)})
        if multipart:
            self._parse_multipart(request, per_file)
        elif content_type == "application/json" or content_type.endswith("+json"):
            if _json_too_deep(request.body, settings.JSON_MAX_DEPTH):
                raise BodyRefused(400, _("The JSON body is nested deeper than %(limit)d levels.")
                                  % {"limit": settings.JSON_MAX_DEPTH})

    def _length(self, request, limit):
        """The body's length from Content-Length; a chunked body is spooled here, up to `limit`, to learn it."""
        raw = request.META.get("CONTENT_LENGTH")
        if raw not in (None, ""):
            try:
                return max(int(raw), 0)
            except ValueError:
                raise BodyRefused(400, _("The Content-Length header is not a number.")) from None
        if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return 0
        if not request.environ.get("wsgi.input_terminated"):  # the server hands over the raw chunks: unusable
            raise BodyRefused(411, _("Send the request with a Content-Length header."))
        spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        size = 0
        while chunk := request.environ["wsgi.input"].read(_CHUNK):
            size += len(chunk)
            if size > limit:
                spool.close()
                raise BodyRefused(413, _("The request body is larger than the limit here (%(limit)s).")
                                  % {"limit": filesizeformat(limit)})
            spool.write(chunk)
        spool.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(spool, size)  # Django read nothing of it: it saw no Content-Length
        request._body_spool = spool  # closed (and deleted) with the request
        return size

    def _parse_multipart(self, request, per_file):
        """Parse now, so a refusal comes from here; request.POST/FILES and DRF's request.data reuse the result."""
        request.upload_handlers.insert(0, FileSizeLimitHandler(request, per_file))
        handlers = request.upload_handlers
        try:
            parser = StrictMultiPartParser(request.META, request, handlers, request.encoding)
            request._post, request._files = parser.parse()
        except Exception as exc:
            close_handler_files(handlers)
            refusal = _multipart_refusal(exc)
            if refusal is None or refusal is exc:
                raise
            raise refusal from None

    def _refuse(self, request, refusal):
        body = {"detail": refusal.message}
        if refusal.field:
            body["field"] = refusal.field
        if request.path_info.startswith("/api/"):
            response = JsonResponse(body, status=refusal.status)
        else:
            response = render(request, "core/request_refused.html", {"refusal": refusal}, status=refusal.status)
        return response
