"""The one upload check: by size and by content, never by the file's name alone.

Receipts, review evidence, documents and correspondence attachments all go
through :func:`upload_check` with an :class:`UploadPolicy` saying what is
accepted. ``filetype`` reads the signature (magic bytes) of the first bytes.
Office files are ZIP archives, which it reports as ``application/zip``, so for
any ZIP signature the archive's ``[Content_Types].xml`` is read: a Word
document declares the ``wordprocessingml.document.main+xml`` part, a workbook
``spreadsheetml.sheet.main+xml``, a presentation
``presentationml.presentation.main+xml``. With ``check_extension`` the
file's name must also agree with its content (a PNG called ``scan.pdf`` is
refused). Nothing is stored here.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile

from apm.errors import Refused

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

#: The file name extensions that may claim each content type (the first is the one we store under).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg"),
    GIF: ("gif",),
    WEBP: ("webp",),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
    PPTX: ("pptx",),
}
LABELS = {
    PDF: "a PDF",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    GIF: "a GIF image",
    WEBP: "a WebP image",
    DOCX: "a Word document",
    XLSX: "an Excel workbook",
    PPTX: "a PowerPoint presentation",
}
_OFFICE_MAIN_PARTS = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
#: The largest [Content_Types].xml we read (a real one is a few kB); guards against a zip bomb.
_CONTENT_TYPES_MAX = 256 * 1024


class UploadRefused(Refused):
    """An upload that is empty, too large, of a type not accepted, or whose content does not match its name."""


@dataclass(frozen=True)
class UploadPolicy:
    """What an upload may be: ``what`` names it in messages ("receipt"), ``accepted`` content types
    and ``accepted_text`` them in words ("a PDF, PNG or JPEG file"), ``max_bytes`` the size limit,
    ``check_extension`` whether the name must agree with the content."""

    what: str
    accepted: tuple[str, ...]
    accepted_text: str
    max_bytes: int
    check_extension: bool = True


@dataclass(frozen=True)
class CheckedUpload:
    """What an accepted upload is: its checked ``content_type``, the extension to store it under, its size."""

    content_type: str
    extension: str
    size: int
    name: str


def _office_type(upload: UploadedFile) -> str | None:
    """DOCX, XLSX or PPTX when the ZIP's ``[Content_Types].xml`` declares the main part; else None."""
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


def upload_check(upload: UploadedFile, policy: UploadPolicy) -> CheckedUpload:
    """Check ``upload`` against ``policy`` by size and content; return what it is.

    Raises :class:`UploadRefused` (an ``apm.errors.Refused``) with a message that says what
    was wrong and what is accepted, ending "Nothing was stored."
    """
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] or "file"
    size = upload.size or 0
    if size > policy.max_bytes:
        raise UploadRefused(
            f"The {policy.what} “{name}” is {size / 1048576:.1f} MB; the limit is "
            f"{policy.max_bytes / 1048576:.0f} MB. Nothing was stored."
        )
    if size == 0:
        raise UploadRefused(f"The {policy.what} “{name}” is empty. Nothing was stored.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    detected = kind.mime if kind is not None else None
    if detected in ("application/zip", DOCX, XLSX, PPTX) or head[:4] == b"PK\x03\x04":
        detected = _office_type(upload)
    if detected not in policy.accepted:
        raise UploadRefused(
            f"The {policy.what} “{name}” is not {policy.accepted_text}, checked by its content "
            "(the name does not decide). Nothing was stored."
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if policy.check_extension and extension not in EXTENSIONS[detected]:
        claimed = f".{extension}" if extension else "no extension"
        raise UploadRefused(
            f"“{name}” claims to be {claimed} but its content is {LABELS[detected]}; "
            "rename it or upload the right file. Nothing was stored."
        )
    return CheckedUpload(content_type=detected, extension=EXTENSIONS[detected][0], size=size, name=name)
