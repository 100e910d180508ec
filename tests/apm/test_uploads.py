"""The one upload check: by content and size, with or without the name having to agree."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm.uploads import DOCX, PDF, PNG, PPTX, UploadPolicy, UploadRefused, upload_check

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
POLICY = UploadPolicy(what="file", accepted=(PDF, PNG, DOCX), accepted_text="a PDF, PNG or Word file", max_bytes=1000)


def office(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", f'<Types><Override ContentType="{main_part}"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


WORD_PART = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SLIDES_PART = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def test_it_knows_a_word_document_by_its_content_types_not_its_name():
    checked = upload_check(SimpleUploadedFile("minutes.docx", office(WORD_PART)), POLICY)
    assert (checked.content_type, checked.extension) == (DOCX, "docx")


def test_it_refuses_a_zip_that_is_not_an_accepted_office_file():
    with pytest.raises(UploadRefused, match="is not a PDF, PNG or Word file"):
        upload_check(SimpleUploadedFile("deck.docx", office(SLIDES_PART)), POLICY)
    policy = UploadPolicy(what="file", accepted=(PPTX,), accepted_text="slides", max_bytes=10_000)
    assert upload_check(SimpleUploadedFile("deck.pptx", office(SLIDES_PART)), policy).content_type == PPTX


def test_it_checks_the_name_against_the_content_only_when_the_policy_says_so():
    with pytest.raises(UploadRefused, match=r"claims to be \.pdf but its content is a PNG image"):
        upload_check(SimpleUploadedFile("scan.pdf", PNG_BYTES), POLICY)
    lenient = UploadPolicy(
        what="receipt", accepted=(PNG,), accepted_text="a PNG", max_bytes=1000, check_extension=False
    )
    assert upload_check(SimpleUploadedFile("scan.pdf", PNG_BYTES), lenient).content_type == PNG


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "is empty"), (b"%PDF-1.4" + b"x" * 2000, "the limit is"), (b"MZ\x90", "is not")]
)
def test_it_refuses_empty_oversized_and_unknown_files_with_a_clear_message(content, message):
    with pytest.raises(UploadRefused, match=message) as refused:
        upload_check(SimpleUploadedFile("file.pdf", content), POLICY)
    assert str(refused.value).endswith("Nothing was stored.")
