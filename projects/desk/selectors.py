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
* open tolerance exceptions (broken tolerances);
* people on these projects booked beyond their capacity this week or in
  the next :data:`CAPACITY_WEEKS` - 1 weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Q, QuerySet

from apm import access
from projects.documents.selectors import DUE, EXPIRY_NOTICE_DAYS, MET, ObligationRow, obligation_rows
from projects.models import (
    Allocation,
    AllocationStatus,
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
    NonConformance,
    NonConformanceStatus,
    Project,
    ProposalStatus,
    ToleranceException,
)
from projects.staffing.selectors import member_week_loads
from teams.capacity import week_start
from teams.models import TeamMember

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

    @property
    def total(self) -> int:
        return sum(
            len(items)
            for items in (
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
        )


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


def _waiting(model: type[W], projects: QuerySet[Project], order: str, **state: str) -> list[W]:
    """The rows of ``model`` on ``projects`` in ``state``, with their project, by ``order`` then id."""
    rows = model._default_manager.filter(project__in=projects, **state).select_related("project")
    return list(rows.order_by(order, "pk"))


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
        tolerances=_waiting(ToleranceException, projects, "-raised_at", state=ExceptionState.OPEN),
        over_capacity=_over_capacity(projects, today),
    )
