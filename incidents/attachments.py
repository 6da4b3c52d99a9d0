"""Checks on uploaded files before anything is stored: size (413), refused types, a safe file name."""

import os
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.exceptions import PayloadTooLarge

_UNSAFE = re.compile(r"[<>\"'&`]")


def safe_filename(name):
    base = os.path.basename((name or "").replace("\\", "/"))
    base = _UNSAFE.sub("", base)
    try:
        cleaned = get_valid_filename(base)
    except Exception:  # noqa: BLE001 - Django raises SuspiciousFileOperation for names like ".."
        cleaned = ""
    return cleaned[:200] or "attachment"


def check_upload(upload, field="attachments"):
    """Raise PayloadTooLarge or ValidationError (naming the field) for a file the portal will not keep."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise PayloadTooLarge(
            _("The file %(name)s is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"name": safe_filename(upload.name), "size": upload.size, "limit": limit},
            field=field,
        )
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension in settings.ATTACHMENT_REFUSED_EXTENSIONS or not extension and upload.size == 0:
        raise ValidationError(
            {field: _("Files of type %(ext)s are not accepted.") % {"ext": extension or _("(none)")}}
        )
