"""A project's published RAG and its CPI/SPI-derived rating: both shown, each labelled, when they differ."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from projects.models import Expense
from projects.rag import RAG
from reports.rendering import report_render_html, report_render_snapshot
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db


def text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def overspent():
    """TWO-1: published Green in March 2025, but 40 % done for £600,000 of a £1,000,000 budget (CPI 0.67)."""
    department = factories.DepartmentFactory(code="TWO")
    project = factories.ProjectFactory(code="TWO-1", name="Overspent", departments=[department], rag=RAG.GREEN)
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 20), rag=RAG.GREEN)
    Expense.objects.create(
        project=project, date=dt.date(2025, 2, 1), amount=Decimal("600000"), currency="GBP", category="other"
    )
    return department


def test_the_internal_department_row_holds_the_cpi_spi_rating(overspent):
    (row,) = build_snapshot(department=overspent)["projects"]
    assert (row["rag"], row["performance_rag"]) == ("green", "red")
    assert Decimal(row["cpi"]).quantize(Decimal("0.01")) == Decimal("0.67")


def test_the_client_snapshot_holds_no_indices(overspent):
    project = overspent.projects.get()
    (row,) = build_snapshot(kind="highlight", audience="client", scope="project", project=project)["projects"]
    assert not {"performance_rag", "cpi", "spi"} & set(row)


def test_the_department_pdf_shows_both_labelled(overspent):
    everything = text(report_render_snapshot(build_snapshot(department=overspent)).pdf)
    assert "Delivery confidence" in everything
    assert "Cost and schedule performance (CPI 0.67, SPI" in everything


def test_one_rating_when_they_agree(overspent):
    project = overspent.projects.get()
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 28), rag=RAG.RED)
    html = report_render_html(build_snapshot(department=overspent))
    assert "Cost and schedule performance" not in html
    assert html.count('class="rag rag-red"') >= 1


def test_the_exception_report_labels_both_and_gives_indices_to_2_decimals(world, cost_exception):
    cost_exception.figures = {**cost_exception.figures, "cpi": "0.8333", "spi": "0.9"}
    cost_exception.save()
    world["alpha_project"].rag = RAG.GREEN
    world["alpha_project"].save()
    snapshot = report_build_snapshot(
        kind="exception",
        audience="internal",
        scope="project",
        project=world["alpha_project"],
        period_start=None,
        period_end=dt.date(2025, 6, 30),
        title="Exception",
        tolerance_exception_id=cost_exception.pk,
    )
    assert snapshot["project"]["performance_rag"] == "red"
    assert "CPI 0.83, SPI 0.90" in snapshot["summary_lines"][1]

    everything = text(report_render_snapshot(snapshot).pdf)

    assert "Delivery confidence" in everything
    assert "Cost and schedule performance (CPI 0.83, SPI 0.90)" in everything
    assert "0.8333" not in everything
