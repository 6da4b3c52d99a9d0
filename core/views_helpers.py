"""Helpers for pages that call services: one way to turn service errors into messages and status codes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .exceptions import ServiceError


def run_service(request, call, form=None):
    """Run `call()`; on a domain error, record it for the page and return (None, status). Never half-saves: the
    service's transaction has rolled back by the time we get here.
    """
    try:
        return call(), 200
    except ServiceError as exc:
        allowed = exc.extra.get("allowed")
        text = str(exc.message)
        if allowed:
            text += " " + _("Allowed now: %(actions)s.") % {"actions": ", ".join(allowed)}
        messages.error(request, text)
        return None, exc.status_code
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                if form is not None and field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
                else:  # not on this page's form: the service's sentences stand on their own, without a field's code
                    messages.error(request, " ".join(errors))
        else:
            messages.error(request, " ".join(exc.messages))
        return None, 400
