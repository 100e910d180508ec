"""Timesheet approval: submit a week, approve or reject entries, locked approved time, reopening recorded,
and actual cost reading approved time only where the project says so."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apm.errors import Refused
from projects.budget.selectors import project_metrics, with_cost_figures
from projects.budget.services.approval import time_entries_decide, time_entries_reopen, timesheet_week_submit
from projects.budget.services.costs import time_entry_record
from projects.budget.services.plan import budget_get
from projects.budget.services.timesheet import timesheet_week_save
from projects.models import Approval, BudgetEvent, CostBasis, Project, TimeEntry
from teams.services import member_rate_set
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2025, 3, 10)
WEEK = "2025-W11"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def week(world, mo, member):
    """Mo's Monday (7.5 h) and Tuesday (6 h) on ALPHA-1, logged and not yet submitted."""
    project = world["alpha_project"]
    return [
        time_entry_record(member=mo, project=project, date=MONDAY, hours=D("7.5"), actor=member),
        time_entry_record(member=mo, project=project, date=MONDAY + dt.timedelta(days=1), hours=D("6"), actor=member),
    ]


def _states() -> list[str]:
    return [entry.approval for entry in TimeEntry.objects.order_by("date")]


def test_a_week_submitted_waits_and_is_locked_for_the_person(world, mo, week, member):
    done = timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    assert (done.entries, done.projects) == (2, ["ALPHA-1"])
    assert _states() == [Approval.SUBMITTED, Approval.SUBMITTED]
    project = world["alpha_project"]
    with pytest.raises(Refused, match="submitted for approval"):
        timesheet_week_save(member=mo, cells={(project, MONDAY): D("8")}, actor=member)
    assert TimeEntry.objects.get(date=MONDAY).hours == D("7.50")
    with pytest.raises(Refused, match="Nothing to submit"):
        timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)


def test_a_week_is_submitted_from_its_monday_and_not_before_it_starts(mo, week, member):
    with pytest.raises(Refused, match="Monday"):
        timesheet_week_submit(member=mo, week_start=MONDAY + dt.timedelta(days=1), actor=member)
    with pytest.raises(Refused, match="not started"):
        timesheet_week_submit(member=mo, week_start=MONDAY + dt.timedelta(days=7), actor=member)


def test_the_pm_approves_and_approved_time_is_locked_until_reopened_with_a_reason(world, mo, week, member, pm):
    project = world["alpha_project"]
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    assert time_entries_decide(project=project, entry_ids=[e.pk for e in week], approve=True, actor=pm) == 2
    assert _states() == [Approval.APPROVED, Approval.APPROVED]
    entry = TimeEntry.objects.get(date=MONDAY)
    assert (entry.decided_by, entry.decided_at is not None) == (pm, True)
    with pytest.raises(Refused, match="approved: ask your PM to reopen it"):
        timesheet_week_save(member=mo, cells={(project, MONDAY): None}, actor=member)
    with pytest.raises(Refused, match="Say why"):
        time_entries_reopen(project=project, entry_ids=[entry.pk], reason="  ", actor=pm)

    assert time_entries_reopen(project=project, entry_ids=[entry.pk], reason="Hours were for BETA-1", actor=pm) == 1
    assert _states() == [Approval.OPEN, Approval.APPROVED]
    reopened = BudgetEvent.objects.get(project=project, action="time_reopened")
    assert reopened.actor == pm
    assert reopened.detail["reason"] == "Hours were for BETA-1"
    assert reopened.detail["people"] == {"Mo Member": {"hours": "7.50", "dates": "2025-03-10..2025-03-10"}}
    timesheet_week_save(member=mo, cells={(project, MONDAY): D("5")}, actor=member)
    assert TimeEntry.objects.get(date=MONDAY).hours == D("5.00")


def test_a_rejection_needs_a_comment_the_person_sees_and_the_week_is_submitted_again(
    client, world, mo, week, member, pm
):
    project = world["alpha_project"]
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    with pytest.raises(Refused, match="Say why"):
        time_entries_decide(project=project, entry_ids=[week[1].pk], approve=False, actor=pm)
    time_entries_decide(
        project=project, entry_ids=[week[1].pk], approve=False, comment="Tuesday was a holiday", actor=pm
    )
    assert _states() == [Approval.SUBMITTED, Approval.REJECTED]
    client.force_login(member)
    page = client.get(reverse("projects:timesheet") + f"?week={WEEK}").content.decode()
    assert "rejected: Tuesday was a holiday" in page
    assert "6 h rejected" in page
    assert "7.50 h waiting for approval" in page

    timesheet_week_save(member=mo, cells={(project, MONDAY + dt.timedelta(days=1)): D("2")}, actor=member)
    assert timesheet_week_submit(member=mo, week_start=MONDAY, actor=member).entries == 1
    assert _states() == [Approval.SUBMITTED, Approval.SUBMITTED]
    assert TimeEntry.objects.get(pk=week[1].pk).decision_comment == ""


@pytest.mark.parametrize("who", ["member", "outside_head", "client_user"])
def test_only_those_with_approve_time_decide(world, mo, week, member, users, who):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    with pytest.raises(Refused, match="approves time"):
        time_entries_decide(project=world["alpha_project"], entry_ids=[week[0].pk], approve=True, actor=users[who])
    assert _states() == [Approval.SUBMITTED, Approval.SUBMITTED]


def test_the_head_of_the_department_approves_too(world, mo, week, member, head):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entries_decide(project=world["alpha_project"], entry_ids=[week[0].pk], approve=True, actor=head)
    assert _states() == [Approval.APPROVED, Approval.SUBMITTED]


def test_nobody_approves_their_own_time_but_an_administrator(world, pm, admin_user):
    project = world["alpha_project"]
    pm_person = factories.TeamMemberFactory(name="Pat PM", user=pm)
    project.team_members.add(pm_person)
    member_rate_set(member=pm_person, cost_rate=D("70.00"), bill_rate=D("120.00"), valid_from=dt.date(2024, 1, 1))
    entry = time_entry_record(member=pm_person, project=project, date=MONDAY, hours=D("3"), actor=pm)
    timesheet_week_submit(member=pm_person, week_start=MONDAY, actor=pm)
    with pytest.raises(Refused, match="your own time"):
        time_entries_decide(project=project, entry_ids=[entry.pk], approve=True, actor=pm)
    time_entries_decide(project=project, entry_ids=[entry.pk], approve=True, actor=admin_user)
    assert TimeEntry.objects.get(pk=entry.pk).approval == Approval.APPROVED


def test_an_entry_decided_meanwhile_or_of_another_project_is_refused_whole(world, mo, week, member, pm):
    project = world["alpha_project"]
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entries_decide(project=project, entry_ids=[week[0].pk], approve=True, actor=pm)
    with pytest.raises(Refused, match="decided meanwhile"):
        time_entries_decide(project=project, entry_ids=[e.pk for e in week], approve=True, actor=pm)
    with pytest.raises(Refused, match="not on this project"):
        time_entries_decide(project=project, entry_ids=[week[1].pk, 999_999], approve=True, actor=pm)
    assert _states() == [Approval.APPROVED, Approval.SUBMITTED]


def test_actual_cost_reads_approved_time_only_where_the_project_says_so(world, mo, week, member, pm):
    """7.5 h and 6 h at 55.00: 412.50 + 330.00 = 742.50 logged; once Monday is approved, 412.50 approved."""
    project = world["alpha_project"]
    as_of = dt.date(2025, 3, 12)

    def time_cost() -> Decimal:
        return with_cost_figures(Project.objects.filter(pk=project.pk), as_of=as_of).get().time_cost

    assert time_cost() == D("742.50")
    budget = budget_get(project=project)
    budget.cost_basis = CostBasis.APPROVED
    budget.save()
    assert time_cost() == D("0.00")
    assert project_metrics(project=Project.objects.get(pk=project.pk), as_of=as_of).ac == D("0.00")
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entries_decide(project=project, entry_ids=[week[0].pk], approve=True, actor=pm)
    assert time_cost() == D("412.50")
    assert project_metrics(project=Project.objects.get(pk=project.pk), as_of=as_of).ac == D("412.50")


# --- The approvals page ----------------------------------------------------------------------------------------


def test_the_approvals_page_lists_the_weeks_waiting_and_decides_them(client, world, mo, week, member, pm):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    client.force_login(pm)
    page = client.get(reverse("projects:time_approvals")).content.decode()
    assert "Mo Member · <a" in page
    assert "week of 10 Mar 2025 · 13.50 h (13.50 billable)" in page
    response = client.post(
        reverse("projects:time_decide", args=["ALPHA-1"]), {"action": "approve", "entry": [week[0].pk]}, follow=True
    )
    assert "1 entry approved on ALPHA-1." in response.content.decode()
    assert _states() == [Approval.APPROVED, Approval.SUBMITTED]
    response = client.post(
        reverse("projects:time_decide", args=["ALPHA-1"]), {"action": "reject", "entry": [week[1].pk]}, follow=True
    )
    assert "Say why the time is rejected" in response.content.decode()
    assert _states() == [Approval.APPROVED, Approval.SUBMITTED]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "approve"},
        {"action": "approve", "entry": ["abc"]},
        {"action": "approve", "entry": ["-3"]},
        {"action": "approve", "entry": [str(2**70)]},
        {"action": "burn", "entry": ["1"]},
        {"action": "reopen", "entry": ["1"], "comment": "x" * 301},
    ],
)
def test_junk_posted_to_decide_changes_nothing_and_says_why(client, world, mo, week, member, pm, data):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    client.force_login(pm)
    response = client.post(reverse("projects:time_decide", args=["ALPHA-1"]), data, follow=True)
    assert response.status_code == 200
    assert "Nothing was decided" in response.content.decode()
    assert _states() == [Approval.SUBMITTED, Approval.SUBMITTED]


def test_the_approvals_page_answers_in_the_same_queries_for_one_week_or_many(client, world, mo, week, member, pm):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    client.force_login(pm)
    url = reverse("projects:time_approvals")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    project = world["alpha_project"]
    for n in range(4):
        person = factories.TeamMemberFactory(name=f"Person {n}")
        project.team_members.add(person)
        member_rate_set(member=person, cost_rate=D("40.00"), bill_rate=D("80.00"), valid_from=dt.date(2024, 1, 1))
        for monday in (MONDAY - dt.timedelta(days=7), MONDAY):
            time_entry_record(member=person, project=project, date=monday, hours=D("4"))
            timesheet_week_submit(member=person, week_start=monday)
    time_entries_decide(project=project, entry_ids=[week[0].pk], approve=True, actor=pm)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert page.count("Reject ticked") == 9  # Mo's week and two weeks of four people
    assert page.count("Reopen ticked") == 1


def test_the_pm_sets_what_actual_cost_reads_on_the_budget_page(client, world, pm):
    project = world["alpha_project"]
    client.force_login(pm)
    settings = {
        "settings-contingency_reserve": "0",
        "settings-cost_tolerance_percent": "10",
        "settings-time_tolerance_days": "14",
    }
    url = reverse("projects:budget_settings", args=[project.code])
    page = client.post(url, {**settings, "settings-cost_basis": "approved"}, follow=True).content.decode()
    assert "approved time only and expenses" in page
    assert budget_get(project=project).cost_basis == CostBasis.APPROVED
    assert BudgetEvent.objects.filter(project=project, action="settings_changed").last().detail["cost_basis"] == (
        "approved"
    )
    page = client.post(url, {**settings, "settings-cost_basis": "guesswork"}, follow=True).content.decode()
    assert "Settings not saved" in page
    assert budget_get(project=project).cost_basis == CostBasis.APPROVED


def test_the_pms_desk_lists_the_weeks_waiting_for_them_but_not_their_own(client, world, mo, week, member, pm):
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    pm_person = factories.TeamMemberFactory(name="Pat PM", user=pm)
    world["alpha_project"].team_members.add(pm_person)
    member_rate_set(member=pm_person, cost_rate=D("70.00"), bill_rate=D("120.00"), valid_from=dt.date(2024, 1, 1))
    time_entry_record(member=pm_person, project=world["alpha_project"], date=MONDAY, hours=D("3"), actor=pm)
    timesheet_week_submit(member=pm_person, week_start=MONDAY, actor=pm)
    client.force_login(pm)
    page = client.get(reverse("projects:desk")).content.decode()
    assert "Time to approve: Mo Member, week of 10 Mar 2025</a>" in page
    assert "13.50 h submitted" in page
    assert "Time to approve: Pat PM" not in page


def test_a_rejected_entry_in_a_cell_of_several_is_removed_and_logged_again(client, world, mo, week, member, pm):
    """The grid leaves a cell of several entries alone: each open or rejected entry has its own Remove."""
    project = world["alpha_project"]
    extra = time_entry_record(member=mo, project=project, date=MONDAY, hours=D("1"), note="Call", actor=member)
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entries_decide(project=project, entry_ids=[extra.pk], approve=False, comment="Not this project", actor=pm)
    client.force_login(member)
    url = reverse("projects:time_entry_remove", args=[week[0].pk]) + f"?week={WEEK}"
    page = client.post(url, follow=True).content.decode()
    assert "Nothing removed:" in page  # submitted: locked
    page = client.post(reverse("projects:time_entry_remove", args=[extra.pk]) + f"?week={WEEK}", follow=True)
    assert "1 h on ALPHA-1 removed." in page.content.decode()
    assert not TimeEntry.objects.filter(pk=extra.pk).exists()
    assert BudgetEvent.objects.filter(project=project, action="time_changed").last().detail["hours_removed"] == "1.00"
    client.force_login(pm)
    assert client.post(reverse("projects:time_entry_remove", args=[week[1].pk])).status_code == 404  # no timesheet


def test_nobody_reopens_their_own_approved_time_but_an_administrator(world, pm, head, admin_user):
    project = world["alpha_project"]
    pm_person = factories.TeamMemberFactory(name="Pat PM", user=pm)
    project.team_members.add(pm_person)
    member_rate_set(member=pm_person, cost_rate=D("70.00"), bill_rate=D("120.00"), valid_from=dt.date(2024, 1, 1))
    entry = time_entry_record(member=pm_person, project=project, date=MONDAY, hours=D("3"), actor=pm)
    timesheet_week_submit(member=pm_person, week_start=MONDAY, actor=pm)
    time_entries_decide(project=project, entry_ids=[entry.pk], approve=True, actor=head)
    with pytest.raises(Refused, match="your own time"):
        time_entries_reopen(project=project, entry_ids=[entry.pk], reason="Let me fix it", actor=pm)
    time_entries_reopen(project=project, entry_ids=[entry.pk], reason="Fix the hours", actor=admin_user)
    assert TimeEntry.objects.get(pk=entry.pk).approval == Approval.OPEN
