"""Upload checking for documents and correspondence attachments: by content, never by the name alone.

Accepted: PDF, PNG, JPEG, DOCX and XLSX. ``filetype`` reads the signature
(magic bytes) of the first bytes; Office files are ZIP archives, which it
reports as ``application/zip`` (or guesses from member names it happens to
see first), so for any ZIP signature we open the archive and read its
``[Content_Types].xml``: a Word document declares the
``wordprocessingml.document.main+xml`` part, a workbook the
``spreadsheetml.sheet.main+xml`` part. The file's name must then agree with
what the content is (a PNG called ``scan.pdf`` is refused: the claimed type
does not match), and it must be at most ``settings.APM_DOCUMENT_MAX_BYTES``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Accepted content types and the file name extensions that may claim them.
ACCEPTED: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg"),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
}
LABELS = {PDF: "a PDF", PNG: "a PNG image", JPEG: "a JPEG image", DOCX: "a Word document", XLSX: "an Excel workbook"}
ACCEPTED_TEXT = "a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file"
#: The largest [Content_Types].xml we read (a real one is a few kB); guards against a zip bomb.
_CONTENT_TYPES_MAX = 256 * 1024
_OFFICE_MAIN_PARTS = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


class UploadRefused(ValueError):
    """An upload that is empty, too large, of a type not accepted, or whose content does not match its name."""


@dataclass(frozen=True)
class CheckedUpload:
    """What an accepted upload is: its checked ``content_type``, the extension to store it under, its size."""

    content_type: str
    extension: str
    size: int
    name: str


def _office_type(upload: UploadedFile) -> str | None:
    """DOCX or XLSX when the ZIP's ``[Content_Types].xml`` declares the main part; else None."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            declared = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
        return None
    finally:
        upload.seek(0)
    for content_type, part in _OFFICE_MAIN_PARTS.items():
        if part in declared:
            return content_type
    return None


def max_bytes() -> int:
    """The upload limit in bytes (``settings.APM_DOCUMENT_MAX_BYTES``, 20 MB by default)."""
    return int(getattr(settings, "APM_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))


def upload_check(upload: UploadedFile) -> CheckedUpload:
    """Check ``upload`` by size and content; return what it is, or raise :class:`UploadRefused`.

    The message says what was wrong and what is accepted. Nothing is stored here.
    """
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] or "file"
    limit = max_bytes()
    size = upload.size or 0
    if size > limit:
        raise UploadRefused(
            f"“{name}” is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB. Nothing was stored."
        )
    if size == 0:
        raise UploadRefused(f"“{name}” is empty. Nothing was stored.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    detected = kind.mime if kind is not None else None
    if detected in ("application/zip", DOCX, XLSX) or head[:4] == b"PK\x03\x04":
        detected = _office_type(upload)
    if detected not in ACCEPTED:
        raise UploadRefused(
            f"“{name}” is not {ACCEPTED_TEXT} by its content (the name does not decide). Nothing was stored."
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ACCEPTED[detected]:
        claimed = f".{extension}" if extension else "no extension"
        raise UploadRefused(
            f"“{name}” claims to be {claimed} but its content is {LABELS[detected]}; "
            "rename it or upload the right file. Nothing was stored."
        )
    return CheckedUpload(content_type=detected, extension=ACCEPTED[detected][0], size=size, name=name)
