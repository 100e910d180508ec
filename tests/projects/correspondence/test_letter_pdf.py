"""A letter's PDF as a reader and a checker get it: tagged (PDF/UA-1), in British English, titled, valid."""

from __future__ import annotations

import pytest

from projects.correspondence import letters
from tests.pdfs import accessibility, embedded_fonts, qpdf_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter_pdf(settings, world, pm):
    settings.APM_COMPANY_NAME = "Northwind Account Services"
    entry = letters.letter_create(
        project=world["alpha_project"],
        user=pm,
        recipient_organisation="Camden Council",
        recipient_address="5 Pancras Square\nLondon N1C 4AG",
        subject="Permit application",
        body="Dear Sir or Madam,\n\nWe apply for the permit.\n\nYours faithfully",
        counterpart_kind="authority",
    )
    return entry.attachments.get().file.read()


def test_it_tags_the_letter_and_sets_its_language_title_and_metadata(letter_pdf):
    found = accessibility(letter_pdf)
    assert found.has_struct_tree
    assert found.marked
    assert found.lang == "en-GB"
    assert found.display_doc_title
    assert found.title == "ALPHA-1/L1 Permit application"
    assert {"H1", "P"} <= set(found.tags), found.tags
    assert found.figures_without_alt == 0
    assert found.author == "Northwind Account Services"
    assert found.xmp_titles == [found.title]
    assert found.xmp_pdfua_part == "1"


def test_it_writes_a_letter_qpdf_finds_valid_in_its_own_fonts(letter_pdf, tmp_path):
    qpdf_check(letter_pdf, tmp_path)
    assert not [name for name in embedded_fonts(letter_pdf) if "CJK" in name]
