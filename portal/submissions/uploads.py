"""Refuse an upload once it passes the size limit, before the rest of it is read or stored."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload


class TooLarge(Exception):
    pass


class LimitedUploadHandler(MemoryFileUploadHandler):
    """Keeps the file in memory (a form is small) and stops reading past PORTAL_MAX_UPLOAD_BYTES."""

    def __init__(self, request=None):  # type: ignore[no-untyped-def]
        super().__init__(request)
        self.received = 0
        self.declared_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # type: ignore[no-untyped-def]
        # Always activate (the parent only does below FILE_UPLOAD_MAX_MEMORY_SIZE): the limit is ours.
        self.activated = True
        self.declared_too_large = content_length > settings.PORTAL_MAX_UPLOAD_BYTES + 64 * 1024

    def receive_data_chunk(self, raw_data, start):  # type: ignore[no-untyped-def]
        self.received += len(raw_data)
        if self.declared_too_large or self.received > settings.PORTAL_MAX_UPLOAD_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)
