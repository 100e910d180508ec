"""Exports of time and expenses: a person's timesheet week (hours, no money), the approvals list (every entry)
and a project's expenses (only for those who see its money)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.budget import figures
from projects.budget.services.approval import timesheet_week_submit
from projects.budget.services.costs import expense_record, time_entry_record
from projects.models import Approval, Expense, TimeEntry
from tests.exports_support import csv_rows, export_queries, xlsx_rows

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2025, 3, 10)
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON), tick=False)


def _entry(world, mo, note: str = "Design", day: dt.date = MONDAY) -> TimeEntry:
    return time_entry_record(member=mo, project=world["alpha_project"], date=day, hours=Decimal("1.5"), note=note)


def _copies(entry: TimeEntry, count: int, **fields) -> None:
    """``count`` copies of ``entry`` (0.01 h each, within a day's 24 hours)."""
    rows = []
    for _ in range(count):
        entry.pk = None
        entry.hours = Decimal("0.01")
        for name, value in fields.items():
            setattr(entry, name, value)
        rows.append(TimeEntry(**{f.attname: getattr(entry, f.attname) for f in TimeEntry._meta.concrete_fields}))
    TimeEntry.objects.bulk_create(rows)
    figures.refresh([entry.project_id])


def test_a_member_exports_their_timesheet_week_without_money(client, world, member, mo):
    _entry(world, mo, FORMULA)
    _entry(world, mo, "Next week", day=MONDAY + dt.timedelta(days=7))
    client.force_login(member)
    page = client.get(reverse("projects:timesheet") + "?week=2025-W11").content.decode()
    url = reverse("projects:timesheet_export", kwargs={"fmt": "xlsx"})
    assert url + "?week=2025-W11" in page
    rows = xlsx_rows(client.get(url + "?week=2025-W11"))
    assert rows[0] == ["Date", "Project", "Project name", "Hours", "Billable", "Note", "Approval", "Comment"]
    assert [(row[1], row[3], row[5]) for row in rows[1:]] == [("ALPHA-1", 1.5, "'" + FORMULA)]
    assert client.get(url.replace(".xlsx", ".ods")).status_code == 404


def test_a_pm_exports_every_entry_waiting_and_a_member_gets_404(client, world, pm, member, head, mo):
    _entry(world, mo)
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    url = reverse("projects:time_approvals_export", kwargs={"fmt": "csv"})
    client.force_login(pm)
    assert url in client.get(reverse("projects:time_approvals")).content.decode()
    rows = csv_rows(client.get(url))
    assert [(row[0], row[1], row[5]) for row in rows[1:]] == [("Waiting", "ALPHA-1", "1.50")]
    client.force_login(head)
    assert len(csv_rows(client.get(url))) == 2
    client.force_login(member)
    assert client.get(url).status_code == 404


def test_expenses_export_for_those_who_see_the_money_only(client, world, pm, member, client_user):
    project = world["alpha_project"]
    expense_record(project=project, date=MONDAY, amount=Decimal("120.40"), category="travel", supplier=FORMULA)
    url = reverse("projects:expenses_export", kwargs={"code": project.code, "fmt": "xlsx"})
    client.force_login(pm)
    assert url in client.get(reverse("projects:budget", args=[project.code])).content.decode()
    rows = xlsx_rows(client.get(url))
    assert rows[1][1] == "'" + FORMULA
    assert rows[1][4] == 120.4
    for user in (member, client_user):
        client.force_login(user)
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_time_exports_take_the_same_queries_for_5_and_200_entries(client, world, pm, member, mo, fmt):
    first = _entry(world, mo)
    _copies(first, 4)
    TimeEntry.objects.update(approval=Approval.SUBMITTED)
    figures.refresh([first.project_id])
    timesheet = reverse("projects:timesheet_export", kwargs={"fmt": fmt}) + "?week=2025-W11"
    approvals = reverse("projects:time_approvals_export", kwargs={"fmt": fmt})
    client.force_login(member)
    few_week = export_queries(client, timesheet)
    client.force_login(pm)
    few_approvals = export_queries(client, approvals)
    _copies(first, 195, approval=Approval.SUBMITTED)
    assert TimeEntry.objects.count() == 200
    assert export_queries(client, approvals) == few_approvals
    client.force_login(member)
    assert export_queries(client, timesheet) == few_week


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_expenses_export_takes_the_same_queries_for_5_and_200(client, world, pm, fmt):
    project = world["alpha_project"]
    expense = expense_record(project=project, date=MONDAY, amount=Decimal("10"), category="travel", supplier="Rail")
    url = reverse("projects:expenses_export", kwargs={"code": project.code, "fmt": fmt})

    def more(count: int) -> None:
        fields = {f.attname: getattr(expense, f.attname) for f in Expense._meta.concrete_fields if f.attname != "id"}
        Expense.objects.bulk_create([Expense(**fields) for _ in range(count)])
        figures.refresh([project.pk])

    more(4)
    client.force_login(pm)
    few = export_queries(client, url)
    more(195)
    assert export_queries(client, url) == few
