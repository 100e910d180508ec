"""The portfolio report stays short at any size: commentary only for the projects that need
attention (red, an open tolerance exception, a RAG changed since the last report) unless the schedule asks for
all of it; the summary says how many and why; the table lists every project.

A department of eight: ATT-1 red, ATT-2 green with an open cost exception, ATT-3 amber that was green in the
previous report, ATT-4 green with an exception closed before the period's end, ATT-5..8 green and unchanged.
Read back from the PDF (pypdf), single pass and chunked.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import ToleranceException
from reports.kinds.portfolio import estimated_pages, toc_entries
from reports.models import ReportSchedule
from reports.rendering import report_render_snapshot
from reports.services.requests import wants_full_commentary
from reports.snapshot import report_build_snapshot
from tests import factories
from tests.reports.scheduled import schedule_form_data
from tests.reports.test_chunked import texts

pytestmark = pytest.mark.django_db

PREVIOUS_END = dt.date(2025, 2, 28)
PERIOD_END = dt.date(2025, 3, 31)
#: code: (RAG in the previous report, RAG now)
RAGS = {
    "ATT-1": ("red", "red"),
    "ATT-2": ("green", "green"),
    "ATT-3": ("green", "amber"),
    "ATT-4": ("green", "green"),
    "ATT-5": ("green", "green"),
    "ATT-6": ("green", "green"),
    "ATT-7": ("green", "green"),
    "ATT-8": ("green", "green"),
}
NEEDING = ["ATT-1", "ATT-2", "ATT-3"]


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def department() -> Any:
    department = factories.DepartmentFactory(code="ATT", name="Attention Department")
    client = factories.ClientFactory(name="Initech")
    for code, (before, now) in RAGS.items():
        project = factories.ProjectFactory(
            code=code, name=f"Scheme {code[-1]}", client=client, departments=[department], rag=now
        )
        for as_of, rag in ((dt.date(2025, 2, 27), before), (dt.date(2025, 3, 28), now)):
            factories.StatusUpdateFactory(
                project=project,
                as_of=as_of,
                rag=rag,
                rating_published=rag.title(),
                commentary_overall=f"Commentary of {code} as of {as_of:%d %B}.",
            )
        if code == "ATT-2":
            ToleranceException.objects.create(
                project=project, kind="cost", summary="ATT-2 forecast 12% over budget", raised_at=_moment(PERIOD_END)
            )
        if code == "ATT-4":
            ToleranceException.objects.create(
                project=project,
                kind="time",
                state="closed",
                summary="ATT-4 late",
                raised_at=_moment(dt.date(2025, 3, 1)),
                closed_at=_moment(dt.date(2025, 3, 20)),
            )
    return department


def build(department: Any, *, full_commentary: bool = False, audience: str = "internal") -> dict[str, Any]:
    previous = report_build_snapshot(
        kind="portfolio",
        audience=audience,
        scope="department",
        department=department,
        period_start=dt.date(2025, 2, 1),
        period_end=PREVIOUS_END,
        title="Attention: portfolio report",
    )
    return dict(
        report_build_snapshot(
            kind="portfolio",
            audience=audience,
            scope="department",
            department=department,
            period_start=dt.date(2025, 3, 1),
            period_end=PERIOD_END,
            title="Attention: portfolio report",
            previous_snapshot=previous,
            full_commentary=full_commentary,
        )
    )


def commentary_codes(pages: list[str]) -> list[str]:
    """The codes of the projects whose commentary the PDF prints."""
    text = "\n".join(pages)
    return sorted(set(re.findall(r"Commentary of (ATT-\d) as of", text)))


def test_the_snapshot_marks_why_a_project_needs_attention_and_records_the_choice(department):
    snapshot = build(department)
    rows = {row["code"]: row for row in snapshot["projects"]}
    assert rows["ATT-1"]["attention"] == ["red"]
    assert rows["ATT-2"]["attention"] == ["tolerance"]
    assert rows["ATT-2"]["tolerance_exceptions"] == [{"kind": "cost", "summary": "ATT-2 forecast 12% over budget"}]
    # Closed before the period's end: nothing open; a changed RAG is the period's, not the row's.
    assert rows["ATT-4"]["attention"] == rows["ATT-3"]["attention"] == []
    assert [move["code"] for move in snapshot["changes"]["rag_moves"]] == ["ATT-3"]
    assert snapshot["full_commentary"] is False
    assert build(department, full_commentary=True)["full_commentary"] is True


def test_the_short_report_shows_commentary_only_for_the_projects_that_need_attention(department):
    snapshot = build(department)
    rendered = report_render_snapshot(snapshot, chunked=False)
    pages = texts(rendered.pdf)
    assert commentary_codes(pages) == NEEDING
    assert (
        "Commentary for 3 of 8 projects: red, broken tolerance or changed since the last report; "
        "the table lists every project."
    ) in pages[0].replace("\n", " ")
    assert "Tolerance broken (cost): ATT-2 forecast 12% over budget" in "\n".join(pages).replace("\n", " ")
    # The table lists every project, and the changes come first after the summary's figures.
    table = "\n".join(page for page in pages if "Projects\nCode" in page or "Scheme" in page)
    assert all(f"Scheme {code[-1]}" in table for code in RAGS)
    assert pages[0].index("What changed since the last report") < pages[0].index("Commentary for 3 of 8")
    assert ("sec-commentary", "Latest commentary") in toc_entries(snapshot)  # type: ignore[arg-type]


def test_the_full_commentary_shows_every_project(department):
    snapshot = build(department, full_commentary=True)
    pages = texts(report_render_snapshot(snapshot, chunked=False).pdf)
    assert commentary_codes(pages) == sorted(RAGS)
    assert "Commentary for all 8 projects." in pages[0]
    assert estimated_pages(snapshot) > estimated_pages(build(department))  # type: ignore[arg-type]


def test_a_client_version_counts_no_tolerance_and_shows_red_and_changed(department):
    snapshot = build(department, audience="client")
    pages = texts(report_render_snapshot(snapshot, chunked=False).pdf)
    assert commentary_codes(pages) == ["ATT-1", "ATT-3"]
    assert "Commentary for 2 of 8 projects: red or changed since the last report" in pages[0].replace("\n", " ")
    assert "ATT-2 forecast" not in "\n".join(pages)


def test_a_snapshot_older_than_the_choice_renders_as_before_with_every_commentary(department):
    snapshot = build(department)
    del snapshot["full_commentary"]
    for row in snapshot["projects"]:
        del row["attention"]
    assert commentary_codes(texts(report_render_snapshot(snapshot, chunked=False).pdf)) == sorted(RAGS)


def test_no_project_needing_attention_leaves_out_the_commentary(department):
    snapshot = build(department)
    snapshot["projects"] = [row for row in snapshot["projects"] if row["code"] not in NEEDING]
    snapshot["changes"] = {**snapshot["changes"], "rag_moves": []}
    pages = texts(report_render_snapshot(snapshot, chunked=False).pdf)
    assert commentary_codes(pages) == []
    assert "No project needs attention" in pages[0]
    assert ("sec-commentary", "Latest commentary") not in toc_entries(snapshot)  # type: ignore[arg-type]


@pytest.mark.parametrize("full_commentary", [False, True])
def test_single_pass_and_chunked_give_the_same_pages(department, full_commentary):
    snapshot = build(department, full_commentary=full_commentary)
    single = texts(report_render_snapshot(snapshot, chunked=False).pdf)
    chunked = texts(report_render_snapshot(snapshot, chunked=True).pdf)
    assert chunked == single


def test_the_schedule_form_saves_the_full_commentary_of_a_portfolio_report_only(client, head, world, monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)
    client.force_login(head)
    html = client.get(reverse("reports:schedule_create")).content.decode()
    assert 'data-field="full_commentary"' in html
    data = schedule_form_data(
        name="Alpha portfolio", kind="portfolio", audience="internal", scope="department", department=world["alpha"].pk
    )
    response = client.post(reverse("reports:schedule_create"), data | {"full_commentary": "on"})
    assert response.status_code == 302, response.context["form"].errors
    assert ReportSchedule.objects.get(name="Alpha portfolio").full_commentary is True
    response = client.post(reverse("reports:schedule_create"), data | {"name": "Alpha short"})
    assert response.status_code == 302
    assert ReportSchedule.objects.get(name="Alpha short").full_commentary is False
    # A kind that shows every project's commentary anyway does not keep the box.
    highlight = schedule_form_data(
        name="Alpha highlight", kind="highlight", audience="internal", scope="project", project="ALPHA-1"
    )
    response = client.post(reverse("reports:schedule_create"), highlight | {"full_commentary": "on"})
    assert response.status_code == 302, response.context["form"].errors
    assert ReportSchedule.objects.get(name="Alpha highlight").full_commentary is False


def test_only_a_schedule_asking_for_it_gets_the_full_commentary(world, pm):
    full = factories.ReportScheduleFactory(
        kind="portfolio", scope="department", department=world["alpha"], full_commentary=True
    )
    short = factories.ReportScheduleFactory(kind="portfolio", scope="department", department=world["alpha"])
    common = {"kind": "portfolio", "scope": "department", "department": world["alpha"], "project": None}
    assert wants_full_commentary(factories.ReportFactory(schedule=full, **common)) is True
    assert wants_full_commentary(factories.ReportFactory(schedule=short, **common)) is False
    assert wants_full_commentary(factories.ReportFactory(schedule=None, requested_by=pm, **common)) is False
