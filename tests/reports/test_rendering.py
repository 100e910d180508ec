"""Rendering snapshots to HTML and PDF: content, redaction in the PDF, formatting."""

from __future__ import annotations

import datetime as dt
import gc
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from projects.rag import RAG
from reports import rendering
from reports.rendering import (
    format_date,
    format_money,
    report_render_html,
    report_render_snapshot,
    truncate_commentary,
)
from tests import factories
from tests.reports.snapshots import BAC, BUDGET, FORECAST, PERIOD_END, build_snapshot


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """PDF text with thousands separators, spaces, line breaks and currency signs removed."""
    return re.sub(r"[,\s£$€¥\u00a0\u202f]", "", text)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234567"), "GBP", "£1,234,567"),
        ("1234567.49", "GBP", "£1,234,567"),
        ("1234567.50", "GBP", "£1,234,568"),
        ("-1200", "GBP", "-£1,200"),
        ("0", "EUR", "€0"),
        ("999", "CHF", "CHF 999"),
        (None, "GBP", "—"),
        ("", "GBP", "—"),
        ("n/a", "GBP", "—"),
    ],
)
def test_it_formats_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_it_formats_dates_and_truncates_commentary():
    assert format_date("2022-03-31") == "31 Mar 2022"
    assert format_date(dt.date(2025, 1, 5)) == "5 Jan 2025"
    assert format_date(None) == "—"
    long = "word " * 600
    cut = truncate_commentary(long)
    assert cut.endswith("…")
    assert 1000 < len(cut) <= 1201
    assert truncate_commentary("short") == "short"


@pytest.mark.django_db
def test_it_renders_the_portfolio_with_every_project_and_the_answer_on_page_one(world):
    department = world["alpha"]
    world["alpha_project"].rag = ""  # no status update and no RAG: "not rated"
    world["alpha_project"].save()
    rags = [RAG.RED, RAG.AMBER, RAG.GREEN, RAG.RED]
    for i, rag in enumerate(rags):
        project = factories.ProjectFactory(
            code=f"ALPHA-{i + 10}", name=f"Portfolio item {i}", departments=[department], bac=Decimal("2500000")
        )
        factories.StatusUpdateFactory(
            project=project,
            as_of=dt.date(2025, 3, 31),
            rag=rag,
            budget_period=Decimal("100000"),
            forecast_period=Decimal("125000.40"),
            commentary_overall=f"Commentary for item {i}. " + "Detail. " * (300 if i == 0 else 2),
        )
    data = build_snapshot(department=department)

    rendered = report_render_snapshot(data)

    texts = pages_text(rendered.pdf)
    assert rendered.page_count == len(texts) >= 2
    everything = "\n".join(texts)
    for code, name in [("ALPHA-1", "Alpha Project")] + [(f"ALPHA-{i + 10}", f"Portfolio item {i}") for i in range(4)]:
        assert code in everything
        assert name in everything
    page1 = texts[0]
    assert "RAG: 2 red, 1 amber, 1 green, 1 not rated" in page1
    for label in ("Whole-life budget", "Budget this period", "Forecast this period", "Variance"):
        assert label in page1
    # 4 x 2.5m plus the world's 1m project; 4 x 100k budget; 4 x 125,000.40 forecast.
    for value in ("£11,000,000", "£400,000", "£500,002", "£100,002"):
        assert value in page1
    assert "First report in this series" in page1
    assert f"Page 1 of {rendered.page_count}" in page1
    assert "31 Mar 2025" in page1
    # Long commentary is cut with an ellipsis, the short one is whole.
    assert "…" in everything
    assert "Commentary for item 3. Detail. Detail." in everything


@pytest.mark.django_db
def test_it_lists_a_rag_move_on_page_one(world):
    department = world["alpha"]
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 2, 28), rag=RAG.AMBER)
    previous = build_snapshot(department=department, period_end=dt.date(2025, 2, 28))
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 3, 31), rag=RAG.RED)

    page1 = pages_text(report_render_snapshot(build_snapshot(department=department, previous_snapshot=previous)).pdf)[0]

    assert "What changed since the last report" in page1
    assert "ALPHA-1 Alpha Project: Amber to Red" in page1
    assert "First report" not in page1


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["highlight", "portfolio"])
def test_it_keeps_internal_figures_out_of_the_client_pdf(world, internal_money, kind):
    scope = {"scope": "project", "project": internal_money} if kind == "highlight" else {"department": world["alpha"]}

    client_pdf = report_render_snapshot(build_snapshot(kind=kind, audience="client", **scope)).pdf
    internal_pdf = report_render_snapshot(build_snapshot(kind=kind, audience="internal", **scope)).pdf

    client_text = squash("".join(pages_text(client_pdf)))
    internal_text = squash("".join(pages_text(internal_pdf)))
    needles = [
        "987654321",
        "987654321.12",
        "13579246",
        "13579247",
        "13579246.8",
        "24681357",
        "24681358",
        "11102111",
        "97531864",
        "Marginsqueeze",
    ]
    for needle in needles:
        assert needle not in client_text, needle
    for amount in (BAC, BUDGET, FORECAST, FORECAST - BUDGET):
        assert squash(format_money(amount, "GBP")) in internal_text
    assert "Marginsqueeze" in internal_text
    assert "Internal: contains cost figures" in "".join(pages_text(internal_pdf))
    assert "Prepared for the client" in "".join(pages_text(client_pdf))


@pytest.mark.django_db
def test_it_answers_the_client_on_page_one_of_a_highlight_report(world):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(
        project=project,
        as_of=PERIOD_END,
        rag=RAG.GREEN,
        percent_complete=Decimal("62.5"),
        commentary_overall="Discovery finished.",
        commentary_schedule="Beta opens in May.",
    )

    texts = pages_text(report_render_snapshot(build_snapshot(kind="highlight", scope="project", project=project)).pdf)

    page1 = texts[0]
    assert "Green" in page1
    assert "63% complete" in page1
    assert "Discovery finished." in page1
    assert "Beta opens in May." in page1
    assert "Nothing awaiting a decision." in page1
    assert "Nothing due in the next four weeks." in page1


@pytest.mark.django_db
def test_it_shows_milestones_in_a_table_with_formatted_dates(world):
    project = world["alpha_project"]
    factories.MilestoneFactory(project=project, name="Go live", due_date=dt.date(2025, 6, 30))
    factories.MilestoneFactory(
        project=project, name="Kick-off", due_date=dt.date(2025, 1, 10), completed_on=dt.date(2025, 1, 12)
    )

    html = report_render_html(build_snapshot(kind="highlight", scope="project", project=project, audience="client"))

    assert "No milestones recorded" not in html
    assert html.index("Kick-off") < html.index("Go live")
    assert "30 Jun 2025" in html
    assert "12 Jan 2025" in html


@pytest.mark.django_db
def test_it_escapes_user_text(world):
    project = world["alpha_project"]
    project.name = '<script>alert("x")</script><img src="http://example.com/x.png">'
    project.save()
    factories.StatusUpdateFactory(project=project, as_of=PERIOD_END, commentary_overall="<b>bold</b>\nsecond line")

    html = report_render_html(build_snapshot(department=world["alpha"]))

    assert "<script>" not in html
    assert '<img src="http://example.com' not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;<br>second line" in html


def test_it_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="Cannot render"):
        report_render_html({"kind": "weekly"})


def test_it_says_when_the_latest_update_is_older_than_the_period(world):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2024, 3, 31))
    snapshot = build_snapshot(kind="highlight", audience="client", scope="project", project=project, title="Highlight")
    pdf = report_render_snapshot(snapshot).pdf
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "No update in this period: what follows is as of 31 Mar 2024." in text


@pytest.mark.django_db
def test_a_single_pass_lays_out_with_the_garbage_collector_paused(world, monkeypatch):
    """A fifth of a first render's time went to the garbage collector: it is off during the layout and the
    writing, and on again after."""
    seen = []
    real_layout, real_write = rendering.html_to_pdf_document, rendering.document_to_pdf

    def layout(html, **kwargs):
        seen.append(("layout", gc.isenabled()))
        return real_layout(html, **kwargs)

    def write(document, **kwargs):
        seen.append(("write", gc.isenabled()))
        return real_write(document, **kwargs)

    monkeypatch.setattr(rendering, "html_to_pdf_document", layout)
    monkeypatch.setattr(rendering, "document_to_pdf", write)
    assert gc.isenabled()
    rendered = report_render_snapshot(build_snapshot(department=world["alpha"]), chunked=False)
    assert rendered.page_count >= 1
    assert seen[0] == ("layout", False)
    assert seen[-1] == ("write", False)
    assert gc.isenabled()
