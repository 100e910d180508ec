"""The snapshot of the kinds with a row per project (portfolio, highlight): scopes, totals, redaction, what changed,
fixed query counts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from projects.rag import RAG
from tests import factories
from tests.reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db


def seed_department(n: int, code: str = "DEPT"):
    department = factories.DepartmentFactory(code=code)
    rags = [RAG.RED, RAG.AMBER, RAG.GREEN]
    for i in range(n):
        project = factories.ProjectFactory(code=f"{code}-{i:03d}", departments=[department])
        factories.StatusUpdateFactory(project=project, as_of=dt.date(2024, 12, 31), rag=RAG.GREEN)
        factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, 3, 31), rag=rags[i % 3])
        factories.MilestoneFactory(project=project)
    return department


def test_it_counts_rag_and_totals_money_from_the_latest_status_update(world):
    department = world["alpha"]
    second = factories.ProjectFactory(code="ALPHA-2", departments=[department], bac=Decimal("500.50"))
    factories.StatusUpdateFactory(
        project=world["alpha_project"],
        as_of=dt.date(2024, 3, 31),
        rag=RAG.GREEN,
        budget_period=Decimal("1"),
        forecast_period=Decimal("1"),
    )
    factories.StatusUpdateFactory(
        project=world["alpha_project"],
        as_of=dt.date(2025, 3, 31),
        rag=RAG.RED,
        budget_period=Decimal("100.00"),
        forecast_period=Decimal("150.25"),
    )
    # After period_end: must be ignored.
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 4, 30), rag=RAG.GREEN)
    factories.StatusUpdateFactory(
        project=second, as_of=dt.date(2025, 2, 28), rag=RAG.AMBER, budget_period=Decimal("10"), forecast_period=None
    )

    snapshot = build_snapshot(department=department)

    totals = snapshot["totals"]
    # ALPHA-2's Amber is as of 28 February, before the March period: stale, so counted apart from the RAG totals.
    counts = ("projects", "red", "amber", "green", "not_rated", "stale")
    assert tuple(totals[key] for key in counts) == (2, 1, 0, 0, 0, 1)
    assert totals["bac"] == "1000500.50"
    assert totals["budget_period"] == "110.00"
    assert totals["forecast_period"] == "150.25"
    assert totals["variance"] == "50.25"
    assert totals["currency"] == "GBP"
    assert totals["money_complete"] is False
    assert "forecast missing for 1" in totals["money_note"]
    assert [row["code"] for row in snapshot["projects"]] == ["ALPHA-1", "ALPHA-2"]
    assert snapshot["projects"][0]["as_of"] == "2025-03-31"
    json.dumps(snapshot)  # JSON-serialisable as it stands


def test_it_selects_projects_by_each_scope(world, pm):
    def codes(**scope):
        return [r["code"] for r in build_snapshot(kind="highlight", audience="client", **scope)["projects"]]

    assert codes(scope="project", project=world["beta_project"]) == ["BETA-1"]
    assert codes(scope="department", department=world["beta"]) == ["BETA-1"]
    assert codes(scope="pm_portfolio", project_manager=pm) == ["ALPHA-1"]
    assert codes(scope="company") == ["ALPHA-1", "BETA-1"]
    with pytest.raises(ValueError, match="needs a department"):
        build_snapshot(scope="department")
    with pytest.raises(ValueError, match="Unknown report kind"):
        build_snapshot(kind="weekly", department=world["alpha"])


def test_it_builds_the_client_snapshot_without_any_internal_key_or_figure(internal_money):
    client = build_snapshot(audience="client", scope="project", project=internal_money, kind="highlight")
    internal = build_snapshot(audience="internal", scope="project", project=internal_money, kind="highlight")

    text = json.dumps(client)
    for needle in ("987654321", "13579246", "24681357", "97531864", "11102111", "Internal margin talk"):
        assert needle not in text
    for key in ("bac", "budget_period", "forecast_period", "variance", "whole_life_cost", "commentary_budget"):
        assert key not in client["projects"][0]
        assert key not in client["totals"]
    assert "£" not in " ".join(client["summary_lines"])
    # The internal one has them (so the checks above can fail).
    assert "987654321.12" in json.dumps(internal)
    assert internal["projects"][0]["budget_period"] == "13579246.80"


def test_it_says_first_report_when_there_is_no_previous_snapshot(world):
    snapshot = build_snapshot(department=world["alpha"])
    assert snapshot["changes"]["first_report"] is True
    assert "First report in this series" in snapshot["changes"]["lines"][0]


def test_it_lists_rag_moves_and_projects_added_and_removed(world):
    department = world["alpha"]
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 2, 28), rag=RAG.AMBER)
    gone = factories.ProjectFactory(code="ALPHA-9", name="Gone Project", departments=[department])
    first = build_snapshot(department=department, period_end=dt.date(2025, 2, 28))

    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 3, 31), rag=RAG.RED)
    gone.departments.clear()
    factories.ProjectFactory(code="ALPHA-3", name="New Project", departments=[department])
    second = build_snapshot(department=department, previous_snapshot=first)

    changes = second["changes"]
    assert changes["first_report"] is False
    assert changes["rag_moves"] == [{"code": "ALPHA-1", "name": "Alpha Project", "from": "amber", "to": "red"}]
    assert changes["added"] == [{"code": "ALPHA-3", "name": "New Project"}]
    assert changes["removed"] == [{"code": "ALPHA-9", "name": "Gone Project"}]
    assert "ALPHA-1 Alpha Project: Amber to Red" in changes["lines"]
    assert any("1 RAG change" in line for line in second["summary_lines"])


def test_it_writes_three_to_six_summary_lines_with_money_only_for_internal(world):
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 3, 31), rag=RAG.RED)
    internal = build_snapshot(department=world["alpha"])["summary_lines"]
    client = build_snapshot(department=world["alpha"], audience="client")["summary_lines"]
    assert 3 <= len(internal) <= 6
    assert internal[0] == "1 project: 1 red, 0 amber, 0 green, 0 not rated"
    assert any(line.startswith("Budget this period £100,000") for line in internal)
    assert 2 <= len(client) <= 6
    assert not any("£" in line for line in client)


@pytest.mark.parametrize("audience", ["internal", "client"])
def test_it_runs_the_same_number_of_queries_for_3_and_30_projects(django_assert_num_queries, audience):
    small = seed_department(3, "SMALL")
    large = seed_department(30, "LARGE")
    # projects, latest status updates, milestones; internally also the compliance section (obligation clauses,
    # documents on file, expired documents; the reports sent are read only for a clause met by a report, and none
    # is), the CPI/SPI ratings (costed projects with their current baselines, the milestones of those without
    # one), the open tolerance exceptions and the margins (costed projects with their billing, approved time and
    # billable expenses by month; none billed at a fixed price)
    queries = 3 + (3 + 2 + 1 + 3 if audience == "internal" else 0)
    with django_assert_num_queries(queries):
        few = build_snapshot(department=small, audience=audience)
    with django_assert_num_queries(queries):
        many = build_snapshot(department=large, audience=audience)
    assert len(few["projects"]) == 3
    assert len(many["projects"]) == 30
    assert (many["totals"]["red"], many["totals"]["amber"], many["totals"]["green"]) == (10, 10, 10)
