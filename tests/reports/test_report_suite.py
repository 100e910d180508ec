"""The report suite as a reader gets it: names in any script, client redaction, long tables, re-rendering.

Text is read back from the PDF with pypdf and NFC-normalised before comparing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from decimal import Decimal

import pytest
from pypdf import PdfReader

from reports.rendering import report_render_snapshot
from reports.snapshot import report_build_snapshot
from tests import factories

PERIOD = {"period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 31)}


def page_texts(pdf: bytes) -> list[str]:
    return [unicodedata.normalize("NFC", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def one_line(text: str) -> str:
    return " ".join(text.split())


NAMES = {
    "chinese": "北京联合银行",
    "japanese": "山田太郎",
    "arabic": "شركة الأفق للاستشارات",
    "arabic_contact": "ليلى حداد",
    "accented": "Société Générale Łódź Ærøskøbing",
    "accented_contact": "José Núñez-Müller",
}


@pytest.mark.parametrize(
    ("client_name", "contact_name"),
    [
        (NAMES["chinese"], NAMES["japanese"]),
        (NAMES["arabic"], NAMES["arabic_contact"]),
        (NAMES["accented"], NAMES["accented_contact"]),
    ],
    ids=["chinese-japanese", "arabic", "accented"],
)
@pytest.mark.parametrize("audience", ["internal", "client"])
def test_it_extracts_names_in_any_script_as_written(db, client_name, contact_name, audience):
    client = factories.ClientFactory(name=client_name)
    factories.ClientContactFactory(client=client, name=contact_name)
    project = factories.ProjectFactory(code="INTL-1", name=f"Rollout for {client_name}", client=client)
    factories.StatusUpdateFactory(
        project=project, as_of=dt.date(2025, 3, 28), work_done=f"Workshop with {contact_name}"
    )
    snapshot = report_build_snapshot(
        kind="highlight", audience=audience, scope="project", project=project, title="Highlight", **PERIOD
    )
    text = "\n".join(page_texts(report_render_snapshot(snapshot).pdf))
    # Each name as written, in logical order (right-to-left runs are not reversed).
    for name in (client_name, contact_name):
        assert unicodedata.normalize("NFC", name) in text, (name, text[:800])


def test_it_names_the_noto_fonts_in_the_print_css():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "print.css").read_text()
    for family in ("Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans Arabic"):
        assert f'"{family}"' in css


def money_strings(snapshot: dict) -> set[str]:
    """Every internal figure of an internal snapshot, as the PDF would print it and as stored."""
    from apm.formatting import format_money

    found = set()
    for row in snapshot["projects"]:
        for key in ("bac", "budget_period", "forecast_period", "variance", "whole_life_cost"):
            if row.get(key) not in (None, "0", "0.00"):
                found.add(format_money(row[key], row["currency"]))
                found.add(row[key])
    return found


@pytest.mark.parametrize("kind", ["highlight", "portfolio"])
def test_it_keeps_every_internal_figure_out_of_the_client_snapshot_and_pdf(world, kind):
    project = world["alpha_project"]
    project.bac = Decimal("7654321.00")
    project.save()
    factories.StatusUpdateFactory(
        project=project,
        as_of=dt.date(2025, 3, 28),
        budget_period=Decimal("234567.00"),
        forecast_period=Decimal("345678.00"),
        whole_life_cost=Decimal("8765432.00"),
        commentary_budget="Margin squeezed by the subcontractor rate rise.",
        lessons_learned="Internal lesson about our margins.",
        rag_cost="red",
    )
    common = {"kind": kind, "scope": "project", "project": project, "title": "R", "full_commentary": True, **PERIOD}
    internal = report_build_snapshot(audience="internal", **common)
    client = report_build_snapshot(audience="client", **common)
    figures = money_strings(internal)
    assert {"£7,654,321", "£234,568" if False else "£234,567", "£345,678", "£111,111"} <= figures
    client_json = json.dumps(client, ensure_ascii=False)
    internal_pdf_text = one_line(" ".join(page_texts(report_render_snapshot(internal).pdf)))
    client_pdf_text = one_line(" ".join(page_texts(report_render_snapshot(client).pdf)))
    for figure in figures:
        assert figure not in client_json
        assert figure not in client_pdf_text
    for secret in ("Margin squeezed", "Internal lesson", "commentary_budget", "lessons_learned", '"cost"'):
        assert secret not in client_json
        assert secret.strip('"') not in client_pdf_text or secret.startswith('"')
    # The internal audience does see them (so the test can fail).
    assert "£7,654,321" in internal_pdf_text
    assert "Margin squeezed" in internal_pdf_text


def test_it_repeats_table_headers_on_every_page_of_a_60_project_department_report(world):
    department = world["alpha"]
    for n in range(60):
        project = factories.ProjectFactory(
            code=f"DEP-{n:03d}",
            name=f"Programme number {n} with a long enough name to wrap",
            departments=[department],
        )
        factories.StatusUpdateFactory(
            project=project,
            as_of=dt.date(2025, 3, 28),
            rag=["red", "amber", "green"][n % 3],
            commentary_overall=("Progress on the programme continued. " * 12).strip(),
        )
    snapshot = report_build_snapshot(
        kind="portfolio", audience="internal", scope="department", department=department, title="Alpha", **PERIOD
    )
    rendered = report_render_snapshot(snapshot)
    pages = page_texts(rendered.pdf)
    assert rendered.page_count == len(pages) > 5
    rows_seen: dict[str, set[str]] = {"Code Project RAG Complete": set(), "Code Project Revenue to date": set()}
    table_pages = 0
    for text in pages:
        flat = one_line(text).split("Latest commentary")[0]
        if "What changed since the last report" in flat or "Contents" in flat or "Status as of" in flat:
            continue  # the summary page (red projects listed), the contents and the commentary pages
        rows = re.findall(r"DEP-\d{3}", flat)
        if rows:
            # A page of the project table, or of the revenue and margin table: its header row is on it, above the
            # first row.
            table_pages += 1
            header = "Code Project Revenue to date" if "Revenue to date" in flat else "Code Project RAG Complete"
            assert header in flat, flat[:300]
            assert flat.index(header) < flat.index("DEP-")
            rows_seen[header].update(rows)
    assert [len(rows) for rows in rows_seen.values()] == [60, 60]
    assert table_pages >= 4
    # Over five pages: a table of contents with page numbers, and "Page X of Y" on every page.
    assert "Contents" in pages[0] + pages[1]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text


def test_it_renders_a_stored_snapshot_again_to_the_same_text(world):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 28), work_done="Stored work")
    snapshot = report_build_snapshot(
        kind="highlight", audience="internal", scope="project", project=project, title="Stable", **PERIOD
    )
    stored = json.loads(json.dumps(snapshot))
    first = report_render_snapshot(snapshot)
    # The data changes after the report; the stored snapshot still renders the same text.
    project.name = "Renamed later"
    project.save()
    again = report_render_snapshot(stored)
    assert page_texts(first.pdf) == page_texts(again.pdf)
    assert first.page_count == again.page_count
    assert "Stored work" in "".join(page_texts(again.pdf))


@pytest.mark.parametrize("kind", ["highlight", "portfolio"])
def test_it_renders_the_same_pages_and_text_as_plain_weasyprint(world, kind):
    from apm.pdf import html_to_pdf_plain

    for n in range(12):
        project = factories.ProjectFactory(code=f"SAME-{n:02d}", departments=[world["alpha"]])
        factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 28), commentary_overall="Words " * 150)
    scope = {"scope": "department", "department": world["alpha"]}
    if kind == "highlight":
        scope = {"scope": "project", "project": project}
    snapshot = report_build_snapshot(kind=kind, audience="internal", title="Same", **scope, **PERIOD)
    fast = report_render_snapshot(snapshot)
    fast_again = report_render_snapshot(snapshot)  # the cached stylesheet and fonts, second use
    plain_pdf, plain_pages = html_to_pdf_plain(fast.html)
    assert fast.page_count == fast_again.page_count == plain_pages
    assert page_texts(fast.pdf) == page_texts(plain_pdf) == page_texts(fast_again.pdf)


@pytest.mark.parametrize("audience", ["internal", "client"])
def test_it_fills_deliverables_and_the_raid_log_from_what_apm_knows(world, audience):
    project = world["alpha_project"]
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 28))
    factories.DeliverableFactory(
        project=project,
        name="Signed discovery report",
        due_date=dt.date(2025, 3, 20),
        status="accepted",
        signed_off_at=dt.datetime(2025, 3, 21, 10, 0, tzinfo=dt.UTC),
    )
    factories.DeliverableFactory(project=project, name="Late data model", due_date=dt.date(2025, 3, 25))
    factories.DeliverableFactory(project=project, name="Far future launch", due_date=dt.date(2025, 12, 1))
    factories.RaidItemFactory(project=project, title="Supplier insolvency", probability=4, impact=5)
    factories.RaidItemFactory(project=project, title="Closed long ago", status="closed")
    snapshot = report_build_snapshot(
        kind="highlight", audience=audience, scope="project", project=project, title="H", **PERIOD
    )
    text = one_line(" ".join(page_texts(report_render_snapshot(snapshot).pdf)))
    assert "Signed discovery report" in text
    assert "Overdue: Late data model (not started)" in text
    assert "Far future launch" not in text
    if audience == "internal":
        assert "Supplier insolvency" in text
        assert "RAID log (internal)" in text
    else:
        assert "Supplier insolvency" not in json.dumps(snapshot)
        assert "RAID log" not in text
    assert "Closed long ago" not in text


def test_it_draws_the_burn_up_from_the_stored_series_for_the_internal_audience_only(world):
    from projects.models import BudgetLine
    from reports.rendering import report_render_html

    project = world["alpha_project"]
    BudgetLine.objects.create(project=project, category="labour", amount=Decimal("800000"))
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 28))
    common = {"kind": "highlight", "scope": "project", "project": project, "title": "B", **PERIOD}
    internal = report_build_snapshot(audience="internal", **common)
    client = report_build_snapshot(audience="client", **common)
    series = internal["projects"][0]["burn_up"]
    assert series
    assert all(isinstance(point["pv"], str) for point in series)
    assert "chart-burn-up" in report_render_html(json.loads(json.dumps(internal)))
    assert "burn_up" not in client["projects"][0]
    assert "chart-burn-up" not in report_render_html(client)
