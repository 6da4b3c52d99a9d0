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
    stem, extension = os.path.splitext(cleaned)
    extension = extension[:20]
    # Cut to length keeping the extension, then drop trailing dots: Windows opens "a.exe." as a.exe.
    return (stem[: 200 - len(extension)] + extension).rstrip(".") or "attachment"


def check_upload(upload, field="attachments"):
    """Raise PayloadTooLarge or ValidationError (naming the field) for a file the portal will not keep."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise PayloadTooLarge(
            _("The file %(name)s is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"name": safe_filename(upload.name), "size": upload.size, "limit": limit},
            field=field,
        )
    # Judged on the name that will be stored: "fix.exe " and "fix.exe." are saved (and opened) as fix.exe.
    extension = os.path.splitext(safe_filename(upload.name))[1].lower()
    if extension in settings.ATTACHMENT_REFUSED_EXTENSIONS or not extension and upload.size == 0:
        raise ValidationError(
            {field: _("Files of type %(ext)s are not accepted.") % {"ext": extension or _("(none)")}}
        )
