"""Uploads of documents and correspondence attachments: PDF, PNG, JPEG, DOCX and XLSX.

Checked by the one upload check (:mod:`apm.uploads`), with the file's name
required to agree with its content, at most ``settings.APM_DOCUMENT_MAX_BYTES``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

import apm.uploads
from apm.uploads import DOCX, JPEG, PDF, PNG, XLSX, CheckedUpload, UploadPolicy

ACCEPTED_TYPES = (PDF, PNG, JPEG, DOCX, XLSX)
ACCEPTED_TEXT = "a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file"
#: The file input's ``accept`` attribute (a hint to the browser; the check is by content).
ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx"
#: The help text of every document and attachment upload field.
FILE_HELP = f"Accepted: {ACCEPTED_TEXT}, checked by its content."


def max_bytes() -> int:
    """The upload limit in bytes (``settings.APM_DOCUMENT_MAX_BYTES``, 20 MB by default)."""
    return settings.APM_DOCUMENT_MAX_BYTES


def upload_check(upload: UploadedFile) -> CheckedUpload:
    """Check a document or attachment upload; raise ``apm.uploads.UploadRefused`` with a clear message."""
    return apm.uploads.upload_check(
        upload, UploadPolicy(what="file", accepted=ACCEPTED_TYPES, accepted_text=ACCEPTED_TEXT, max_bytes=max_bytes())
    )
