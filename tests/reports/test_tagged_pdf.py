"""Every report kind, for every audience it declares, as a tagged, valid PDF in the body font.

Read back from the PDF bytes (``tests.pdfs``): the structure tree (headings,
tables, a text alternative on every figure), ``/Lang``, the title shown,
author and XMP metadata, ``qpdf --check``, and the embedded fonts (no CJK
font in a report without CJK text: the body font covers what the templates
and formatters print).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest

from apm.formatting import format_money
from projects.models import BudgetLine
from reports.kinds import KINDS
from reports.models import Scope
from reports.rendering import report_render_snapshot
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.pdfs import accessibility, embedded_fonts, qpdf_check

PERIOD_START = dt.date(2025, 6, 1)
PERIOD_END = dt.date(2025, 6, 30)
DECLARED = [(kind, audience) for kind, spec in KINDS.items() for audience in spec.audiences]


@pytest.fixture
def rendered(world, pm, cost_exception, settings):
    """A function rendering ``(kind, audience)`` for ALPHA-1 (its department for company-wide kinds), with a plan,
    a budget, milestones, deliverables and a risk so that every chart and table of the kind is drawn."""
    settings.APM_COMPANY_NAME = "Northwind Account Services"
    project = world["alpha_project"]
    project.start_date, project.end_date = dt.date(2025, 1, 6), dt.date(2025, 12, 19)
    project.save()
    BudgetLine.objects.create(project=project, category="labour", amount=Decimal("800000"))
    factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 6, 27))
    factories.MilestoneFactory(project=project, name="Design signed off", due_date=dt.date(2025, 3, 31))
    factories.MilestoneFactory(project=project, name="Go-live", due_date=dt.date(2025, 11, 28))
    factories.DeliverableFactory(project=project, name="Discovery report", due_date=dt.date(2025, 4, 30))
    factories.RaidItemFactory(project=project, title="Supplier insolvency")

    def render(kind: str, audience: str):
        spec = KINDS[kind]
        where = {"scope": Scope.PROJECT, "project": project}
        if Scope.PROJECT not in spec.scopes:
            where = {"scope": Scope.DEPARTMENT, "department": world["alpha"]}
        snapshot = report_build_snapshot(
            kind=kind,
            audience=audience,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            title=spec.title(subject="Alpha", on=PERIOD_END),
            tolerance_exception_id=cost_exception.pk if spec.about_exception else None,
            **where,
        )
        return snapshot, report_render_snapshot(snapshot)

    return render


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), DECLARED)
def test_it_tags_every_kind_for_every_audience(rendered, caplog, kind, audience):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        snapshot, report = rendered(kind, audience)
    # WeasyPrint logs an error for an image without alt text or a document without a language.
    assert [record.getMessage() for record in caplog.records if record.name == "weasyprint"] == []
    found = accessibility(report.pdf)
    assert found.has_struct_tree
    assert found.marked
    assert found.lang == "en-GB"
    assert found.display_doc_title
    assert found.title == snapshot["title"]
    assert {"H1", "H2", "Table", "TR", "TH", "TD", "P"} <= set(found.tags), sorted(set(found.tags))
    # The logo and the charts are figures, and each says in words what it shows.
    assert found.figure_alts
    assert found.figures_without_alt == 0, found.figure_alts


@pytest.mark.django_db
def test_it_puts_the_burn_up_figures_into_the_charts_text_alternative(rendered):
    snapshot, report = rendered("highlight", "internal")
    series = snapshot["projects"][0]["burn_up"]
    known = [point for point in series if point["ac"] is not None][-1]
    alts = accessibility(report.pdf).figure_alts
    burn_up = [alt for alt in alts if alt.startswith("Burn-up")]
    assert len(burn_up) == 1, alts
    for word, key in (("planned", "pv"), ("earned", "ev"), ("actual", "ac")):
        assert f"{word} {format_money(known[key], 'GBP')}" in burn_up[0].lower()
    assert [alt for alt in alts if alt.startswith("Milestone timeline") and "Go-live due 28 Nov 2025" in alt], alts


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), DECLARED)
def test_it_sets_the_author_and_the_xmp_metadata(rendered, kind, audience):
    snapshot, report = rendered(kind, audience)
    found = accessibility(report.pdf)
    assert found.author == "Northwind Account Services"
    assert found.xmp_titles == [snapshot["title"]]
    assert found.xmp_pdfua_part == "1"


@pytest.mark.django_db
def test_it_names_apm_as_the_author_without_a_company_name(rendered, settings):
    settings.APM_COMPANY_NAME = ""
    _snapshot, report = rendered("highlight", "client")
    assert accessibility(report.pdf).author == "APM"


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), DECLARED)
def test_it_passes_qpdf_check(rendered, tmp_path, kind, audience):
    _snapshot, report = rendered(kind, audience)
    qpdf_check(report.pdf, tmp_path)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "audience"), DECLARED)
def test_it_embeds_no_cjk_font_in_a_report_without_cjk_text(rendered, kind, audience):
    _snapshot, report = rendered(kind, audience)
    fonts = embedded_fonts(report.pdf)
    assert fonts
    assert not [name for name in fonts if "CJK" in name], fonts
