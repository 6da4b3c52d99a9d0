"""Multipart parsing that refuses instead of dropping: a file over its limit stops the upload as the bytes pass it
(413), a part whose file name is unusable ("..", ".", "dir/") or a body cut short is a 400 naming it.

Django's own parser silently skips a file part named ".." and drops a file whose body ends before its closing
boundary; the view then sees no file and the client gets 201 without it. core.request_body installs these; the
settings make UnlinkedTemporaryFileUploadHandler hold large uploads.
"""

import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class BodyRefused(Exception):  # noqa: N818 - an answer, not a fault
    """The request body is refused with `status` and a sentence for the client (`field` names the form field)."""

    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class FileSizeLimitHandler(FileUploadHandler):
    """First in the chain: counts each file's bytes and refuses once one passes `max_bytes`, before the next handler
    writes them to a temporary file; also turns an upload cut short into a refusal."""

    def __init__(self, request, max_bytes):
        super().__init__(request)
        self.max_bytes = max_bytes

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            raise BodyRefused(
                413,
                _("The file %(name)s is larger than the limit of %(limit)s.")
                % {"name": self.file_name, "limit": filesizeformat(self.max_bytes)},
                field=self.field_name,
            )
        return raw_data  # passed on to the next handler (memory or temporary file)

    def file_complete(self, file_size):
        return None  # the next handler builds the file

    def upload_interrupted(self):
        raise BodyRefused(
            400,
            _("The upload was cut short: the file %(name)s did not arrive whole. Send it again.")
            % {"name": self.file_name},
            field=self.field_name,
        )


class UnlinkedTemporaryFileUploadHandler(FileUploadHandler):
    """Django's TemporaryFileUploadHandler keeps a large upload in a named file in /tmp, which stays there for good
    when gunicorn kills the worker mid-upload. This one writes to a file without a name (TemporaryFile): the kernel
    frees it whenever the process lets go, killed or not. Storage copies it in chunks instead of moving it."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115 - closed with the request
        self.file = UploadedFile(spool, self.file_name, self.content_type, 0, self.charset, self.content_type_extra)

    def receive_data_chunk(self, raw_data, start):
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self):
        self.file.close()


class StrictMultiPartParser(MultiPartParser):
    """Django's parser, but a file name that sanitises to nothing is refused rather than the part skipped."""

    def sanitize_file_name(self, file_name):
        cleaned = super().sanitize_file_name(file_name)
        if not cleaned:
            raise BodyRefused(400, _("The file name “%(name)s” cannot be used: rename the file and send it again.")
                              % {"name": file_name})
        return cleaned


def close_handler_files(handlers):
    """Close (and so delete) the temporary file of an upload stopped halfway; Django closes only finished ones."""
    for handler in handlers:
        file = getattr(handler, "file", None)
        if file is not None:
            file.close()
