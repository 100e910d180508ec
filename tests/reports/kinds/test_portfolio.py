"""The compliance section of the department portfolio report: internal only, never in the client snapshot."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from projects.documents import services
from reports.rendering import report_render_html
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.projects.document_files import pdf
from tests.projects.steps import add_clause

pytestmark = pytest.mark.django_db


def snapshot(world, audience: str) -> dict:
    return report_build_snapshot(
        kind="portfolio",
        audience=audience,
        scope="department",
        department=world["alpha"],
        period_start=dt.date(2025, 5, 1),
        period_end=dt.date(2025, 5, 31),
        title="Alpha portfolio",
    )


@pytest.fixture
def obligations(world, pm):
    project = world["alpha_project"]
    add_clause(
        project,
        pm,
        number="12.3",
        title="Street works permit held",
        evidence="document",
        evidence_document_kind="permit",
        deadline=dt.date(2025, 5, 15),
    )
    services.document_create(
        project=project,
        user=pm,
        kind="nda",
        title="Mutual NDA",
        upload=pdf(),
        expires_on=dt.date(2025, 5, 20),
        visibility="client",
    )
    factories.ClauseFactory(project=project, number="14.1", title="Quarterly audit")


def test_it_lists_overdue_obligations_and_missing_documents_per_project_internally(world, obligations):
    section = snapshot(world, "internal")["compliance"]
    assert section["as_of"] == "2025-05-31"
    assert (section["overdue"], section["missing_documents"], section["expired_documents"]) == (1, 1, 1)
    (row,) = section["projects"]
    assert row["code"] == "ALPHA-1"
    assert row["overdue"] == [{"number": "12.3", "title": "Street works permit held", "deadline": "2025-05-15"}]
    assert row["missing_documents"] == ["Permit"]
    assert row["missing_evidence"] == [{"number": "14.1", "title": "Quarterly audit"}]
    assert row["expired_documents"] == [{"title": "Mutual NDA", "expires_on": "2025-05-20"}]
    json.dumps(section)  # stored with the report


def test_the_client_snapshot_never_gets_it(world, obligations):
    client = snapshot(world, "client")
    assert "compliance" not in client
    text = json.dumps(client)
    assert "Street works permit" not in text
    assert "Mutual NDA" not in text


def test_it_prints_the_section_in_the_internal_pdf_only(world, obligations):
    from apm.pdf import html_to_pdf

    internal_pdf, _ = html_to_pdf(report_render_html(snapshot(world, "internal")))
    client_html = report_render_html(snapshot(world, "client"))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(internal_pdf)).pages)
    assert "Contract compliance" in text
    assert "Street works permit held" in " ".join(text.split())
    assert "Contract compliance" not in client_html
    assert "Street works permit" not in client_html


def test_it_says_so_when_nothing_is_wrong(world):
    section = snapshot(world, "internal")["compliance"]
    assert section["projects"] == []
    html = report_render_html(snapshot(world, "internal"))
    assert "No obligations overdue and no documents missing or expired" in html
