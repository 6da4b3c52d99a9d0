"""Checks on uploaded files before anything is stored: size (413), refused types, a safe file name; the content
type judged from the bytes; the one way a stored file is sent back."""

import os
import re

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
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


_SNIFF_BYTES = 8192


def sniff_content_type(upload):
    """The type the file's bytes show, never the one the client claimed (HTML named x.png is not image/png).

    Known binary formats by their signature (`filetype`); other UTF-8 text is text/plain (an HTML or SVG file too:
    it is never rendered); anything else application/octet-stream.
    """
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    guessed = filetype.guess_mime(head)
    if guessed:
        return guessed
    if b"\0" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as error:
            # The sample may end inside a multi-byte character; text that breaks only there is still text.
            if len(head) == _SNIFF_BYTES and error.start >= len(head) - 3:
                return "text/plain"
    return "application/octet-stream"


def download_response(attachment):
    """Send a stored file as a download that no browser renders or runs, whatever it holds."""
    stored = attachment.file.open("rb")
    # The type is judged from the bytes again: rows stored before uploads were sniffed hold what the client claimed.
    response = FileResponse(stored, as_attachment=True, filename=attachment.filename,
                            content_type=sniff_content_type(stored))
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser open it anyway (a direct navigation, a plug-in), it runs with no origin, scripts or forms.
    response["Content-Security-Policy"] = "sandbox"
    return response
