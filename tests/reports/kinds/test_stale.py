"""Stale ratings in the portfolio report: a rating dated before the period is marked and counted apart."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from projects.rag import RAG
from reports.kinds.project_rows import rag_count_line
from reports.rendering import report_render_html, report_render_snapshot, report_sections
from tests import factories
from tests.reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db

DECEMBER = {"period_start": dt.date(2026, 12, 1), "period_end": dt.date(2026, 12, 31)}


@pytest.fixture
def department():
    """STALE-1 last rated Red in 2018; STALE-2/3/4 rated Red, Amber, Green in December 2026; STALE-5 never updated."""
    department = factories.DepartmentFactory(code="STALE")
    ratings = [(dt.date(2018, 6, 30), RAG.RED), (dt.date(2026, 12, 4), RAG.RED)]
    ratings += [(dt.date(2026, 12, 4), RAG.AMBER), (dt.date(2026, 11, 30), RAG.GREEN)]
    for i, (as_of, rag) in enumerate(ratings, start=1):
        project = factories.ProjectFactory(code=f"STALE-{i}", name=f"Stale item {i}", departments=[department])
        if i == 4:  # rated in November, then again in December: the December update counts
            factories.StatusUpdateFactory(project=project, as_of=as_of, rag=RAG.RED)
            as_of = dt.date(2026, 12, 2)
        factories.StatusUpdateFactory(project=project, as_of=as_of, rag=rag)
    factories.ProjectFactory(code="STALE-5", name="Stale item 5", departments=[department], rag="")
    return department


def test_it_counts_a_rating_from_before_the_period_apart(department):
    snapshot = build_snapshot(department=department, **DECEMBER)

    totals = snapshot["totals"]
    assert {key: totals[key] for key in ("projects", "red", "amber", "green", "not_rated", "stale")} == {
        "projects": 5,
        "red": 1,
        "amber": 1,
        "green": 1,
        "not_rated": 1,
        "stale": 1,
    }
    assert [row["code"] for row in snapshot["projects"] if row["stale"]] == ["STALE-1"]
    assert snapshot["summary_lines"][0] == "5 projects: 1 red, 1 amber, 1 green, 1 not rated; 1 stale, not counted"


def test_the_client_snapshot_marks_it_too(department):
    project = department.projects.get(code="STALE-1")
    snapshot = build_snapshot(kind="highlight", audience="client", scope="project", project=project, **DECEMBER)
    assert snapshot["projects"][0]["stale"] is True
    assert snapshot["totals"]["stale"] == 1
    assert snapshot["totals"]["red"] == 0


@pytest.mark.parametrize(
    ("period_start", "period_end", "stale"),
    [
        # A daily report on Friday 4 December: the updates of 30 November and later are the week's, not stale.
        (dt.date(2026, 12, 4), dt.date(2026, 12, 4), ["STALE-1"]),
        # A daily report on Monday 7 December: STALE-4's update of 2 December is within the week ending that day.
        (dt.date(2026, 12, 7), dt.date(2026, 12, 7), ["STALE-1"]),
        # A daily report on Wednesday 9 December: the week ending that day starts on the 3rd, so STALE-4's
        # update of 2 December is stale too.
        (dt.date(2026, 12, 9), dt.date(2026, 12, 9), ["STALE-1", "STALE-4"]),
        # A weekly report for 7-13 December: everything before the 7th is stale.
        (dt.date(2026, 12, 7), dt.date(2026, 12, 13), ["STALE-1", "STALE-2", "STALE-3", "STALE-4"]),
    ],
)
def test_a_period_shorter_than_a_week_takes_the_last_weeks_update_as_current(
    department, period_start, period_end, stale
):
    snapshot = build_snapshot(department=department, period_start=period_start, period_end=period_end)
    assert [row["code"] for row in snapshot["projects"] if row["stale"]] == stale


def test_a_rating_from_after_the_period_or_none_at_all_is_not_counted(department):
    # FUTURE-1's only update is dated after December; NOUPDATE-1 carries a rating but has no update at all.
    future = factories.ProjectFactory(code="FUTURE-1", departments=[department], rag=RAG.RED)
    factories.StatusUpdateFactory(project=future, as_of=dt.date(2027, 1, 10), rag=RAG.RED)
    factories.ProjectFactory(code="NOUPDATE-1", departments=[department], rag=RAG.RED)
    snapshot = build_snapshot(department=department, **DECEMBER)
    rows = {row["code"]: row for row in snapshot["projects"]}
    assert (rows["FUTURE-1"]["rag"], rows["NOUPDATE-1"]["rag"]) == ("", "")
    assert (snapshot["totals"]["red"], snapshot["totals"]["not_rated"]) == (1, 3)


def test_nothing_is_stale_without_a_period_start(department):
    snapshot = build_snapshot(department=department, period_start=None, period_end=DECEMBER["period_end"])
    assert snapshot["totals"]["stale"] == 0
    assert snapshot["totals"]["red"] == 2
    assert snapshot["summary_lines"][0] == "5 projects: 2 red, 1 amber, 1 green, 1 not rated"


def test_it_words_the_count_without_stale_when_there_is_none():
    totals = {"red": 3, "amber": 2, "green": 1, "not_rated": 0}
    assert rag_count_line(totals) == "3 red, 2 amber, 1 green, 0 not rated"
    assert rag_count_line({**totals, "stale": 12}) == "3 red, 2 amber, 1 green, 0 not rated; 12 stale, not counted"


def test_the_pdf_says_it_is_stale_and_leaves_it_out_of_the_red_projects(department):
    snapshot = build_snapshot(department=department, **DECEMBER)

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(report_render_snapshot(snapshot).pdf)).pages]

    page1 = " ".join(pages[0].split())
    assert "RAG: 1 red, 1 amber, 1 green, 1 not rated; 1 stale, not counted" in page1
    assert "Stale, not counted above: 1 project" in page1
    assert "STALE-1 (Red as of 30 Jun 2018)" in page1
    red_list = page1.split("Red projects", 1)[1]
    assert "STALE-2 Stale item 2" in red_list
    assert "STALE-1 Stale item 1" not in red_list
    everything = " ".join(" ".join(pages[1:]).split())
    # The rows carry the facts (the status's date), not the period-relative flag: the summary says which are stale.
    assert "Status as of 30 Jun 2018" in everything
    assert "Stale:" not in everything
    assert "not counted in the RAG totals" not in everything


def test_a_daily_reports_note_gives_the_date_a_week_back(department):
    daily = build_snapshot(department=department, period_start=dt.date(2026, 12, 9), period_end=dt.date(2026, 12, 9))
    text = " ".join(report_render_html(daily).split())
    assert "whose latest status update is dated before 3 Dec 2026 (more than a week before the period's end)" in text
    monthly = " ".join(report_render_html(build_snapshot(department=department, **DECEMBER)).split())
    assert "whose latest status update is dated before 1 Dec 2026, when this period began" in monthly


def test_the_rows_carry_no_stale_flag_so_an_unchanged_projects_pages_stay_the_same(department):
    """Staleness depends on the period: it lives in the summary (and its appendix), never in a row's slice,
    so a project's table row and commentary (and their cached layout) stay the same week after week."""
    snapshot = build_snapshot(department=department, **DECEMBER)
    sections = report_sections(snapshot)
    for section in sections[1:]:
        for row in section.context.get("rows", []):
            assert "stale" not in row
    html = report_render_html(snapshot)
    assert 'class="note stale"' not in html
    assert "Stale, not counted above: 1 project" in html


def test_more_than_ten_stale_projects_are_listed_after_the_table(department):
    for i in range(6, 18):
        project = factories.ProjectFactory(code=f"STALE-{i}", name=f"Stale item {i}", departments=[department])
        factories.StatusUpdateFactory(project=project, as_of=dt.date(2019, 1, 31), rag=RAG.AMBER)
    snapshot = build_snapshot(department=department, **DECEMBER)

    pages = [
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(report_render_snapshot(snapshot).pdf)).pages
    ]

    assert "and 3 more, listed after the projects" in pages[0]
    appendix = " ".join(pages).split("Stale projects", 1)[1]
    assert "Latest status update dated before 1 Dec 2026" in appendix
    for i in (1, *range(6, 18)):
        assert f"STALE-{i} Stale item {i}" in appendix
