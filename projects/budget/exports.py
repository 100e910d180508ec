"""Exports of time and expenses as CSV or XLSX (``apm.exports.table_response``), each from its page and asking
what the page asks: a person's timesheet week (hours only, never a cost or rate), the time waiting for an
approver and approved lately (every entry, where the page shows the first ones), and a project's expenses
(the budget page's readers: ``access.see_money``; every expense, where the page shows the latest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone

from apm import access
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.budget.selectors.time import REOPEN_DAYS
from projects.budget.timesheet import _member_or_404, _week_of
from projects.budget.views import _budget_project_or_404
from projects.models import Approval, Expense, TimeEntry

#: The columns of a timesheet week's export: hours only.
TIMESHEET_COLUMNS = ("Date", "Project", "Project name", "Hours", "Billable", "Note", "Approval", "Comment")

#: The columns of the approvals' export: hours only, as the page shows them.
APPROVAL_COLUMNS = ("List", "Project", "Person", "Week of", "Date", "Hours", "Billable", "Note", "Decided by")

#: The columns of a project's expenses, as the budget page shows them.
EXPENSE_COLUMNS = ("Date", "Supplier", "Category", "Description", "Amount", "Currency", "Billable", "Receipt")


@login_required
def timesheet_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """The entries of the timesheet week shown (``?week=``), by date and project, as the grid reads them."""
    export_format(fmt)
    member = _member_or_404(request)
    monday = _week_of(request)
    entries = (
        TimeEntry.objects.filter(member=member, date__gte=monday, date__lte=monday + dt.timedelta(days=6))
        .select_related("project")
        .order_by("date", "project__code", "pk")
    )
    rows = (
        (
            e.date,
            e.project.code,
            e.project.name,
            e.hours,
            e.billable,
            e.note,
            e.get_approval_display(),
            e.decision_comment if e.approval == Approval.REJECTED else "",
        )
        for e in entries.iterator()
    )
    year, week, _ = monday.isocalendar()
    return table_response(
        rows=rows,
        columns=TIMESHEET_COLUMNS,
        filename=export_filename("timesheet", f"{year}-W{week:02d}", fmt),
        fmt=fmt,
        sheet="Timesheet",
    )


@login_required
def approvals_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """The entries the approvals page lists, all of them: submitted (oldest first), then approved in the last
    ``REOPEN_DAYS`` days; a 404 for those who approve no project's time, as the page."""
    export_format(fmt)
    projects = access.approve_time.queryset(request.user)
    if not projects.exists():
        raise Http404("You approve no project's time.")
    entries = TimeEntry.objects.filter(project__in=projects.values("pk")).select_related(
        "project", "member", "decided_by"
    )
    waiting = entries.filter(approval=Approval.SUBMITTED).order_by("date", "project__code", "member__name", "pk")
    decided = entries.filter(
        approval=Approval.APPROVED, decided_at__gte=timezone.now() - dt.timedelta(days=REOPEN_DAYS)
    ).order_by("-date", "project__code", "member__name", "pk")

    def rows() -> Iterator[tuple[Any, ...]]:
        for label, queryset in (("Waiting", waiting), ("Approved", decided)):
            for e in queryset.iterator():
                decider = e.decided_by
                yield (
                    label,
                    e.project.code,
                    e.member.name,
                    e.date - dt.timedelta(days=e.date.weekday()),
                    e.date,
                    e.hours,
                    e.billable,
                    e.note,
                    (decider.get_full_name() or decider.username) if decider else "",
                )

    return table_response(
        rows=rows(),
        columns=APPROVAL_COLUMNS,
        filename=export_filename("time-approvals", "", fmt),
        fmt=fmt,
        sheet="Time to approve",
    )


@login_required
def expense_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """Every expense of the project, newest first (the budget page's readers only)."""
    export_format(fmt)
    project = _budget_project_or_404(request, code)
    rows = (
        (
            e.date,
            e.supplier,
            e.get_category_display(),
            e.description,
            e.amount,
            e.currency,
            e.billable,
            bool(e.receipt),
        )
        for e in Expense.objects.filter(project=project).order_by("-date", "-pk").iterator()
    )
    return table_response(
        rows=rows,
        columns=EXPENSE_COLUMNS,
        filename=export_filename("expenses", project.code, fmt),
        fmt=fmt,
        sheet="Expenses",
    )
