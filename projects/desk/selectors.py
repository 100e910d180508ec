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
  the next :data:`CAPACITY_WEEKS` - 1 weeks;
* invoices billing these projects, issued and unpaid past their due date,
  for whoever may see the projects' money;
* and, apart from those, the user's own open tasks on any project (one query).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Model, Q, QuerySet

from apm import access
from projects.billing.invoice_selectors import overdue_on_desk
from projects.budget import evm, figures
from projects.budget.figures import KEPT_AS_OF, KEPT_NEXT_DUE
from projects.budget.selectors import ZERO, bac_of, evm_inputs_of, with_plan
from projects.budget.selectors.time import TimeGroup, time_groups
from projects.documents.selectors import DUE, EXPIRY_NOTICE_DAYS, MET, ObligationRow, obligation_rows
from projects.models import (
    Allocation,
    AllocationStatus,
    Approval,
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
    Invoice,
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
    Task,
    TimeEntry,
    ToleranceException,
)
from projects.planning import selectors as planning_selectors
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
    """The projects on ``user``'s desk: those they run (``access.run_project``), by their ids read now."""
    return access.run_project.listed(user)


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
    #: People's weeks submitted and waiting for the user's approval, by project, person and week.
    time_waiting: list[TimeGroup] = field(default_factory=list)
    #: Issued invoices billing these projects, unpaid past their due date (``invoice_selectors.overdue_on_desk``).
    invoices_overdue: list[Invoice] = field(default_factory=list)
    #: The user's own open tasks across every project they work on, overdue first (``planning.selectors.my_tasks``):
    #: their work, not an action on the desk's projects, so neither counted in ``total`` nor per project.
    my_tasks: list[Task] = field(default_factory=list)

    def lists(self) -> tuple[list[Any], ...]:
        """Every list of items needing action on a project (an invoice, which may bill several, is not one)."""
        return (
            self.critical_issues,
            self.overdue_deliverables,
            self.overdue_actions,
            self.sign_offs_waiting,
            self.changes_waiting,
            self.proposals_waiting,
            self.contingency_waiting,
            self.time_waiting,
            self.obligations,
            self.replies_due,
            self.documents_expiring,
            self.tolerances,
            self.over_capacity,
        )

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.lists()) + len(self.invoices_overdue)

    def hidden(self, shown: int | None) -> dict[str, int]:
        """Per card of the desk page, the items left out when each of its lists shows its first ``shown`` (None:
        all): a busy desk listed every late deliverable and every person over capacity in full, a wall to
        scroll."""
        cards = {
            "overdue": (self.overdue_deliverables, self.overdue_actions),
            "waiting": (
                self.sign_offs_waiting,
                self.changes_waiting,
                self.proposals_waiting,
                self.contingency_waiting,
                self.time_waiting,
            ),
            "obligations": (self.obligations,),
            "replies": (self.replies_due,),
            "documents": (self.documents_expiring,),
            "capacity": (self.tolerances, self.over_capacity),
            "invoices": (self.invoices_overdue,),
            "my_tasks": (self.my_tasks,),
        }
        if shown is None:
            return dict.fromkeys(cards, 0)
        return {card: sum(max(0, len(items) - shown) for items in lists) for card, lists in cards.items()}


def _capacity_weeks(today: dt.date) -> list[dt.date]:
    first = week_start(today)
    return [first + dt.timedelta(weeks=n) for n in range(CAPACITY_WEEKS)]


def _bookings(scope: Scope, today: dt.date) -> QuerySet[Allocation]:
    """The confirmed bookings on the projects of ``scope`` in the weeks the desk looks at."""
    weeks = _capacity_weeks(today)
    return Allocation.objects.filter(
        project_id__any=scope,
        status=AllocationStatus.CONFIRMED,
        start_date__lte=weeks[-1] + dt.timedelta(days=6),
        end_date__gte=weeks[0],
    )


def _over_capacity(
    bookings_found: QuerySet[Allocation], known: dict[int, Project], today: dt.date
) -> list[OverCapacity]:
    """People of ``bookings_found`` (:func:`_bookings`) whose week is over capacity; 4 queries.

    The bookings are read as values, each person built once from them: as models with their people joined,
    a PM's 85 bookings were 170 objects built to show a name and count hours.
    """
    weeks = _capacity_weeks(today)
    fields = ("id", "name", "weekly_capacity_hours", "working_days")
    rows = list(
        bookings_found.order_by("member__name", "member_id", "pk").values_list(
            "project_id", *(f"member__{name}" for name in fields)
        )
    )
    if not rows:
        return []
    missing = {row[0] for row in rows} - set(known)
    projects = {**known, **Project.objects.in_bulk(missing)} if missing else known
    # By person (in the database's order of names), then project code: sorted here, as ordering by the code
    # joined every project to the bookings.
    members: dict[int, TeamMember] = {}
    their_projects: dict[int, list[Project]] = {}
    for project_id, *member in rows:
        if member[0] not in members:
            members[member[0]] = TeamMember.from_db(None, fields, member)
        listed = their_projects.setdefault(member[0], [])
        if project_id in projects and projects[project_id] not in listed:
            listed.append(projects[project_id])
    for listed in their_projects.values():
        listed.sort(key=lambda project: project.code)
    loads = member_week_loads(members=list(members.values()), weeks=weeks)
    over = []
    for member_id, member in members.items():
        worst = next((load for load in loads.get(member_id, []) if load.over), None)
        if worst is not None and their_projects[member_id]:
            over.append(
                OverCapacity(
                    member=member,
                    week=worst.week,
                    booked=worst.confirmed,
                    capacity=worst.capacity,
                    projects=their_projects[member_id],
                )
            )
    return over


#: The projects a desk's lists are filtered on: their ids, found once a request and given to each list as one
#: array (``__any``, apm.lookups). The rule that found them (a UNION of the user's links to projects) repeated as
#: a subquery in every list cost more than reading the ids once, and a thousand ids bound one by one (``__in``)
#: cost more again.
Scope: TypeAlias = "frozenset[int]"

#: A row with a project.
R = TypeVar("R", bound=Model)


def _attach(rows: QuerySet[R], known: dict[int, Project] | None) -> list[R]:
    """``rows`` with their projects: taken from ``known`` (already loaded, by id) when given, else joined. A
    project missing from ``known`` (created since, when the rows were found by the rule's subquery) is read
    when asked."""
    if known is None:
        return list(rows.select_related("project"))
    found = list(rows)
    for row in found:
        if row.project_id in known:  # type: ignore[attr-defined]
            row.project = known[row.project_id]  # type: ignore[attr-defined]
    return found


def _critical(scope: Scope) -> QuerySet[RaidItem]:
    """Open critical issues of the projects of ``scope`` not yet acknowledged."""
    return RaidItem.objects.filter(
        project_id__any=scope, kind=RaidKind.ISSUE, severity=Severity.CRITICAL, acknowledged_at__isnull=True
    ).exclude(status=RaidStatus.CLOSED)


def _unacknowledged_critical(scope: Scope, known: dict[int, Project] | None = None) -> list[RaidItem]:
    """Open critical issues of the projects of ``scope`` not yet acknowledged, escalated ones first, then oldest
    first."""
    return _in_order_of_critical(_critical(scope), known)


def _in_order_of_critical(issues: QuerySet[RaidItem], known: dict[int, Project] | None) -> list[RaidItem]:
    return _attach(issues.order_by(F("escalated_at").desc(nulls_last=True), "raised_at", "pk"), known)


def _found(lists: dict[str, QuerySet[Any]]) -> frozenset[str]:
    """The names of ``lists`` with at least one row, in one query (an ``EXISTS`` of each).

    Most of a desk's lists are empty on most days, and an empty list still cost its own query: building and
    compiling it, a round trip and PostgreSQL's planning, about 0.85 ms each, a dozen of them on every desk.
    Asked together, each empty one costs its compiling only.
    """
    parts: list[str] = []
    params: list[Any] = []
    for rows in lists.values():
        sql, values = rows.order_by().values("pk")[:1].query.sql_with_params()
        parts.append(f"EXISTS ({sql})")
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return frozenset(name for name, exists in zip(lists, row, strict=True) if exists)


def desk_for(*, user: User, today: dt.date) -> Desk:
    """The desk of ``user`` as of ``today`` in a fixed number of queries whatever the number of projects (the
    page with every list filled: 29, tests/projects/desk/test_selectors.py), fewer when its lists are empty: one
    query tells which of them have rows (:func:`_found`), and only those are read.

    The projects are loaded first; each list then takes its rows' projects from them rather than joining them
    again, and filters on their ids (:data:`Scope`).
    """
    projects = list(desk_projects(user).order_by("code"))
    known = {project.pk: project for project in projects}
    scope: Scope = frozenset(known)
    soon = today + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    lists: dict[str, QuerySet[Any]] = {
        "critical": _critical(scope),
        "overdue": Deliverable.objects.filter(project_id__any=scope, due_date__lt=today).exclude(
            status=DeliverableStatus.ACCEPTED
        ),
        "actions": NonConformance.objects.filter(
            deliverable__project_id__any=scope, status=NonConformanceStatus.OPEN, action_due__lt=today
        ),
        "sign_offs": Deliverable.objects.filter(project_id__any=scope, status=DeliverableStatus.AWAITING_SIGN_OFF),
        "changes": ChangeRequest.objects.filter(project_id__any=scope, status=ChangeStatus.SUBMITTED),
        "proposals": ClauseChangeProposal.objects.filter(clause__project_id__any=scope, status=ProposalStatus.PENDING),
        "contingency": ContingencyRequest.objects.filter(project_id__any=scope, state=ContingencyState.PENDING),
        "replies": Correspondence.objects.filter(
            project_id__any=scope,
            reply_due_on__lte=today + dt.timedelta(days=REPLY_NOTICE_DAYS),
            status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY],
        ),
        "documents": Document.objects.filter(project_id__any=scope, expires_on__lte=soon)
        .exclude(status__in=[DocumentStatus.SUPERSEDED, DocumentStatus.EXPIRED])
        .filter(Q(expires_on__gte=today) | ~Q(status=DocumentStatus.DRAFT)),
        "tolerances": ToleranceException.objects.filter(project_id__any=scope, state=ExceptionState.OPEN),
        # One's own time waits for another approver.
        "time": TimeEntry.objects.filter(project_id__any=scope, approval=Approval.SUBMITTED).exclude(member__user=user),
        "bookings": _bookings(scope, today),
    }
    found = _found(lists) if scope else frozenset()

    def read(name: str, order: tuple[str, ...], *related: str) -> list[Any]:
        if name not in found:
            return []
        return _attach(lists[name].select_related(*related).order_by(*order), known)

    obligations = [
        row
        for row in obligation_rows(projects=Project.objects.filter(pk__any=scope), today=today)
        if row.state != MET
        and not (row.state == DUE and row.days_left is not None and row.days_left > OBLIGATION_NOTICE_DAYS)
    ]
    replies = read("replies", ("reply_due_on", "pk"))
    replies.sort(key=lambda e: (e.counterpart_kind != Counterpart.AUTHORITY, e.reply_due_on))
    overdue_actions: list[NonConformance] = (
        list(lists["actions"].select_related("deliverable", "action_owner").order_by("action_due", "pk"))
        if "actions" in found
        else []
    )
    for action in overdue_actions:
        if action.deliverable.project_id in known:
            action.deliverable.project = known[action.deliverable.project_id]
    proposals: list[ClauseChangeProposal] = (
        list(lists["proposals"].select_related("clause", "proposed_by").order_by("proposed_at", "pk"))
        if "proposals" in found
        else []
    )
    for proposal in proposals:
        if proposal.clause.project_id in known:
            proposal.clause.project = known[proposal.clause.project_id]
    return Desk(
        today=today,
        projects=projects,
        critical_issues=_in_order_of_critical(lists["critical"], known) if "critical" in found else [],
        overdue_deliverables=read("overdue", ("due_date", "pk"), "owner"),
        overdue_actions=overdue_actions,
        sign_offs_waiting=read("sign_offs", ("due_date", "pk")),
        changes_waiting=read("changes", ("submitted_at", "pk")),
        proposals_waiting=proposals,
        contingency_waiting=read("contingency", ("requested_at", "pk")),
        obligations=obligations,
        replies_due=replies,
        documents_expiring=read("documents", ("expires_on", "pk")),
        tolerances=read("tolerances", ("-raised_at", "pk"), "plan"),
        over_capacity=_over_capacity(lists["bookings"], known, today) if "bookings" in found else [],
        time_waiting=time_groups(read("time", ("date", "member__name", "pk"), "member")),
        invoices_overdue=overdue_on_desk(user, scope, today=today),
        my_tasks=planning_selectors.my_tasks(user=user, today=today),
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


def _stale(last_update: dt.date | None, today: dt.date) -> bool:
    """No status update as of ``today`` for :data:`STALE_DAYS` days, or none at all."""
    return last_update is None or last_update < today - dt.timedelta(days=STALE_DAYS)


def project_rows(
    *, user: User, projects: QuerySet[Project], today: dt.date, money_of: frozenset[int] | None = None
) -> list[ProjectRow]:
    """A :class:`ProjectRow` per project of ``projects``, by code; three queries whatever their number (four
    when the stored figures of some do not hold today).

    The projects with their stored figures (``projects.budget.figures``) and
    whether ``user`` may see their money (one query), their budgets joined,
    current baselines and milestones prefetched. ``money_of``: the projects
    whose money the user may see, when the caller has asked already.
    """
    if money_of is None:
        projects = projects.annotate(money_shown=_money_shown_column(user))
    loaded = figures.with_kept(
        list(with_plan(projects.annotate(**figures.stored_columns())).order_by("code")), as_of=today
    )
    rows = []
    for project in loaded:
        shown = project.money_shown if money_of is None else project.pk in money_of
        metrics = evm.evm_compute(evm_inputs_of(project, as_of=today)) if shown else None
        upcoming = (m for m in project.plan_milestones if m.completed_on is None)
        rows.append(
            ProjectRow(
                project=project,
                rag=project.rag_now or "",
                previous_rag=project.rag_before or "",
                last_update=project.last_update,
                percent_complete=project.pct_complete,
                metrics=metrics,
                next_milestone=next(upcoming, None),
                stale=_stale(project.last_update, today),
            )
        )
    return rows


def _money_shown_column(user: User) -> ExpressionWrapper:
    """Whether ``user`` may see a project's money (``access.see_money``), as a column of the project's query."""
    return ExpressionWrapper(Q(pk__in=access.see_money.queryset(user).values("pk")), output_field=BooleanField())


def _money_shown(user: User, ids: frozenset[int]) -> list[int]:
    """Which of the projects ``ids`` ``user`` may see the money of (``access.see_money``); one query (its ids,
    read as the rule's UNION alone: filtered on ``ids`` as well, PostgreSQL read every project)."""
    money = access.see_money.ids(user)
    return list(ids if money is None else ids & money)


@dataclass(frozen=True)
class RankedProject:
    """What a desk orders and counts a project by, before its row is loaded: its latest status RAG, the items
    needing action on it, whether it is stale; with ``forecast``, its (BAC, EAC, VAC) in ``currency`` when the
    user may see its money (else None)."""

    pk: int
    code: str
    rag: str
    actions: int
    stale: bool
    currency: str = ""
    forecast: tuple[Decimal, Decimal, Decimal] | None = None
    #: Whether the user may see its money, when the ranking asked (with ``forecast``), else None.
    money_shown: bool | None = None

    @property
    def severity(self) -> tuple[int, int, str]:
        """Sort key: red, amber, green, then no RAG; then the most actions; then the code."""
        return (_SEVERITY.get(self.rag, 3), -self.actions, self.code)


def ranked_projects(
    *,
    user: User,
    ids: frozenset[int],
    today: dt.date,
    actions: dict[int, int],
    forecast: bool = False,
    money_of: frozenset[int] | None = None,
) -> list[RankedProject]:
    """Every project of ``ids``, worst first (:attr:`RankedProject.severity`), from plain values and the
    projects' stored figures, in one query (one more for those whose stored figures do not hold today:
    ``projects.budget.figures``); with ``forecast``, also each project's forecast when ``user`` may see its
    money (one query more, none when ``money_of`` gives the projects of ``ids`` whose money is shown).

    Only the page shown is then loaded as rows (:func:`desk_page`): a desk of a thousand projects built a
    thousand rows with their milestones and baselines to show 25 of them. The
    forecast is the one the project's stored figures keep, which :func:`projects.budget.evm.forecast_at_completion`
    gave on the inputs :func:`evm_inputs_of` reads (the sums and the bottom-up estimate), so a summary adds the
    figures the rows show; where the stored figures do not hold, the same function on the sums added up.
    """
    found = Project.objects.filter(pk__any=ids).annotate(**figures.stored_columns()).order_by()
    rows = list(
        found.values_list(
            "pk",
            "code",
            "currency",
            "bac",
            "budget__etc_bottom_up",
            *(f"figures__{name}" for name in figures.FORECAST),
            *figures.RATED,
            KEPT_AS_OF,
            KEPT_NEXT_DUE,
        )
    )
    apart = frozenset(row[0] for row in rows if not figures.holds(row[-2], row[-1], today, row[0]))
    live = figures.live_figures(apart, as_of=today)
    shown = (money_of if money_of is not None else frozenset(_money_shown(user, ids))) if forecast else frozenset()
    ranked = []
    for pk, code, currency, bac, etc, kept_bac, kept_eac, kept_vac, *kept in rows:
        lines_total, time_cost, expense_cost, pct, rag, last_update, _ = live.get(pk) or kept[:-2]
        outlook = None
        if pk in shown:
            # The forecast the project's row keeps (what evm.forecast_at_completion gave when it was written),
            # else computed from the sums added up.
            outlook = (
                (kept_bac, kept_eac, kept_vac)
                if pk not in live
                else evm.forecast_at_completion(
                    bac=bac_of(bac, lines_total),
                    ac=time_cost + expense_cost,
                    percent_complete=pct if pct is not None else ZERO,
                    etc_bottom_up=etc,
                )
            )
        ranked.append(
            RankedProject(
                pk=pk,
                code=code,
                rag=rag or "",
                actions=actions.get(pk, 0),
                stale=_stale(last_update, today),
                currency=currency if forecast else "",
                forecast=outlook,
                money_shown=pk in shown if forecast else None,
            )
        )
    return sorted(ranked, key=lambda project: project.severity)


def desk_page(
    *, user: User, ranked: list[RankedProject], today: dt.date, page: str | int | None, per_page: int
) -> tuple[Page, list[ProjectRow]]:
    """The page ``page`` of ``ranked`` (taken as ``Paginator.get_page`` takes it: junk gives page 1, past the
    end the last page) and its projects' rows in the same order, with their action counts (three queries)."""
    shown = Paginator(ranked, per_page).get_page(page)
    on_page = {project.pk: project for project in shown.object_list}
    if not on_page:
        return shown, []
    asked = [project for project in on_page.values() if project.money_shown is not None]
    money_of = frozenset(p.pk for p in asked if p.money_shown) if len(asked) == len(on_page) else None
    page_projects = Project.objects.filter(pk__in=on_page)
    rows = {
        row.project.pk: row for row in project_rows(user=user, projects=page_projects, today=today, money_of=money_of)
    }
    shown_rows = []
    for pk, project in on_page.items():
        if pk in rows:  # else deleted since it was ranked: left out rather than failing the page
            rows[pk].actions = project.actions
            shown_rows.append(rows[pk])
    return shown, shown_rows


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


#: Each to-do list of the PM's desk shows this many items until the user asks for all of them.
LIST_SHOWN = 10
#: A desk's projects, worst first, this many a page: a department of a thousand projects drew a thousand rows
#: and their templates, where the worst ones are what a desk is opened for.
PROJECTS_PER_PAGE = 25


def pm_rows(
    *, user: User, desk: Desk, page: str | int | None = 1, per_page: int = PROJECTS_PER_PAGE
) -> tuple[Page, list[ProjectRow]]:
    """The desk's projects worst first, with their action counts: the page ``page`` and its rows (four queries)."""
    ids = frozenset(project.pk for project in desk.projects)
    ranked = ranked_projects(user=user, ids=ids, today=desk.today, actions=action_counts(desk))
    return desk_page(user=user, ranked=ranked, today=desk.today, page=page, per_page=per_page)


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
    """What waits for a head's decision in the departments they head, their summary and projects worst first.

    ``page`` is the page shown of every project (:class:`RankedProject`, worst first), ``rows`` their rows in
    the same order; ``projects`` the number of projects and ``stale`` how many of them are stale.
    """

    today: dt.date
    departments: list[DepartmentSummary]
    page: Page
    rows: list[ProjectRow]
    projects: int
    stale: int
    changes_waiting: list[ChangeRequest]
    contingency_waiting: list[ContingencyRequest]
    proposals_waiting: list[ClauseChangeProposal]
    critical_issues: list[RaidItem]
    tolerances: list[ToleranceException]
    plans_waiting: list[ToleranceException] = field(default_factory=list)
    #: Issued invoices billing the departments' projects, unpaid past their due date (not a decision: shown
    #: beside them, not counted).
    invoices_overdue: list[Invoice] = field(default_factory=list)
    #: The head's own open tasks on any project, overdue first (as the PM's desk; not a decision, not counted).
    my_tasks: list[Task] = field(default_factory=list)

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


def head_desk_for(
    *, user: User, today: dt.date, page: str | int | None = 1, per_page: int = PROJECTS_PER_PAGE
) -> HeadDesk | None:
    """The head's desk of ``user`` as of ``today`` with the page ``page`` of its projects, or None when they head
    no department with projects.

    Only the departments of :func:`headed_departments` (never one the user
    merely reports on). A fixed number of queries whatever the number of
    projects: the summary and the order come from :func:`ranked_projects`,
    only the page's projects are loaded as rows.
    ``plans_waiting``: open exceptions whose plan is submitted and undecided;
    ``tolerances``: open exceptions still waiting for the PM's plan (none, a
    draft, or a rejected one to revise).
    """
    departments = list(headed_departments(user))
    if not departments:
        return None
    headed = [department.pk for department in departments]
    # The projects' ids, read once (:data:`Scope`).
    # From the departments' links, ``IN`` the rule as it is (its UNION alone, apm.access): filtering the rule's
    # projects on the links read every project.
    scope: Scope = frozenset(
        Project.departments.through.objects.filter(
            department_id__in=headed, project_id__in=access.decide_as_head.queryset(user)
        ).values_list("project_id", flat=True)
    )
    lists: dict[str, QuerySet[Any]] = {
        "changes": ChangeRequest.objects.filter(
            project_id__any=scope, status=ChangeStatus.SUBMITTED, approvers__in=[Approvers.HEAD, Approvers.BOTH]
        ).exclude(approvals__side=ApproverSide.HEAD),
        "exceptions": ToleranceException.objects.filter(project_id__any=scope, state=ExceptionState.OPEN),
        "contingency": ContingencyRequest.objects.filter(project_id__any=scope, state=ContingencyState.PENDING),
        "proposals": ClauseChangeProposal.objects.filter(clause__project_id__any=scope, status=ProposalStatus.PENDING),
        "critical": _critical(scope),
    }
    found = _found(lists) if scope else frozenset()

    def read(name: str, order: tuple[str, ...], *related: str) -> list[Any]:
        if name not in found:
            return []
        return list(lists[name].select_related(*related).order_by(*order))

    changes: list[ChangeRequest] = read("changes", ("submitted_at", "pk"), "project")
    # Open exceptions with their plans: a submitted plan waits for the head's decision; one without a plan (or
    # with a draft or rejected one) waits for the PM; an approved plan is decided (the exception stays open
    # until the forecast is back inside tolerance, on the budget page).
    exceptions: list[ToleranceException] = read("exceptions", ("-raised_at", "pk"), "project", "plan__submitted_by")
    contingency: list[ContingencyRequest] = read("contingency", ("requested_at", "pk"), "project")
    proposals: list[ClauseChangeProposal] = read("proposals", ("proposed_at", "pk"), "clause__project", "proposed_by")
    critical: list[RaidItem] = _in_order_of_critical(lists["critical"], None) if "critical" in found else []
    tolerances = [e for e in exceptions if e.plan_state not in (PlanState.SUBMITTED, PlanState.APPROVED)]
    plans = [e for e in exceptions if e.plan_state == PlanState.SUBMITTED]
    actions: dict[int, int] = defaultdict(int)
    for items in (changes, contingency, critical, tolerances, plans):
        for item in items:
            actions[item.project_id] += 1
    for proposal in proposals:
        actions[proposal.clause.project_id] += 1
    money_of = frozenset(_money_shown(user, scope))
    ranked = ranked_projects(user=user, ids=scope, today=today, actions=actions, forecast=True, money_of=money_of)
    shown, rows = desk_page(user=user, ranked=ranked, today=today, page=page, per_page=per_page)
    return HeadDesk(
        today=today,
        departments=_summaries(departments, ranked),
        page=shown,
        rows=rows,
        projects=len(ranked),
        stale=sum(1 for project in ranked if project.stale),
        changes_waiting=changes,
        contingency_waiting=contingency,
        proposals_waiting=proposals,
        critical_issues=critical,
        tolerances=tolerances,
        plans_waiting=plans,
        invoices_overdue=overdue_on_desk(user, scope, today=today, money_of=money_of),
        my_tasks=planning_selectors.my_tasks(user=user, today=today),
    )


def _summaries(departments: list[Department], ranked: list[RankedProject]) -> list[DepartmentSummary]:
    """Each of ``departments``' projects among ``ranked`` counted by RAG, their forecasts added per currency in
    the order ``ranked`` meets them (one query: which of the projects are in which department)."""
    in_departments: dict[int, set[int]] = defaultdict(set)
    # Every project of the departments (a project of ``ranked`` is in at least one): the ones not in ``ranked``
    # are skipped below, cheaper than asking the rule that found ``ranked`` again.
    links = Project.departments.through.objects.filter(department_id__in=[department.pk for department in departments])
    for project_id, department_id in links.values_list("project_id", "department_id"):
        in_departments[department_id].add(project_id)
    summaries = []
    for department in departments:
        counts = {"red": 0, "amber": 0, "green": 0, "none": 0}
        money: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        for project in ranked:
            if project.pk not in in_departments[department.pk]:
                continue
            counts[project.rag or "none"] += 1
            if project.forecast is not None:
                bac, eac, vac = money.get(project.currency, (ZERO, ZERO, ZERO))
                money[project.currency] = (
                    bac + project.forecast[0],
                    eac + project.forecast[1],
                    vac + project.forecast[2],
                )
        summaries.append(DepartmentSummary(department=department, counts=counts, money=money))
    return summaries
