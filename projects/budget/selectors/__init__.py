"""Reads of budgets, costs and earned value. Internal figures only: never for client contacts.

Costs are aggregated in the database (``Sum`` in correlated subqueries), so
the number of queries is fixed whatever the number of projects or entries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    ExpressionWrapper,
    FilteredRelation,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from projects.budget import evm, figures
from projects.models import (
    Approval,
    Baseline,
    BudgetLine,
    CostBasis,
    CostCategory,
    ExceptionState,
    Expense,
    Milestone,
    Project,
    ProjectBudget,
    ProjectStatus,
    StatusUpdate,
    TimeEntry,
    ToleranceException,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class CostFigures(TypedDict):
        """What :func:`with_cost_figures` adds to a project (money in the project's currency)."""

        lines_total: Decimal
        time_cost: Decimal
        expense_cost: Decimal
        pct_complete: Decimal | None

    #: A project annotated by :func:`with_cost_figures`.
    CostedProject: TypeAlias = WithAnnotations[Project, CostFigures]

#: Projects, annotated or not (:func:`with_plan` keeps the type it is given).
P = TypeVar("P", bound=Project)

MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0")


def today() -> dt.date:
    """Today in ``settings.TIME_ZONE``."""
    return timezone.localdate()


def counted_time(project: Project) -> QuerySet[TimeEntry]:
    """The time entries of ``project`` that its actual cost reads: all of them, or the approved ones only when
    its budget says so (``ProjectBudget.cost_basis``). No query when its budget is loaded."""
    entries = TimeEntry.objects.filter(project=project)
    budget = _budget(project)
    if budget is not None and budget.cost_basis == CostBasis.APPROVED:
        entries = entries.filter(approval=Approval.APPROVED)
    return entries


def with_cost_figures(queryset: QuerySet[Project], *, as_of: dt.date) -> QuerySet[CostedProject]:
    """``queryset`` of projects annotated with money aggregated in the database.

    Adds ``lines_total`` (sum of budget lines, 0 when none),
    ``time_cost`` (the time :func:`counted_time` counts) and ``expense_cost``
    (dated on or before ``as_of``) and
    ``pct_complete`` (the newest non-null ``percent_complete`` of a status
    update dated on or before ``as_of``, or None): each read from the
    project's stored figures where they hold on ``as_of``, else added up
    (``projects.budget.figures``).
    """
    return queryset.annotate(**figures.cost_columns(as_of=as_of))  # type: ignore[return-value]


def with_plan(queryset: QuerySet[P]) -> QuerySet[P]:
    """``queryset`` of projects with ``current_baselines`` (0 or 1), ``plan_milestones`` (the project's own, by
    due date) and ``budget`` loaded.

    Three extra queries at most, whatever the number of projects. Lists set as attributes (``to_attr``): a
    prefetch into the related manager also builds a filtered queryset for each project.
    """
    return queryset.select_related("budget").prefetch_related(
        Prefetch("baselines", queryset=Baseline.objects.filter(is_current=True), to_attr="current_baselines"),
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "pk"), to_attr="plan_milestones"),
    )


def _budget(project: Project) -> ProjectBudget | None:
    try:
        return project.budget
    except ProjectBudget.DoesNotExist:
        return None


def project_bac(project: Project, lines_total: Decimal | None) -> Decimal:
    """BAC: the sum of the budget lines when the project has any, else ``Project.bac`` (0 when empty)."""
    return bac_of(project.bac, lines_total)


def bac_of(project_bac_field: Decimal | None, lines_total: Decimal | None) -> Decimal:
    """:func:`project_bac` from plain values: the project's ``bac`` field and the sum of its budget lines."""
    if lines_total:
        return evm.money(lines_total)
    return evm.money(project_bac_field or ZERO)


def plan_of(project: Project) -> tuple[dt.date | None, dt.date | None, tuple[evm.PlanMilestone, ...], str]:
    """The baseline plan PV is measured against: (start, finish, weighted milestones, source label).

    The current baseline's dates and milestones when there is one, else the
    project's own dates and milestones. Needs :func:`with_plan` (or plain
    attribute access, one query more each).
    """
    baselines = getattr(project, "current_baselines", None)
    if baselines is None:
        baselines = list(project.baselines.filter(is_current=True))
    if baselines:
        baseline = baselines[0]
        milestones = baseline_milestones(baseline.milestones)
        return baseline.start_date, baseline.end_date, milestones, f"baseline {baseline.number}"
    own = getattr(project, "plan_milestones", None)
    if own is None:
        own = project.milestones.all()
    milestones = tuple(evm.PlanMilestone(m.due_date, m.weight) for m in own)
    return project.start_date, project.end_date, milestones, "current plan (no baseline yet)"


def baseline_milestones(stored: list[dict[str, Any]]) -> tuple[evm.PlanMilestone, ...]:
    """A baseline's stored ``[{"due_date": ISO date, "weight": str}]`` as plan milestones; undated ones skipped."""
    return tuple(
        evm.PlanMilestone(dt.date.fromisoformat(m["due_date"]), Decimal(m["weight"]))
        for m in stored
        if m.get("due_date")
    )


def evm_inputs_of(project: CostedProject, *, as_of: dt.date) -> evm.EvmInputs:
    """EVM inputs from a project annotated by :func:`with_cost_figures` and loaded by :func:`with_plan`."""
    start, finish, milestones, _ = plan_of(project)
    budget = _budget(project)
    return evm.EvmInputs(
        bac=project_bac(project, project.lines_total),
        ac=evm.money(project.time_cost + project.expense_cost),
        percent_complete=project.pct_complete if project.pct_complete is not None else ZERO,
        as_of=as_of,
        start=start,
        finish=finish,
        milestones=milestones,
        etc_bottom_up=budget.etc_bottom_up if budget is not None else None,
    )


def project_with_figures(*, project_id: int, as_of: dt.date) -> CostedProject:
    """The project ``project_id`` annotated and loaded for EVM (four queries)."""
    return with_plan(with_cost_figures(Project.objects.filter(pk=project_id), as_of=as_of)).get()


def project_metrics(*, project: Project, as_of: dt.date | None = None) -> evm.EvmMetrics:
    """Earned value figures of ``project`` as of ``as_of`` (default today); see :mod:`projects.budget.evm`."""
    as_of = as_of or today()
    loaded = project_with_figures(project_id=project.pk, as_of=as_of)
    return evm.evm_compute(evm_inputs_of(loaded, as_of=as_of))


# --- The budget page ---------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    """One category of the budget page: budgeted, actual to date, remaining (money), forecast share."""

    category: str
    label: str
    budget: Decimal
    actual: Decimal
    remaining: Decimal
    lines: list[BudgetLine]


def budget_by_category(*, project: Project, as_of: dt.date) -> list[CategoryRow]:
    """Budget lines, actual cost and remaining per category (time entries are labour). Three queries."""
    lines_by_category: dict[str, list[BudgetLine]] = defaultdict(list)
    for line in BudgetLine.objects.filter(project=project).order_by("category", "pk"):
        lines_by_category[line.category].append(line)
    actual: dict[str, Decimal] = defaultdict(lambda: ZERO)
    labour = counted_time(project).filter(date__lte=as_of).aggregate(total=Sum("cost"))["total"]
    actual[CostCategory.LABOUR] += labour or ZERO
    expenses = (
        Expense.objects.filter(project=project, date__lte=as_of)
        .order_by()
        .values("category")
        .annotate(total=Sum("amount"))
    )
    for row in expenses:
        actual[row["category"]] += row["total"] or ZERO
    rows = []
    for value, label in CostCategory.choices:
        budget = evm.money_sum(line.amount for line in lines_by_category[value])
        spent = evm.money(actual[value])
        if not lines_by_category[value] and not spent:
            continue
        rows.append(CategoryRow(value, label, budget, spent, evm.money(budget - spent), lines_by_category[value]))
    return rows


def burn_up_series(*, project: Project, as_of: dt.date, points: int = 24) -> list[dict[str, Any]]:
    """PV, EV and AC (cumulative money) at up to ``points`` evenly spaced dates, for the burn-up chart.

    Dates run from the plan's start to the later of its finish and ``as_of``;
    EV and AC stop at ``as_of`` (``None`` after it). EV at a date uses the
    newest percent complete reported on or before it. Three queries.
    Returns ``[{"date", "pv", "ev", "ac"}]`` (Decimal or None).
    """
    loaded = with_plan(Project.objects.filter(pk=project.pk)).get()
    start, finish, milestones, _ = plan_of(loaded)
    lines_total = BudgetLine.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    bac = project_bac(project, lines_total)
    start = start or loaded.created_at.date()
    end = max(finish or as_of, as_of)
    if end <= start:
        end = start + dt.timedelta(days=1)
    span = (end - start).days
    step = max(1, span // max(points - 1, 1))
    dates = [start + dt.timedelta(days=d) for d in range(0, span + 1, step)]
    if dates[-1] != end:
        dates.append(end)
    if as_of not in dates and start <= as_of <= end:
        dates.append(as_of)
        dates.sort()
    costs: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for row in counted_time(loaded).order_by().values("date").annotate(total=Sum("cost")):
        costs[row["date"]] += row["total"]
    for row in Expense.objects.filter(project=project).order_by().values("date").annotate(total=Sum("amount")):
        costs[row["date"]] += row["total"]
    progress = list(
        StatusUpdate.objects.filter(project=project, percent_complete__isnull=False)
        .order_by("as_of")
        .values_list("as_of", "percent_complete")
    )
    cost_days = sorted(costs)
    series = []
    for day in dates:
        pv = evm.planned_value(
            bac=bac, planned_pct=evm.planned_percent(start=start, finish=finish, milestones=milestones, as_of=day)
        )
        if day > as_of:
            series.append({"date": day, "pv": pv, "ev": None, "ac": None})
            continue
        ac = evm.money_sum(costs[d] for d in cost_days if d <= day)
        pct = ZERO
        for reported_on, value in progress:
            if reported_on <= day and value is not None:
                pct = value
        series.append({"date": day, "pv": pv, "ev": evm.earned_value(bac=bac, percent_complete=pct), "ac": ac})
    return series


# --- Department portfolio ---------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioRow:
    """One project of the department portfolio table (internal): metrics and their RAG."""

    project: Project
    currency: str
    metrics: evm.EvmMetrics
    rag: str  # "green", "amber", "red", or "" when there is nothing to rate
    #: Whether the project is among those whose margin the table was asked to show (``portfolio_table``'s
    #: ``margin_of``); False elsewhere.
    margin_visible: bool = False


def portfolio_rows(*, projects: QuerySet[Project], as_of: dt.date | None = None) -> list[PortfolioRow]:
    """CPI, SPI, EAC and a RAG (``evm.rag_from_indices``) for each project, ordered by code.

    The RAG is "" (no data) when there is nothing to rate: CPI and SPI both
    undefined, or no percent complete reported by ``as_of`` (EV would be an
    assumed 0 %, so a CPI or SPI of 0 would measure nothing).

    Three queries whatever the number of projects: the projects with their
    costs aggregated in the database and the budget joined, then the
    current baselines and the milestones prefetched.
    """
    as_of = as_of or today()
    loaded = with_plan(with_cost_figures(projects, as_of=as_of)).order_by("code")
    rows = []
    for project in loaded:
        metrics = evm.evm_compute(evm_inputs_of(project, as_of=as_of))
        rag = _portfolio_rag(project.pct_complete, metrics.cpi, metrics.spi)
        rows.append(PortfolioRow(project=project, currency=project.currency, metrics=metrics, rag=rag))
    return rows


def _portfolio_rag(pct_complete: Decimal | None, cpi: Decimal | None, spi: Decimal | None) -> str:
    if pct_complete is None or (cpi is None and spi is None):
        return ""
    return evm.rag_from_indices(cpi_value=cpi, spi_value=spi)


# --- Department portfolio table: filtered, sorted, one page at a time ----------------------

PORTFOLIO_PAGE_SIZE = 50
#: Status filters of the table; "open" (the default) is every status but closed.
PORTFOLIO_STATUSES = ("open", "closed", "all")
#: Sort keys of the table: by code (the default), the worst first, or by client (then code).
PORTFOLIO_SORTS = ("code", "rag", "cpi", "spi", "client")
_RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "": 3}


@dataclass(frozen=True)
class PortfolioRating:
    """What a project of the table is counted and sorted by: CPI and SPI (Decimal, 4 places, or None) and RAG."""

    pk: int
    code: str
    cpi: Decimal | None
    spi: Decimal | None
    rag: str
    client: str = ""  # the client's name ("" when none), what the table sorts by client on


@dataclass(frozen=True)
class PortfolioTable:
    """One page of the department table and the summary of every project of the filter.

    ``page`` is a Django ``Page`` of :class:`PortfolioRating` (all rows of the
    filter, sorted); ``rows`` the full :class:`PortfolioRow` of that page, in
    the same order; ``counts`` the RAG counts over all rows of the filter
    (``red``, ``amber``, ``green``, ``none``); ``total`` their number;
    ``status_counts`` the number of projects per status filter.
    ``money`` adds up the money of every project of the filter (not only the
    page's) per currency: currency -> ``{"bac", "ac", "ev", "eac", "vac"}``
    (Decimal, each project's figures as its row would show them);
    ``currencies`` how many projects of the filter each currency has.
    """

    status: str
    sort: str
    page: Page
    rows: list[PortfolioRow]
    counts: dict[str, int]
    total: int
    status_counts: dict[str, int]
    money: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    currencies: dict[str, int] = field(default_factory=dict)


#: What a project of the table was rated on, all but ``as_of``: BAC and AC (money), percent complete
#: (0 when none reported), and the plan: start, finish and milestones.
_Basis: TypeAlias = tuple[Decimal, Decimal, Decimal, dt.date | None, dt.date | None, tuple[evm.PlanMilestone, ...]]


def _inputs(basis: _Basis, *, as_of: dt.date, etc_bottom_up: Decimal | None) -> evm.EvmInputs:
    bac, ac, percent_complete, start, finish, milestones = basis
    return evm.EvmInputs(
        bac=bac,
        ac=ac,
        percent_complete=percent_complete,
        as_of=as_of,
        start=start,
        finish=finish,
        milestones=milestones,
        etc_bottom_up=etc_bottom_up,
    )


@dataclass(frozen=True)
class _Rated:
    """A project of the table as :func:`_rated` read it: its rating, what it was rated on, its currency and its
    bottom-up estimate to complete (None when none)."""

    rating: PortfolioRating
    basis: _Basis
    currency: str
    etc_bottom_up: Decimal | None
    #: (EAC, VAC) as the project's stored figures keep them, when they hold (else None: computed).
    kept_forecast: tuple[Decimal, Decimal] | None = None


def _rated(*, projects: QuerySet[Project], as_of: dt.date) -> list[_Rated]:
    """Each project of ``projects`` (by code) with its rating and what it was rated on.

    CPI and SPI come from the steps of ``evm.evm_compute`` that they need
    (the same functions on the same inputs), and nothing else. Three queries
    at most: the projects' stored figures (``projects.budget.figures``) with
    the current baseline, the budget (its cost basis picks the time counted;
    its bottom-up ETC) and the client's name joined (one each per project);
    the figures added up of those whose stored ones do not hold on ``as_of``
    (none when they all do); the own milestones of the projects without a
    baseline, by their ids (none when every project has one).
    """
    current = FilteredRelation("baselines", condition=Q(baselines__is_current=True))
    found = list(
        projects.annotate(**figures.stored_columns(), current_baseline=current)
        .order_by("code")
        .values_list(
            "pk",
            "code",
            "bac",
            "start_date",
            "end_date",
            "lines_total",
            "time_cost",
            "expense_cost",
            "pct_complete",
            "current_baseline__pk",
            "current_baseline__start_date",
            "current_baseline__end_date",
            "current_baseline__milestones",
            "currency",
            "budget__etc_bottom_up",
            "client__name",
            "figures__eac",
            "figures__vac",
            figures.KEPT_AS_OF,
            figures.KEPT_NEXT_DUE,
        )
    )
    # The projects whose stored figures do not hold on ``as_of`` (none, or a day before them): added up, and
    # their forecasts computed.
    apart = frozenset(row[0] for row in found if not figures.holds(row[-2], row[-1], as_of, row[0]))
    live = figures.live_figures(apart, as_of=as_of)
    found = [
        (*row[:5], *live[row[0]][:4], *row[9:-4], None) if row[0] in live else (*row[:-4], row[-4:-2]) for row in found
    ]
    own: dict[int, list[evm.PlanMilestone]] = defaultdict(list)
    unbased = [row[0] for row in found if row[9] is None]
    if unbased:
        planned = Milestone.objects.filter(project_id__in=unbased).order_by("due_date", "pk")
        for project_id, due_date, weight in planned.values_list("project_id", "due_date", "weight"):
            own[project_id].append(evm.PlanMilestone(due_date, weight))
    rated = []
    for pk, code, bac, start, finish, lines_total, time_cost, expense_cost, pct, baseline, *plan in found:
        baseline_start, baseline_finish, baseline_plan, currency, etc_bottom_up, client, kept = plan
        milestones: tuple[evm.PlanMilestone, ...] = tuple(own.get(pk, ()))
        if baseline is not None:
            start, finish, milestones = baseline_start, baseline_finish, baseline_milestones(baseline_plan)
        bac = bac_of(bac, lines_total)
        ac = evm.money(time_cost + expense_cost)
        reported = pct if pct is not None else ZERO
        # evm.evm_compute's steps for CPI and SPI (BAC and AC are money already).
        planned_pct = evm.planned_percent(start=start, finish=finish, milestones=milestones, as_of=as_of)
        ev = evm.earned_value(bac=bac, percent_complete=max(ZERO, min(evm.HUNDRED, reported)))
        cpi = evm.cpi(ev=ev, ac=ac)
        spi = evm.spi(ev=ev, pv=evm.planned_value(bac=bac, planned_pct=planned_pct))
        rating = PortfolioRating(
            pk=pk, code=code, cpi=cpi, spi=spi, rag=_portfolio_rag(pct, cpi, spi), client=client or ""
        )
        rated.append(_Rated(rating, (bac, ac, reported, start, finish, milestones), currency, etc_bottom_up, kept))
    return rated


def portfolio_ratings(*, projects: QuerySet[Project], as_of: dt.date) -> list[PortfolioRating]:
    """CPI, SPI and RAG of every project of ``projects``, ordered by code; two queries at most whatever their number.

    The same figures as :func:`portfolio_rows` (same inputs, same
    :mod:`projects.budget.evm` functions), from plain values instead of model
    instances and without EAC and the rest: cheap enough to count and sort a
    department of a thousand projects before showing one page of it.
    """
    return [found.rating for found in _rated(projects=projects, as_of=as_of)]


def _sorted(ratings: list[PortfolioRating], sort: str) -> list[PortfolioRating]:
    """Stable sorts on the list ordered by code, so ties stay in code order; undefined indices last."""
    if sort == "rag":
        return sorted(ratings, key=lambda r: _RAG_ORDER[r.rag])
    if sort in ("cpi", "spi"):
        return sorted(ratings, key=lambda r: (getattr(r, sort) is None, getattr(r, sort) or ZERO))
    if sort == "client":
        return sorted(ratings, key=lambda r: (not r.client, r.client.casefold()))
    return ratings


def portfolio_table(
    *,
    projects: QuerySet[Project],
    as_of: dt.date,
    status: str = "open",
    sort: str = "code",
    page: str | int | None = 1,
    per_page: int = PORTFOLIO_PAGE_SIZE,
    margin_of: QuerySet[Project] | None = None,
) -> PortfolioTable:
    """The department table: ``projects`` filtered by ``status``, sorted by ``sort``, one page of ``per_page``.

    ``status`` is one of :data:`PORTFOLIO_STATUSES` and ``sort`` one of
    :data:`PORTFOLIO_SORTS` (anything else: the default); ``page`` is taken
    as ``Paginator.get_page`` takes it (junk gives page 1, past the end the
    last page). The summary (the RAG counts, and the money per currency)
    covers every project of the filter, rated as by
    :func:`portfolio_ratings`; only the page's projects are loaded as models
    (with their billing and client), and their metrics computed from the
    inputs they were rated on. ``margin_of``: the projects whose margin the
    caller may show (a policy's queryset); each row of the page says whether
    it is one of them (``PortfolioRow.margin_visible``), asked in the page's
    query. Four queries whatever the number of projects (three when every
    project of the filter has a current baseline): the number of projects
    per status, the figures, the milestones of the projects without a
    baseline, the page's projects.
    """
    status = status if status in PORTFOLIO_STATUSES else "open"
    sort = sort if sort in PORTFOLIO_SORTS else "code"
    totals = projects.order_by().aggregate(all=Count("pk"), closed=Count("pk", filter=Q(status=ProjectStatus.CLOSED)))
    status_counts = {"open": totals["all"] - totals["closed"], "closed": totals["closed"], "all": totals["all"]}
    # The status filter goes into the figures query as a condition on ``projects`` (each project once, as a
    # department's are), not as a list of ids: binding and parsing a few hundred ids cost about a millisecond,
    # and the database reads the condition about as fast.
    chosen = {
        "all": projects,
        "closed": projects.filter(status=ProjectStatus.CLOSED),
        "open": projects.exclude(status=ProjectStatus.CLOSED),
    }[status]
    rated = _rated(projects=chosen, as_of=as_of)
    ratings = [found.rating for found in rated]
    counts = {rag or "none": 0 for rag in _RAG_ORDER}
    for rating in ratings:
        counts[rating.rag or "none"] += 1
    money, currencies = _money_by_currency(rated)
    shown = Paginator(_sorted(ratings, sort), per_page).get_page(page)
    by_pk = {found.rating.pk: found for found in rated}
    on_page = [rating.pk for rating in shown.object_list]
    loaded: dict[int, Project] = {}
    if on_page:
        page_projects = Project.objects.filter(pk__in=on_page).select_related("billing", "client")
        if margin_of is not None:
            # ``IN`` the policy's queryset as it is: its UNION alone (apm.access), not every project joined to it.
            visible = ExpressionWrapper(Q(pk__in=margin_of.values("pk")), output_field=BooleanField())
            page_projects = page_projects.annotate(margin_visible=visible)
        loaded = {p.pk: p for p in page_projects}
    rows = []
    for rating in shown.object_list:
        project, found = loaded[rating.pk], by_pk[rating.pk]
        metrics = evm.evm_compute(_inputs(found.basis, as_of=as_of, etc_bottom_up=found.etc_bottom_up))
        rows.append(
            PortfolioRow(
                project=project,
                currency=project.currency,
                metrics=metrics,
                rag=rating.rag,
                margin_visible=bool(getattr(project, "margin_visible", False)),
            )
        )
    return PortfolioTable(
        status=status,
        sort=sort,
        page=shown,
        rows=rows,
        counts=counts,
        total=len(ratings),
        status_counts=status_counts,
        money=money,
        currencies=currencies,
    )


def _money_by_currency(rated: list[_Rated]) -> tuple[dict[str, dict[str, Decimal]], dict[str, int]]:
    """BAC, AC, EV, EAC and VAC of every project of ``rated`` added up per currency, each project's figures as
    ``evm.evm_compute`` gives them (EAC and VAC by ``evm.forecast_at_completion``, its steps without the plan),
    and the number of projects per currency."""
    money: dict[str, dict[str, Decimal]] = {}
    currencies: dict[str, int] = defaultdict(int)
    for found in rated:
        bac, ac, reported, *_ = found.basis
        if found.kept_forecast is not None:
            eac, vac = found.kept_forecast
        else:
            _, eac, vac = evm.forecast_at_completion(
                bac=bac, ac=ac, percent_complete=reported, etc_bottom_up=found.etc_bottom_up
            )
        ev = evm.earned_value(bac=bac, percent_complete=max(ZERO, min(evm.HUNDRED, reported)))
        sums = money.setdefault(found.currency, dict.fromkeys(("bac", "ac", "ev", "eac", "vac"), ZERO))
        for column, value in (("bac", bac), ("ac", ac), ("ev", ev), ("eac", eac), ("vac", vac)):
            sums[column] += value
        currencies[found.currency] += 1
    return money, dict(currencies)


def open_exception(*, project: Project) -> ToleranceException | None:
    """The project's newest open tolerance exception (what an exception report sent now is about), or None."""
    return (
        ToleranceException.objects.filter(project=project, state=ExceptionState.OPEN)
        .select_related("project")
        .order_by("-raised_at", "-pk")
        .first()
    )
