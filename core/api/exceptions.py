"""One JSON error shape for the API: {"detail": ..., "<field>": [...]}; never an HTML 500 for bad input."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ServiceError


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            data = {"detail": " ".join(str(m) for m in exc.messages)}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or str(_("Permission denied."))}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):  # Django's limit on form fields, met while DRF parses a multipart body
        return Response({"detail": str(_("The request is larger than the limit."))},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):  # e.g. too many fields or files: bad input, answered as JSON
        return Response({"detail": str(_("The request could not be read."))}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError) and "NUL (0x00)" in str(exc):  # e.g. a NUL in a looked-up slug or number
        return Response({"detail": str(_("Text cannot contain NUL characters."))}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": str(_("Not found."))}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)
