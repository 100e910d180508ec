"""Reads of time: a person's timesheet week as a grid, the projects they log time on, their running timer, and
the time waiting for an approver's decision. Hours only: no costs or rates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from apm import access
from projects.budget.evm import ZERO
from projects.models import Approval, Project, TimeEntry, TimeTimer

if TYPE_CHECKING:
    from apm.accounts.models import User
    from teams.models import TeamMember


def projects_for_time_entry(*, user: User) -> QuerySet[Project]:
    """Projects ``user`` may log time on (``access.log_time``: those their TeamMember is on)."""
    return access.log_time.queryset(user)


def cell_label(project: Project, day: dt.date) -> str:
    """How a cell of the timesheet grid is named to the user: ``"Website relaunch, Tue 8 Dec"``."""
    return f"{project.name or project.code}, {day:%a} {day.day} {day:%b}"


@dataclass(frozen=True)
class TimesheetCell:
    """One project and day of a person's week: the hours logged (the sum when several entries), how many
    entries make it, and whether the grid may change it (one entry or none, not submitted or approved, on a
    project one logs time on); ``approval`` the entries' state (``projects.models.Approval``; "" when none, or
    "mixed") and ``comment`` the approver's comment on a rejected entry."""

    project: Project
    day: dt.date
    hours: Decimal | None
    entries: int
    editable: bool
    approval: str = ""
    comment: str = ""

    @property
    def name(self) -> str:
        """The cell's form field: ``h-<project id>-<YYYYMMDD>``."""
        return f"h-{self.project.pk}-{self.day:%Y%m%d}"

    @property
    def label(self) -> str:
        return cell_label(self.project, self.day)


@dataclass(frozen=True)
class TimesheetRow:
    """A project's row of the week: ``loggable`` when the person may log time on it (else shown read-only)."""

    project: Project
    loggable: bool
    cells: list[TimesheetCell]

    @property
    def total(self) -> Decimal:
        return sum((cell.hours or ZERO for cell in self.cells), ZERO)


@dataclass(frozen=True)
class TimesheetWeek:
    """A person's week as a grid: rows of projects by days Monday to Sunday, and the entries behind it."""

    days: list[dt.date]
    rows: list[TimesheetRow]
    entries: list[TimeEntry]

    @property
    def day_totals(self) -> list[Decimal]:
        return [sum((row.cells[i].hours or ZERO for row in self.rows), ZERO) for i in range(len(self.days))]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO)

    @property
    def cells(self) -> list[TimesheetCell]:
        return [cell for row in self.rows for cell in row.cells]

    @property
    def hours_by_approval(self) -> dict[str, Decimal]:
        """Hours of the week's entries per state (``projects.models.Approval`` values), states with hours only."""
        totals: dict[str, Decimal] = {}
        for entry in self.entries:
            totals[entry.approval] = totals.get(entry.approval, ZERO) + entry.hours
        return totals

    @property
    def to_submit(self) -> Decimal:
        """Hours logged and not yet submitted (open or rejected)."""
        totals = self.hours_by_approval
        return totals.get(Approval.OPEN, ZERO) + totals.get(Approval.REJECTED, ZERO)


def timesheet_week(*, member: TeamMember, week_start: dt.date, loggable: QuerySet[Project]) -> TimesheetWeek:
    """``member``'s week from ``week_start`` (a Monday) as a grid. Two queries; no costs or rates.

    Rows are the ``loggable`` projects (those the person may log time on, by
    code), then any other project they logged time on that week (read-only).
    """
    days = [week_start + dt.timedelta(days=i) for i in range(7)]
    projects = list(loggable.order_by("code"))
    entries = list(
        TimeEntry.objects.filter(member=member, date__gte=days[0], date__lte=days[-1])
        .select_related("project")
        .order_by("date", "project__code", "pk")
    )
    hours: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    counts: dict[tuple[int, dt.date], int] = defaultdict(int)
    states: dict[tuple[int, dt.date], set[str]] = defaultdict(set)
    comments: dict[tuple[int, dt.date], str] = {}
    others: dict[int, Project] = {}
    ids = {project.pk for project in projects}
    for entry in entries:
        key = (entry.project_id, entry.date)
        hours[key] += entry.hours
        counts[key] += 1
        states[key].add(entry.approval)
        if entry.approval == Approval.REJECTED and entry.decision_comment:
            comments[key] = entry.decision_comment
        if entry.project_id not in ids:
            others.setdefault(entry.project_id, entry.project)

    def state(key: tuple[int, dt.date]) -> str:
        found = states.get(key, set())
        return "" if not found else next(iter(found)) if len(found) == 1 else "mixed"

    locked = {key for key, found in states.items() if found & {Approval.SUBMITTED, Approval.APPROVED}}
    rows = [
        TimesheetRow(
            project=project,
            loggable=loggable_row,
            cells=[
                TimesheetCell(
                    project=project,
                    day=day,
                    hours=hours.get((project.pk, day)),
                    entries=counts.get((project.pk, day), 0),
                    editable=loggable_row and counts.get((project.pk, day), 0) <= 1 and (project.pk, day) not in locked,
                    approval=state((project.pk, day)),
                    comment=comments.get((project.pk, day), ""),
                )
                for day in days
            ],
        )
        for project, loggable_row in [
            *((p, True) for p in projects),
            *((p, False) for p in sorted(others.values(), key=lambda p: p.code)),
        ]
    ]
    return TimesheetWeek(days=days, rows=rows, entries=entries)


# --- Time waiting for approval ---------------------------------------------------------------------------------

#: The approvals page lists at most this many entries of each kind (waiting, recently decided).
APPROVALS_SHOWN = 500
#: Approved time stays on the approvals page (to reopen) this many days after its decision.
REOPEN_DAYS = 28


@dataclass
class TimeGroup:
    """One person's entries of one week on one project, by date: what an approver decides together."""

    project: Project
    member: TeamMember
    week_start: dt.date
    entries: list[TimeEntry]

    @property
    def hours(self) -> Decimal:
        return sum((entry.hours for entry in self.entries), ZERO)

    @property
    def billable_hours(self) -> Decimal:
        return sum((entry.hours for entry in self.entries if entry.billable), ZERO)

    @property
    def project_id(self) -> int:
        return self.project.pk


@dataclass
class Approvals:
    """An approver's page: ``waiting`` (submitted), ``decided`` (approved in the last :data:`REOPEN_DAYS` days,
    to reopen) and whether either list was cut at :data:`APPROVALS_SHOWN` entries."""

    waiting: list[TimeGroup]
    decided: list[TimeGroup]
    more_waiting: bool
    more_decided: bool


def time_groups(entries: list[TimeEntry]) -> list[TimeGroup]:
    """``entries`` (with their project and person) grouped by project, person and week, in the order met."""
    groups: dict[tuple[int, int, dt.date], TimeGroup] = {}
    for entry in entries:
        monday = entry.date - dt.timedelta(days=entry.date.weekday())
        key = (entry.project_id, entry.member_id, monday)
        if key not in groups:
            groups[key] = TimeGroup(project=entry.project, member=entry.member, week_start=monday, entries=[])
        groups[key].entries.append(entry)
    return list(groups.values())


def approvals_for(*, user: User, now: dt.datetime | None = None) -> Approvals:
    """The time ``user`` may decide (``access.approve_time``): submitted entries, oldest week first, and the
    ones approved lately. Two queries whatever the number of projects or entries."""
    now = now or timezone.now()
    projects = access.approve_time.queryset(user).values("pk")
    entries = TimeEntry.objects.filter(project__in=projects).select_related("project", "member")
    waiting = list(
        entries.filter(approval=Approval.SUBMITTED).order_by("date", "project__code", "member__name", "pk")[
            : APPROVALS_SHOWN + 1
        ]
    )
    decided = list(
        entries.filter(approval=Approval.APPROVED, decided_at__gte=now - dt.timedelta(days=REOPEN_DAYS))
        .select_related("decided_by")
        .order_by("-date", "project__code", "member__name", "pk")[: APPROVALS_SHOWN + 1]
    )
    return Approvals(
        waiting=time_groups(waiting[:APPROVALS_SHOWN]),
        decided=time_groups(decided[:APPROVALS_SHOWN]),
        more_waiting=len(waiting) > APPROVALS_SHOWN,
        more_decided=len(decided) > APPROVALS_SHOWN,
    )


def running_timer(*, member: TeamMember) -> TimeTimer | None:
    """``member``'s running timer with its project, or None."""
    return TimeTimer.objects.filter(member=member).select_related("project").first()
