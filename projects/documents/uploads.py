"""Uploads of documents and correspondence attachments: PDF, PNG, JPEG, DOCX and XLSX.

Checked by the one upload check (:mod:`apm.uploads`), with the file's name
required to agree with its content, at most ``settings.APM_DOCUMENT_MAX_BYTES``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from apm.uploads import DOCX, JPEG, PDF, PNG, XLSX, CheckedUpload, UploadPolicy, UploadRefused
from apm.uploads import upload_check as _upload_check

__all__ = ["ACCEPTED_TEXT", "CheckedUpload", "UploadRefused", "max_bytes", "upload_check"]

ACCEPTED_TYPES = (PDF, PNG, JPEG, DOCX, XLSX)
ACCEPTED_TEXT = "a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file"


def max_bytes() -> int:
    """The upload limit in bytes (``settings.APM_DOCUMENT_MAX_BYTES``, 20 MB by default)."""
    return int(getattr(settings, "APM_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))


def upload_check(upload: UploadedFile) -> CheckedUpload:
    """Check a document or attachment upload; raise :class:`UploadRefused` with a clear message."""
    return _upload_check(
        upload, UploadPolicy(what="file", accepted=ACCEPTED_TYPES, accepted_text=ACCEPTED_TEXT, max_bytes=max_bytes())
    )
