"""The PM's desk: what needs action today across the user's projects, each list one query (or a fixed few).

Whose projects: the ones the user runs (``apm.access.run_project``): those they
manage and, for a department head, the projects of the departments they head.
Every list filters on ``project__in=<that queryset>`` (a subquery), so the
number of queries is the same for 3 projects and for 60
(tests/projects/desk/test_selectors.py pins it).

The lists, as of ``today`` (the user's local date):

* deliverables past their due date and not accepted;
* corrective actions (open non-conformances) past their due date;
* deliverables waiting for the client's sign-off, change requests waiting
  for approval, clause proposals waiting for management, contingency
  requests waiting for a head;
* obligations overdue, missing evidence, or due within
  :data:`OBLIGATION_NOTICE_DAYS` days (``projects.documents.selectors``);
* replies due within :data:`REPLY_NOTICE_DAYS` days or overdue (authorities first);
* documents expiring within 30 days (or expired and not yet marked);
* open tolerance exceptions (broken tolerances), each with the state of its exception plan;
* people on these projects booked beyond their capacity this week or in
  the next :data:`CAPACITY_WEEKS` - 1 weeks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from apm import access
from projects.budget import evm
from projects.budget.selectors import ZERO, evm_inputs_of, with_cost_figures, with_plan
from projects.documents.selectors import DUE, EXPIRY_NOTICE_DAYS, MET, ObligationRow, obligation_rows
from projects.models import (
    Allocation,
    AllocationStatus,
    Approvers,
    ApproverSide,
    ChangeRequest,
    ChangeStatus,
    ClauseChangeProposal,
    ContingencyRequest,
    ContingencyState,
    Correspondence,
    CorrespondenceStatus,
    Counterpart,
    Deliverable,
    DeliverableStatus,
    Document,
    DocumentStatus,
    ExceptionState,
    Milestone,
    NonConformance,
    NonConformanceStatus,
    PlanState,
    Project,
    ProposalStatus,
    RaidItem,
    RaidKind,
    RaidStatus,
    Severity,
    StatusUpdate,
    ToleranceException,
)
from projects.rag import RAG
from projects.staffing.selectors import member_week_loads
from teams.capacity import week_start
from teams.models import Department, TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User

OBLIGATION_NOTICE_DAYS = 14
REPLY_NOTICE_DAYS = 7
CAPACITY_WEEKS = 4


def desk_projects(user: User) -> QuerySet[Project]:
    """The projects on ``user``'s desk: those they run (``access.run_project``)."""
    return access.run_project.queryset(user)


@dataclass
class OverCapacity:
    """A person booked beyond capacity in ``week`` (Monday): ``booked`` and ``capacity`` in hours."""

    member: TeamMember
    week: dt.date
    booked: Any
    capacity: Any
    projects: list[Project] = field(default_factory=list)


@dataclass
class Desk:
    """Everything on the desk; ``total`` is the number of items needing action."""

    today: dt.date
    projects: list[Project]
    #: Open critical issues nobody has acknowledged yet (the banner at the top of the desk).
    critical_issues: list[RaidItem]
    overdue_deliverables: list[Deliverable]
    overdue_actions: list[NonConformance]
    sign_offs_waiting: list[Deliverable]
    changes_waiting: list[ChangeRequest]
    proposals_waiting: list[ClauseChangeProposal]
    contingency_waiting: list[ContingencyRequest]
    obligations: list[ObligationRow]
    replies_due: list[Correspondence]
    documents_expiring: list[Document]
    tolerances: list[ToleranceException]
    over_capacity: list[OverCapacity]

    def lists(self) -> tuple[list[Any], ...]:
        """Every list of items needing action."""
        return (
            self.critical_issues,
            self.overdue_deliverables,
            self.overdue_actions,
            self.sign_offs_waiting,
            self.changes_waiting,
            self.proposals_waiting,
            self.contingency_waiting,
            self.obligations,
            self.replies_due,
            self.documents_expiring,
            self.tolerances,
            self.over_capacity,
        )

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.lists())


def _over_capacity(projects: QuerySet[Project], today: dt.date) -> list[OverCapacity]:
    """People booked (confirmed) on ``projects`` whose week is over capacity; 5 queries."""
    first = week_start(today)
    weeks = [first + dt.timedelta(weeks=n) for n in range(CAPACITY_WEEKS)]
    last = weeks[-1] + dt.timedelta(days=6)
    bookings = list(
        Allocation.objects.filter(
            project__in=projects, status=AllocationStatus.CONFIRMED, start_date__lte=last, end_date__gte=first
        )
        .select_related("member", "project")
        .order_by("member__name", "project__code")
    )
    if not bookings:
        return []
    members: dict[int, TeamMember] = {}
    their_projects: dict[int, list[Project]] = {}
    for booking in bookings:
        members.setdefault(booking.member_id, booking.member)
        listed = their_projects.setdefault(booking.member_id, [])
        if booking.project not in listed:
            listed.append(booking.project)
    loads = member_week_loads(members=list(members.values()), weeks=weeks)
    rows = []
    for member_id, member in members.items():
        worst = next((load for load in loads.get(member_id, []) if load.over), None)
        if worst is not None:
            rows.append(
                OverCapacity(
                    member=member,
                    week=worst.week,
                    booked=worst.confirmed,
                    capacity=worst.capacity,
                    projects=their_projects[member_id],
                )
            )
    return rows


#: What waits on a desk for someone to decide: each has a project and a state.
W = TypeVar("W", Deliverable, ChangeRequest, ContingencyRequest, ToleranceException)


def _waiting(model: type[W], projects: QuerySet[Project], order: str, *related: str, **state: str) -> list[W]:
    """The rows of ``model`` on ``projects`` in ``state``, with their project and ``related``, by ``order``, id."""
    rows = model._default_manager.filter(project__in=projects, **state).select_related("project", *related)
    return list(rows.order_by(order, "pk"))


def _unacknowledged_critical(projects: QuerySet[Project]) -> list[RaidItem]:
    """Open critical issues of ``projects`` not yet acknowledged, escalated ones first, then oldest first."""
    return list(
        RaidItem.objects.filter(
            project__in=projects, kind=RaidKind.ISSUE, severity=Severity.CRITICAL, acknowledged_at__isnull=True
        )
        .exclude(status=RaidStatus.CLOSED)
        .select_related("project")
        .order_by(F("escalated_at").desc(nulls_last=True), "raised_at", "pk")
    )


def desk_for(*, user: User, today: dt.date) -> Desk:
    """The desk of ``user`` as of ``today``; a fixed number of queries (about 18) whatever the projects."""
    projects = desk_projects(user)
    soon = today + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    obligations = [
        row
        for row in obligation_rows(projects=projects, today=today)
        if row.state != MET
        and not (row.state == DUE and row.days_left is not None and row.days_left > OBLIGATION_NOTICE_DAYS)
    ]
    replies = list(
        Correspondence.objects.filter(
            project__in=projects,
            reply_due_on__lte=today + dt.timedelta(days=REPLY_NOTICE_DAYS),
            status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY],
        )
        .select_related("project")
        .order_by("reply_due_on", "pk")
    )
    replies.sort(key=lambda e: (e.counterpart_kind != Counterpart.AUTHORITY, e.reply_due_on))
    return Desk(
        today=today,
        projects=list(projects.order_by("code")),
        critical_issues=_unacknowledged_critical(projects),
        overdue_deliverables=list(
            Deliverable.objects.filter(project__in=projects, due_date__lt=today)
            .exclude(status=DeliverableStatus.ACCEPTED)
            .select_related("project", "owner")
            .order_by("due_date", "pk")
        ),
        overdue_actions=list(
            NonConformance.objects.filter(
                deliverable__project__in=projects, status=NonConformanceStatus.OPEN, action_due__lt=today
            )
            .select_related("deliverable__project", "action_owner")
            .order_by("action_due", "pk")
        ),
        sign_offs_waiting=_waiting(Deliverable, projects, "due_date", status=DeliverableStatus.AWAITING_SIGN_OFF),
        changes_waiting=_waiting(ChangeRequest, projects, "submitted_at", status=ChangeStatus.SUBMITTED),
        proposals_waiting=list(
            ClauseChangeProposal.objects.filter(clause__project__in=projects, status=ProposalStatus.PENDING)
            .select_related("clause__project", "proposed_by")
            .order_by("proposed_at", "pk")
        ),
        contingency_waiting=_waiting(ContingencyRequest, projects, "requested_at", state=ContingencyState.PENDING),
        obligations=obligations,
        replies_due=replies,
        documents_expiring=list(
            Document.objects.filter(project__in=projects, expires_on__lte=soon)
            .exclude(status__in=[DocumentStatus.SUPERSEDED, DocumentStatus.EXPIRED])
            .filter(Q(expires_on__gte=today) | ~Q(status=DocumentStatus.DRAFT))
            .select_related("project")
            .order_by("expires_on", "pk")
        ),
        tolerances=_waiting(ToleranceException, projects, "-raised_at", "plan", state=ExceptionState.OPEN),
        over_capacity=_over_capacity(projects, today),
    )


# --- The projects above the to-do list, worst first ---------------------------------------------

#: A project with no status update for this many days (or none at all) is stale.
STALE_DAYS = 90
_SEVERITY = {RAG.RED: 0, RAG.AMBER: 1, RAG.GREEN: 2, "": 3}


@dataclass
class ProjectRow:
    """One project on a desk: its status RAG now and before, progress, money (or None), next milestone, actions.

    ``metrics`` is None unless the user may see the project's money
    (``access.see_money``); ``last_update`` is the date of its newest status
    update (None when it has none).
    """

    project: Project
    rag: str
    previous_rag: str
    last_update: dt.date | None
    percent_complete: Decimal | None
    metrics: evm.EvmMetrics | None
    next_milestone: Milestone | None
    actions: int = 0
    stale: bool = False

    @property
    def trend(self) -> str:
        """ "better", "worse", "same" or "" (fewer than two rated updates)."""
        if not self.rag or not self.previous_rag:
            return ""
        now, before = _SEVERITY[self.rag], _SEVERITY[self.previous_rag]
        return "better" if now > before else "worse" if now < before else "same"

    @property
    def severity(self) -> tuple[int, int, str]:
        """Sort key: red, amber, green, then no RAG; then the most actions; then the code."""
        return (_SEVERITY.get(self.rag, 3), -self.actions, self.project.code)


def _rag_of_update(offset: int) -> Subquery:
    """The RAG of the project's ``offset``-th newest rated status update (0 = newest), as a subquery."""
    updates = StatusUpdate.objects.filter(project=OuterRef("pk")).exclude(rag="").order_by("-as_of", "-pk")
    return Subquery(updates.values("rag")[offset : offset + 1])


def project_rows(
    *, user: User, projects: QuerySet[Project], today: dt.date, departments: bool = False
) -> list[ProjectRow]:
    """A :class:`ProjectRow` per project of ``projects``, by code; four queries whatever their number (five with
    ``departments``).

    The projects with their costs, status RAGs and last update (one query),
    their budgets joined, current baselines and milestones (and, with
    ``departments``, their departments) prefetched, and the ones whose money
    ``user`` may see.
    """
    newest = StatusUpdate.objects.filter(project=OuterRef("pk")).order_by("-as_of", "-pk").values("as_of")[:1]
    loaded = (
        with_plan(with_cost_figures(projects, as_of=today))
        .annotate(rag_now=_rag_of_update(0), rag_before=_rag_of_update(1), last_update=Subquery(newest))
        .order_by("code")
    )
    if departments:
        loaded = loaded.prefetch_related("departments")
    money = set(access.see_money.queryset(user).filter(pk__in=projects.values("pk")).values_list("pk", flat=True))
    stale_before = today - dt.timedelta(days=STALE_DAYS)
    rows = []
    for project in loaded:
        metrics = evm.evm_compute(evm_inputs_of(project, as_of=today)) if project.pk in money else None
        upcoming = (m for m in project.milestones.all() if m.completed_on is None)
        rows.append(
            ProjectRow(
                project=project,
                rag=project.rag_now or "",
                previous_rag=project.rag_before or "",
                last_update=project.last_update,
                percent_complete=project.pct_complete,
                metrics=metrics,
                next_milestone=next(upcoming, None),
                stale=project.last_update is None or project.last_update < stale_before,
            )
        )
    return rows


def _project_of(item: Any) -> int:
    if isinstance(item, NonConformance):
        return item.deliverable.project_id
    if isinstance(item, ClauseChangeProposal):
        return item.clause.project_id
    if isinstance(item, ObligationRow):
        return item.clause.project_id
    if isinstance(item, OverCapacity):
        return -1  # a person, not a project: counted on each of their projects below
    return int(item.project_id)


def action_counts(desk: Desk) -> dict[int, int]:
    """The number of items on ``desk`` per project id (a person over capacity counts on each of their projects)."""
    counts: dict[int, int] = defaultdict(int)
    for items in desk.lists():
        for item in items:
            if isinstance(item, OverCapacity):
                for project in item.projects:
                    counts[project.pk] += 1
            else:
                counts[_project_of(item)] += 1
    return counts


def pm_rows(*, user: User, desk: Desk) -> list[ProjectRow]:
    """The desk's projects as rows with their action counts, worst first (four queries)."""
    rows = project_rows(user=user, projects=desk_projects(user), today=desk.today)
    counts = action_counts(desk)
    for row in rows:
        row.actions = counts.get(row.project.pk, 0)
    return sorted(rows, key=lambda row: row.severity)


# --- A department head's desk ---------------------------------------------------------------------


def headed_departments(user: User) -> QuerySet[Department]:
    """The departments on ``user``'s head desk: those whose portfolio they see (``access.see_department``) and
    whose projects they run (``access.run_project``), so an administrator's desk is not the whole company."""
    return (
        access.see_department.queryset(user)
        .filter(pk__in=Department.objects.filter(projects__in=access.run_project.queryset(user)).values("pk"))
        .order_by("name")
    )


@dataclass
class DepartmentSummary:
    """A department's projects by status RAG (``counts``: red, amber, green, none) and its money per currency:
    ``money`` maps a currency to (BAC, forecast EAC, variance VAC), over the projects whose money is shown."""

    department: Department
    counts: dict[str, int]
    money: dict[str, tuple[Decimal, Decimal, Decimal]]


@dataclass
class HeadDesk:
    """What waits for a head's decision in the departments they head, their summary and projects worst first."""

    today: dt.date
    departments: list[DepartmentSummary]
    rows: list[ProjectRow]
    changes_waiting: list[ChangeRequest]
    contingency_waiting: list[ContingencyRequest]
    proposals_waiting: list[ClauseChangeProposal]
    critical_issues: list[RaidItem]
    tolerances: list[ToleranceException]
    plans_waiting: list[ToleranceException] = field(default_factory=list)

    @property
    def total(self) -> int:
        """The number of decisions waiting."""
        return sum(
            len(items)
            for items in (
                self.changes_waiting,
                self.contingency_waiting,
                self.proposals_waiting,
                self.critical_issues,
                self.tolerances,
                self.plans_waiting,
            )
        )

    @property
    def stale(self) -> int:
        return sum(1 for row in self.rows if row.stale)


def head_desk_for(*, user: User, today: dt.date) -> HeadDesk | None:
    """The head's desk of ``user`` as of ``today``, or None when they head no department with projects.

    Only the departments of :func:`headed_departments` (never one the user
    merely reports on). Eleven queries whatever the number of projects.
    ``plans_waiting``: open exceptions whose plan is submitted and undecided;
    ``tolerances``: open exceptions still waiting for the PM's plan (none, a
    draft, or a rejected one to revise).
    """
    departments = list(headed_departments(user))
    if not departments:
        return None
    projects = access.decide_as_head.queryset(user).filter(
        pk__in=Project.objects.filter(departments__in=[d.pk for d in departments]).values("pk")
    )
    rows = project_rows(user=user, projects=projects, today=today, departments=True)
    actions: dict[int, int] = defaultdict(int)
    changes = list(
        ChangeRequest.objects.filter(
            project__in=projects, status=ChangeStatus.SUBMITTED, approvers__in=[Approvers.HEAD, Approvers.BOTH]
        )
        .exclude(approvals__side=ApproverSide.HEAD)
        .select_related("project")
        .order_by("submitted_at", "pk")
    )
    critical = _unacknowledged_critical(projects)
    # Open exceptions with their plans: a submitted plan waits for the head's decision; one without a plan (or
    # with a draft or rejected one) waits for the PM; an approved plan is decided (the exception stays open
    # until the forecast is back inside tolerance, on the budget page).
    exceptions = _waiting(ToleranceException, projects, "-raised_at", "plan__submitted_by", state=ExceptionState.OPEN)
    head = HeadDesk(
        today=today,
        departments=[],
        rows=rows,
        changes_waiting=changes,
        contingency_waiting=_waiting(ContingencyRequest, projects, "requested_at", state=ContingencyState.PENDING),
        proposals_waiting=list(
            ClauseChangeProposal.objects.filter(clause__project__in=projects, status=ProposalStatus.PENDING)
            .select_related("clause__project", "proposed_by")
            .order_by("proposed_at", "pk")
        ),
        critical_issues=critical,
        tolerances=[e for e in exceptions if e.plan_state not in (PlanState.SUBMITTED, PlanState.APPROVED)],
        plans_waiting=[e for e in exceptions if e.plan_state == PlanState.SUBMITTED],
    )
    for items in (
        head.changes_waiting,
        head.contingency_waiting,
        head.critical_issues,
        head.tolerances,
        head.plans_waiting,
    ):
        for item in items:
            actions[item.project_id] += 1
    for proposal in head.proposals_waiting:
        actions[proposal.clause.project_id] += 1
    for row in rows:
        row.actions = actions.get(row.project.pk, 0)
    rows.sort(key=lambda row: row.severity)
    head.departments = [_summary(department, rows) for department in departments]
    return head


def _summary(department: Department, rows: list[ProjectRow]) -> DepartmentSummary:
    counts = {"red": 0, "amber": 0, "green": 0, "none": 0}
    money: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for row in rows:
        if department not in row.project.departments.all():
            continue
        counts[row.rag or "none"] += 1
        if row.metrics is not None:
            bac, eac, vac = money.get(row.project.currency, (ZERO, ZERO, ZERO))
            money[row.project.currency] = (bac + row.metrics.bac, eac + row.metrics.eac, vac + row.metrics.vac)
    return DepartmentSummary(department=department, counts=counts, money=money)
