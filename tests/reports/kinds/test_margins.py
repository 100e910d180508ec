"""Revenue and margin in the internal portfolio and highlight reports, read back from the real PDFs; never in the
client's.

ALPHA-1 (client Acme, target margin 25 %) is a fixed price of 123,456.00 whose
first billing milestone of 45,678.00 fell due on 10 March 2025; it has spent
12,345.00 and estimates 98,765.00 more to finish. As of 31 March 2025:
revenue 45,678.00, margin to date 45,678.00 - 12,345.00 = 33,333.00 (73.0 %
of revenue); forecast cost at completion 12,345.00 + 98,765.00 = 111,110.00,
forecast margin 123,456.00 - 111,110.00 = 12,346.00 (10.0 % of the price),
below the client's 25 %.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from pypdf import PdfReader

from projects.models import BillingMilestone, BillingModel, Expense, ProjectBilling, ProjectBudget
from reports.rendering import report_render_html, report_render_snapshot, report_sections
from reports.sections import MARGIN_KEYS, section_json
from tests import factories
from tests.reports.snapshots import PERIOD_END, build_snapshot

pytestmark = pytest.mark.django_db

D = Decimal
#: What the internal reports print of ALPHA-1's money loop, and what no client version may.
FIGURES = ("£45,678", "£33,333", "73.0%", "£12,346", "10.0%")


@pytest.fixture
def priced(world):
    """ALPHA-1 billed as the module docstring says, with its March update."""
    project = world["alpha_project"]
    acme = project.client
    acme.margin_target_percent = D("25")
    acme.save()
    ProjectBilling.objects.create(project=project, model=BillingModel.FIXED_PRICE, contract_value=D("123456.00"))
    BillingMilestone.objects.create(project=project, name="Design", amount=D("45678.00"), due_on=dt.date(2025, 3, 10))
    BillingMilestone.objects.create(project=project, name="Launch", amount=D("77778.00"), due_on=dt.date(2025, 9, 30))
    ProjectBudget.objects.create(project=project, etc_bottom_up=D("98765.00"))
    Expense.objects.create(
        project=project, date=dt.date(2025, 3, 5), amount=D("12345.00"), currency="GBP", category="travel"
    )
    factories.StatusUpdateFactory(project=project, as_of=PERIOD_END)
    return project


def text_of(pdf: bytes) -> str:
    """The PDF's text with its lines joined by spaces (a cell may wrap)."""
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def highlight(project, audience: str) -> dict:
    return build_snapshot(kind="highlight", audience=audience, scope="project", project=project)


def test_it_adds_each_projects_revenue_and_margin_to_the_internal_rows_and_totals(world, priced):
    snapshot = build_snapshot(department=world["alpha"])
    (row,) = snapshot["projects"]
    assert {key: row[key] for key in MARGIN_KEYS if key not in ("code", "name")} == {
        "billing": "Fixed price",
        "currency": "GBP",
        "revenue": "45678.00",
        "margin": "33333.00",
        "margin_percent": "73.0",
        "forecast_margin": "12346.00",
        "forecast_margin_percent": "10.0",
        "margin_target": "25",
        "below_target": True,
    }
    assert (row["contract_value"], row["cost_to_date"], row["eac"]) == ("123456.00", "12345.00", "111110.00")
    (total,) = snapshot["totals"]["margins"]
    assert total == {
        "currency": "GBP",
        "projects": 1,
        "revenue": "45678.00",
        "cost_to_date": "12345.00",
        "margin": "33333.00",
        "margin_percent": "73.0",
        "forecast_revenue": "123456.00",
        "eac": "111110.00",
        "forecast_margin": "12346.00",
        "forecast_margin_percent": "10.0",
        "below_target": 1,
    }
    assert (
        "Margin to date £33,333 (73.0%), forecast £12,346 (10.0%); 1 project forecast below its client's target"
        in snapshot["summary_lines"]
    )
    json.dumps(snapshot)  # stored with the report


def test_the_client_snapshots_hold_none_of_it(world, priced):
    for snapshot in (highlight(priced, "client"), build_snapshot(department=world["alpha"], audience="client")):
        (row,) = snapshot["projects"]
        assert not set(row) & {"billing", "revenue", "margin", "forecast_margin", "margin_target", "eac"}
        assert "margins" not in snapshot["totals"]
        text = json.dumps(snapshot)
        for figure in ("45678", "33333", "12346", "123456", "111110", "98765", "12345"):
            assert figure not in text


def test_the_internal_portfolio_prints_the_margin_table_and_the_totals(world, priced):
    snapshot = build_snapshot(department=world["alpha"])
    text = text_of(report_render_snapshot(snapshot, chunked=False).pdf)
    assert "Revenue and margin" in text
    for figure in FIGURES:
        assert figure in text, figure
    assert "25% below" in text  # the client's target, marked
    assert "Below client's target" in text  # the summary's count


def test_the_internal_highlight_prints_the_projects_money_loop(priced):
    text = text_of(report_render_snapshot(highlight(priced, "internal")).pdf)
    assert "Revenue and margin (internal)" in text
    for figure in (*FIGURES, "£123,456", "£111,110"):
        assert figure in text, figure
    assert "Forecast margin 10.0% is below the client's target of 25%." in text


def test_the_client_highlight_prints_none_of_it(priced):
    text = text_of(report_render_snapshot(highlight(priced, "client")).pdf)
    assert "ALPHA-1" in text  # a control: the report is there
    assert "margin" not in text.lower()
    assert "revenue" not in text.lower()
    for figure in (*FIGURES, "£123,456", "£111,110", "£12,345"):
        assert figure not in text, figure


def test_a_client_portfolio_has_no_margin_section(world, priced):
    snapshot = build_snapshot(department=world["alpha"], audience="client")
    assert not [section.id for section in report_sections(snapshot) if section.id.startswith("margins")]
    assert "Revenue and margin" not in report_render_html(snapshot)


def test_a_change_of_margin_lays_out_only_the_margin_sections_again(world, priced):
    """The chunk cache reuses a section whose slice is unchanged: approving time or a milestone falling due
    changes the margin table (and the summary's totals), never the projects table or the commentary."""

    def sections() -> dict[str, dict]:
        return {
            section.id: section_json(section) for section in report_sections(build_snapshot(department=world["alpha"]))
        }

    before = sections()
    BillingMilestone.objects.filter(name="Launch").update(due_on=dt.date(2025, 3, 20))
    after = sections()
    assert before.keys() == after.keys()
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"summary", "margins-0"}
    assert set(after["margins-0"]["context"]["rows"][0]) == set(MARGIN_KEYS)


def test_a_snapshot_stored_before_reports_showed_margin_renders_as_it_did(world, priced):
    snapshot = build_snapshot(department=world["alpha"])
    for row in snapshot["projects"]:
        for key in [key for key in row if key in MARGIN_KEYS and key not in ("code", "name", "currency")]:
            del row[key]
    del snapshot["totals"]["margins"]
    html = report_render_html(snapshot)
    assert "Revenue and margin" not in html
    assert "Revenue to date" not in html
