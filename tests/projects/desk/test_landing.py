"""The desk as a landing page: a PM's projects worst first; a head's decisions, departments and projects."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.budget import figures
from projects.desk.selectors import desk_for, head_desk_for, pm_rows
from projects.models import ChangeRequest, ClauseChangeProposal, ContingencyRequest, ExceptionPlan, ToleranceException
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 6, 2)


def rated(project, *rags: str, last: dt.date = dt.date(2025, 5, 30)) -> None:
    """Status updates of ``project`` with ``rags``, oldest first, the last dated ``last``."""
    for n, rag in enumerate(rags):
        as_of = last - dt.timedelta(days=7 * (len(rags) - 1 - n))
        factories.StatusUpdateFactory(project=project, as_of=as_of, rag=rag, percent_complete=Decimal(30 + n))


def decisions(project, *, pm, n: int = 0) -> None:
    """One decision of every kind a head takes, waiting on ``project``."""
    ChangeRequest.objects.create(
        project=project,
        number=1,
        title=f"Change {n}",
        description="d",
        reason="r",
        status="submitted",
        submitted_at=NOW,
    )
    ContingencyRequest.objects.create(
        project=project, amount=Decimal("100"), category="labour", reason="r", requested_by=pm, requested_at=NOW
    )
    clause = factories.ClauseFactory(project=project, number="4.1", title=f"Clause {n}")
    ClauseChangeProposal.objects.create(
        clause=clause,
        proposed_text="new",
        reason="r",
        base_version=1,
        old_text=clause.text,
        proposed_by=pm,
        proposed_at=NOW,
    )
    factories.RaidItemFactory(
        project=project,
        kind="issue",
        severity="critical",
        title=f"Site flooded {n}",
        probability=None,
        impact=None,
        ack_deadline=NOW,
        escalated_at=NOW,
    )
    ToleranceException.objects.create(project=project, kind="cost", summary=f"EAC over by 12% ({n})", raised_at=NOW)
    timed = ToleranceException.objects.create(
        project=project, kind="time", summary=f"Finish 30 days late ({n})", raised_at=NOW
    )
    ExceptionPlan.objects.create(
        exception=timed, options="o", recommendation="r", state="submitted", submitted_by=pm, submitted_at=NOW
    )


@time_machine.travel(NOW, tick=False)
def test_it_lists_the_pms_projects_worst_first_with_trend_milestone_and_actions(world, pm, client):
    alpha = world["alpha_project"]
    green = factories.ProjectFactory(code="GREEN-1", name="Quiet garden", project_manager=pm)
    busy = factories.ProjectFactory(code="AMBER-2", name="Busy amber", project_manager=pm)
    calm = factories.ProjectFactory(code="AMBER-1", name="Calm amber", project_manager=pm)
    rated(alpha, "amber", "red")
    rated(green, "green")
    rated(busy, "green", "amber")
    rated(calm, "amber")
    factories.DeliverableFactory(project=busy, name="Late", due_date=dt.date(2025, 5, 1))
    factories.MilestoneFactory(
        project=alpha, name="Done", due_date=dt.date(2025, 5, 1), completed_on=dt.date(2025, 5, 1)
    )
    factories.MilestoneFactory(project=alpha, name="Go live", due_date=dt.date(2026, 1, 15))
    _, rows = pm_rows(user=pm, desk=desk_for(user=pm, today=TODAY))
    assert [r.project.code for r in rows] == ["ALPHA-1", "AMBER-2", "AMBER-1", "GREEN-1"]
    assert [(r.previous_rag, r.rag, r.trend) for r in rows[:2]] == [
        ("amber", "red", "worse"),
        ("green", "amber", "worse"),
    ]
    assert rows[0].next_milestone.name == "Go live"
    assert [r.actions for r in rows] == [0, 1, 0, 0]
    assert rows[0].metrics is not None  # the PM sees money
    client.force_login(pm)
    page = client.get(reverse("projects:desk")).content.decode()
    assert "Alpha Project" in page
    assert "Quiet garden" in page
    assert "Go live" in page
    assert "15 Jan 2026" in page
    assert (
        page.index("Alpha Project") < page.index("Busy amber") < page.index("Calm amber") < page.index("Quiet garden")
    )


def test_it_shows_a_team_member_no_money(world, member, client):
    rated(world["alpha_project"], "green")
    client.force_login(member)
    page = client.get(reverse("projects:desk")).content.decode()
    assert "£" not in page
    page, rows = pm_rows(user=member, desk=desk_for(user=member, today=TODAY))
    assert (page.paginator.count, rows) == (0, [])


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_head_each_decision_waiting_linking_to_where_it_is_decided(world, pm, head, client):
    alpha, beta = world["alpha_project"], world["beta_project"]
    decisions(alpha, pm=pm, n=0)
    decisions(beta, pm=pm, n=1)  # BETA is not the head's department
    board = head_desk_for(user=head, today=TODAY)
    assert board is not None
    assert [
        len(items)
        for items in (
            board.changes_waiting,
            board.contingency_waiting,
            board.proposals_waiting,
            board.critical_issues,
            board.tolerances,
            board.plans_waiting,
        )
    ] == [1, 1, 1, 1, 1, 1]
    client.force_login(head)
    page = client.get(reverse("projects:desk")).content.decode()
    for text in (
        "Change 0",
        "Clause 4.1 proposal",
        "Contingency request",
        "Site flooded 0",
        "EAC over by 12% (0)",
        "awaiting the PM's plan",
        "Exception plan to decide: time tolerance",
        "Finish 30 days late (0)",
    ):
        assert text in page, text
    for text in ("Change 1", "Site flooded 1", "(1)", "BETA-1", "Beta Project"):
        assert text not in page, text
    decision = page[page.index("Waiting for my decision") : page.index("My departments")]
    links = set(re.findall(r'href="([^"]+)"', decision))
    # The change, the clause, the RAID item, the budget (contingency), the two exceptions' plan pages.
    assert len(links) == 6
    for link in links:
        assert client.get(link).status_code == 200, link
    plan_page = client.get(reverse("projects:exception_plan", args=["ALPHA-1", board.plans_waiting[0].pk]))
    assert "Approve the plan" in plan_page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_it_takes_a_decided_plan_off_the_heads_desk_and_shows_a_rejected_one_waiting_for_the_pm(world, pm, head):
    decisions(world["alpha_project"], pm=pm)
    plan = ExceptionPlan.objects.get()
    plan.state = "approved"
    plan.save()
    board = head_desk_for(user=head, today=TODAY)
    assert (len(board.tolerances), board.plans_waiting) == (1, [])  # the cost exception still has no plan
    plan.state, plan.decided_at = "rejected", NOW
    plan.save()
    board = head_desk_for(user=head, today=TODAY)
    assert [t.kind for t in board.tolerances] == ["cost", "time"]  # raised together: by id
    assert board.plans_waiting == []


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_head_their_departments_rag_money_and_projects_worst_first_stale_flagged(world, pm, head, client):
    alpha = world["alpha_project"]
    red = factories.ProjectFactory(code="ALPHA-9", name="Alpha red", departments=[world["alpha"]])
    silent = factories.ProjectFactory(code="ALPHA-0", name="Alpha silent", departments=[world["alpha"]])
    rated(alpha, "green", last=dt.date(2025, 1, 2))  # more than 90 days ago
    rated(red, "red")
    rated(world["beta_project"], "red")
    board = head_desk_for(user=head, today=TODAY)
    assert [(r.project.code, r.stale) for r in board.rows] == [("ALPHA-9", False), ("ALPHA-1", True), ("ALPHA-0", True)]
    assert silent.pk == board.rows[-1].project.pk
    (summary,) = board.departments
    assert summary.department == world["alpha"]
    assert summary.counts == {"red": 1, "amber": 0, "green": 1, "none": 1}
    bac, eac, vac = summary.money["GBP"]
    assert bac == Decimal("3000000.00")
    assert vac == bac - eac
    client.force_login(head)
    page = client.get(reverse("projects:desk")).content.decode()
    assert "£3,000,000" in page
    assert "2 stale" in page


def test_it_gives_a_pm_and_an_outside_head_no_head_desk(world, pm, outside_head):
    assert head_desk_for(user=pm, today=TODAY) is None
    board = head_desk_for(user=outside_head, today=TODAY)  # heads BETA, reports on ALPHA-1
    assert [r.project.code for r in board.rows] == ["BETA-1"]


def _fill(pm, dept, start: int, count: int) -> None:
    for n in range(start, start + count):
        project = factories.ProjectFactory(code=f"Q-{n}", name=f"Query {n}", project_manager=pm, departments=[dept])
        rated(project, "amber", "red")
        factories.MilestoneFactory(project=project, due_date=dt.date(2025, 9, 1))
        factories.DeliverableFactory(project=project, due_date=dt.date(2025, 5, 1))
        decisions(project, pm=pm, n=n)


@pytest.mark.parametrize("who", ["pm", "head"])
@time_machine.travel(NOW, tick=False)
def test_it_runs_the_same_number_of_queries_for_2_and_10_projects(who, world, users, client, django_assert_num_queries):
    user = users[who]
    client.force_login(user)
    _fill(users["pm"], world["alpha"], 0, 2)
    figures.refresh_due()  # the world's figures were written on the real day, after NOW: as of NOW instead
    client.get(reverse("projects:desk"))  # warm the session and content types
    # The head's: the ids of their projects read once, and which of them show money, two of the 18; one query
    # tells which of the decisions' lists have rows (here all five, so all are read). The PM's:
    # the ids of their projects read before the projects, one of the 20, and which of them show money; one query
    # tells which of the to-do lists have rows, and only those are read (here the overdue deliverables, the
    # changes and contingency waiting, the critical issues); no clause is met by a document or a report, so
    # neither is read. Both: the overdue invoices and whether they have open tasks (they have none).
    expected = {"pm": 20, "head": 18}[who]
    with django_assert_num_queries(expected):
        small = client.get(reverse("projects:desk"))
    _fill(users["pm"], world["alpha"], 2, 8)
    with django_assert_num_queries(expected):
        large = client.get(reverse("projects:desk"))
    assert small.content.decode().count("Query ") + 8 == large.content.decode().count("Query ")


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_head_their_projects_worst_first_a_page_at_a_time(world, users, client, settings):
    """A department of a thousand projects drew a thousand rows: a head sees 25 a page, the worst first."""
    pm, head = users["pm"], users["head"]
    for n in range(30):
        project = factories.ProjectFactory(code=f"P-{n:02d}", name=f"Paged {n:02d}", project_manager=pm)
        project.departments.set([world["alpha"]])
        rated(project, "red" if n >= 27 else "green")
    client.force_login(head)
    codes = re.compile(r'badge text-bg-light border fw-normal">(P-\d\d)<')
    first = client.get(reverse("projects:desk")).content.decode()
    assert codes.findall(first) == ["P-27", "P-28", "P-29", *[f"P-{n:02d}" for n in range(22)]]
    assert "Showing 1\u201325 of 31." in first  # ALPHA-1 of the world too, unrated: last
    assert 'aria-current="page"' in first
    second = client.get(reverse("projects:desk"), {"page": "2"}).content.decode()
    assert codes.findall(second) == [f"P-{n:02d}" for n in range(22, 27)]
    assert "Showing 26\u201331 of 31." in second
    assert "ALPHA-1" in second
    # Junk gives the first page, past the end the last.
    assert codes.findall(client.get(reverse("projects:desk"), {"page": "x"}).content.decode()) == codes.findall(first)
    assert codes.findall(client.get(reverse("projects:desk"), {"page": "99"}).content.decode()) == codes.findall(second)


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_pm_their_projects_worst_first_a_page_at_a_time_with_actions_counted_over_all(world, pm, client):
    """The order and the action counts come from every project, the rows only for the page shown."""
    for n in range(30):
        project = factories.ProjectFactory(code=f"P-{n:02d}", name=f"Paged {n:02d}", project_manager=pm)
        rated(project, "green")
        if n == 29:
            factories.DeliverableFactory(project=project, name="Late", due_date=dt.date(2025, 5, 1))
    client.force_login(pm)
    codes = re.compile(r'badge text-bg-light border fw-normal">(P-\d\d)</span></td>')
    first = client.get(reverse("projects:desk")).content.decode()
    # P-29 has an action: first of the greens; ALPHA-1 of the world is unrated: last, on page 2.
    assert codes.findall(first) == ["P-29", *[f"P-{n:02d}" for n in range(24)]]
    assert "Showing 1\u201325 of 31." in first
    second = client.get(reverse("projects:desk"), {"page": "2"}).content.decode()
    assert codes.findall(second) == [f"P-{n:02d}" for n in range(24, 29)]
    assert "Alpha Project" in second
    assert "Alpha Project" not in first
    # The to-do lists are the same on every page.
    assert first.count(">Late</a>") == second.count(">Late</a>") == 1


def test_a_heads_desk_reads_the_same_from_the_kept_figures_as_from_the_rows(world, pm, head):
    """The figures the world's rows keep were written on the real day, after TODAY: the desk adds up the rows.
    Written again as of TODAY, the desk reads them kept, and shows the same."""
    red = factories.ProjectFactory(code="ALPHA-9", name="Alpha red", departments=[world["alpha"]])
    rated(world["alpha_project"], "green", last=dt.date(2025, 1, 2))
    rated(red, "red")
    added_up = head_desk_for(user=head, today=TODAY)
    assert figures.refresh_due(as_of=TODAY) >= 2
    kept = head_desk_for(user=head, today=TODAY)
    assert [summary.money for summary in kept.departments] == [summary.money for summary in added_up.departments]
    assert [summary.counts for summary in kept.departments] == [summary.counts for summary in added_up.departments]
    assert [(row.project.code, row.rag, row.metrics) for row in kept.rows] == [
        (row.project.code, row.rag, row.metrics) for row in added_up.rows
    ]
