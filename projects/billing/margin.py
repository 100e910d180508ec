"""Reads of revenue, cost and margin: a project's, a list of projects' (a client's account, a department), in a
fixed number of queries whatever their number; and month by month.

Internal money (``access.see_margin``): never for client contacts or team
members. The callers pass projects already limited by the policy.

Revenue follows each project's billing (``ProjectBilling``; a project without
one bills time and materials with no markup, capped at its budget) by the
rules of :mod:`projects.billing.revenue`, from approved billable time (the
bill amounts stored on the entries), billable expenses, billing milestones
and percent complete. Cost to date is the project's actual cost (AC, as its
budget reads it: all time or approved time only, and expenses); the forecast
compares the contract value with the forecast cost at completion (EAC) of
earned value (``projects.budget.evm.forecast_at_completion``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from projects.billing import revenue as rv
from projects.budget import evm
from projects.budget.selectors import ZERO, bac_of, with_cost_figures
from projects.models import (
    Approval,
    BillingMilestone,
    BillingModel,
    CostBasis,
    DeliverableStatus,
    Expense,
    Project,
    ProjectBilling,
    ProjectBudget,
    Recognition,
    StatusUpdate,
    TimeEntry,
)


@dataclass(frozen=True)
class ProjectMargin:
    """A project's money loop as of a date (money in ``project.currency``).

    ``model``: its billing model (time and materials when it has no billing
    set); ``contract_value``: the price (fixed), the not-to-exceed amount or
    else the budget (time and materials; None with neither), the fees of every
    month (a retainer with an end; None without one, or a fixed price without
    a price);
    ``revenue``: recognised to date; ``to_date``: that against actual cost;
    ``eac``: forecast cost at completion; ``forecast``: the contract value
    against it (None without a contract value); ``target``: the client's
    margin target (%); ``retainer``: this month of a retainer (None for the
    other models).
    """

    project: Project
    model: str
    contract_value: Decimal | None
    revenue: rv.Revenue
    to_date: rv.Margin
    eac: Decimal
    forecast: rv.Margin | None
    target: Decimal | None
    retainer: rv.RetainerMonth | None = None

    @property
    def below_target(self) -> bool:
        """Whether the forecast margin % is under the client's target."""
        if self.target is None or self.forecast is None or self.forecast.percent is None:
            return False
        return self.forecast.percent < self.target

    @property
    def forecast_revenue(self) -> Decimal:
        """What the project is sure to earn by its end: its contract value, or without one its revenue to date."""
        return self.contract_value if self.contract_value is not None else self.revenue.total

    @property
    def model_label(self) -> str:
        return BillingModel(self.model).label


@dataclass
class _Inputs:
    """What the revenue rules read of one project, gathered by :func:`project_margins`' queries."""

    time: list[rv.BilledTime] = field(default_factory=list)
    expenses: list[rv.BilledExpense] = field(default_factory=list)
    hours: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    milestones: list[rv.MilestoneDue] = field(default_factory=list)
    progress: list[tuple[dt.date, Decimal]] = field(default_factory=list)


def billing_of(project: Project) -> ProjectBilling:
    """``project``'s billing, or an unsaved default (time and materials, no markup, no cap of its own)."""
    try:
        return project.billing
    except ProjectBilling.DoesNotExist:
        return ProjectBilling(project=project)


def retainer_terms(project: Project, billing: ProjectBilling) -> rv.RetainerTerms:
    """The retainer terms of ``billing`` from the project's start (its creation when it has no start date)."""
    return rv.RetainerTerms(
        fee=billing.retainer_fee or ZERO,
        hours=billing.retainer_hours or ZERO,
        rollover_months=billing.rollover_months,
        overage_rate=billing.overage_rate,
        start=project.start_date or timezone.localdate(project.created_at),
        end=project.end_date,
    )


def _gather(ids: list[int], models: dict[int, str], percent: set[int], as_of: dt.date) -> dict[int, _Inputs]:
    """The inputs of the projects ``ids`` (4 queries at most): approved billable time and billable expenses by
    month, billing milestones of fixed-price projects, percent complete of those recognised by it."""
    inputs: dict[int, _Inputs] = defaultdict(_Inputs)
    time = (
        TimeEntry.objects.filter(project_id__in=ids, approval=Approval.APPROVED, billable=True, date__lte=as_of)
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("project_id", "month")
        .annotate(
            amount=Sum("bill_amount"),
            priced=Sum("hours", filter=Q(bill_amount__isnull=False)),
            unpriced=Sum("hours", filter=Q(bill_amount__isnull=True)),
        )
    )
    for row in time:
        month = _day(row["month"])
        found = inputs[row["project_id"]]
        if row["priced"]:
            found.time.append(rv.BilledTime(month, row["priced"], evm.money(row["amount"])))
        if row["unpriced"]:
            found.time.append(rv.BilledTime(month, row["unpriced"], None))
        found.hours.append((month, (row["priced"] or ZERO) + (row["unpriced"] or ZERO)))
    # One by one, not summed by month: each expense is marked up and rounded on its own, as an invoice's line.
    expenses = Expense.objects.filter(project_id__in=ids, billable=True, date__lte=as_of).order_by()
    for project_id, day, amount in expenses.values_list("project_id", "date", "amount"):
        inputs[project_id].expenses.append(rv.BilledExpense(day, amount))
    fixed = [pk for pk in ids if models[pk] == BillingModel.FIXED_PRICE]
    if fixed:
        for milestone in BillingMilestone.objects.filter(project_id__in=fixed).select_related("deliverable"):
            inputs[milestone.project_id].milestones.append(rv.MilestoneDue(milestone.amount, falls_due(milestone)))
    if percent:
        updates = StatusUpdate.objects.filter(project_id__in=percent, percent_complete__isnull=False, as_of__lte=as_of)
        for project_id, day, pct in updates.order_by("as_of").values_list("project_id", "as_of", "percent_complete"):
            inputs[project_id].progress.append((day, pct or ZERO))
    return inputs


def _day(value: Any) -> dt.date:
    """A month from ``TruncMonth`` as a date (a datetime on some databases)."""
    return value.date() if isinstance(value, dt.datetime) else value


def falls_due(milestone: BillingMilestone) -> dt.date | None:
    """When ``milestone`` fell due: its deliverable's acceptance when it has one, else its date (None: not yet)."""
    deliverable = milestone.deliverable
    if deliverable is not None:
        if deliverable.status == DeliverableStatus.ACCEPTED and deliverable.signed_off_at is not None:
            return timezone.localdate(deliverable.signed_off_at)  # the day it was accepted here, not in UTC
        return None
    return milestone.due_on


def _revenue(
    project: Project, billing: ProjectBilling, found: _Inputs, bac: Decimal, as_of: dt.date
) -> tuple[rv.Revenue, Decimal | None, rv.RetainerMonth | None]:
    """Revenue to ``as_of``, the contract value and (a retainer) this month."""
    if billing.model == BillingModel.FIXED_PRICE:
        price = billing.contract_value
        if billing.recognition == Recognition.PERCENT_COMPLETE:
            revenue = rv.fixed_price_percent(price=price or ZERO, progress=found.progress, as_of=as_of)
        else:
            revenue = rv.fixed_price_milestones(milestones=found.milestones, as_of=as_of)
        return revenue, price, None
    if billing.model == BillingModel.RETAINER:
        terms = retainer_terms(project, billing)
        months = rv.retainer_months(terms=terms, hours=found.hours, as_of=as_of)
        revenue = rv.retainer(terms=terms, hours=found.hours, as_of=as_of)
        return revenue, rv.retainer_contract_value(terms), months[-1] if months else None
    # No not-to-exceed amount: the budget caps it; with no budget either, nothing does (a cap of 0 would write
    # every hour off).
    cap = billing.contract_value if billing.contract_value is not None else (bac if bac > 0 else None)
    revenue = rv.time_and_materials(
        time=found.time, expenses=found.expenses, markup_percent=billing.expense_markup_percent, cap=cap, as_of=as_of
    )
    return revenue, cap, None


def project_margins(*, projects: QuerySet[Project], as_of: dt.date) -> list[ProjectMargin]:
    """Revenue, cost and margin of every project of ``projects`` as of ``as_of``, by code; at most six queries
    whatever their number (the projects with their costs, billing and client; time; expenses; milestones;
    percent complete)."""
    loaded = list(
        with_cost_figures(projects, as_of=as_of).select_related("billing", "client", "budget").order_by("code")
    )
    costs = {}
    for project in loaded:
        bac = bac_of(project.bac, project.lines_total)
        ac = evm.money(project.time_cost + project.expense_cost)
        budget = getattr(project, "budget", None)
        _, eac, _ = evm.forecast_at_completion(
            bac=bac,
            ac=ac,
            percent_complete=project.pct_complete if project.pct_complete is not None else ZERO,
            etc_bottom_up=budget.etc_bottom_up if budget is not None else None,
        )
        costs[project.pk] = Costs(bac=bac, ac=ac, eac=eac)
    return margins_of(projects=loaded, costs=costs, as_of=as_of)


@dataclass(frozen=True)
class Costs:
    """What :func:`margins_of` takes as read elsewhere (money in the project's currency): the budget at
    completion (BAC, a time and materials project's cap when it has no not-to-exceed amount), actual cost to
    date (AC) and the forecast cost at completion (EAC)."""

    bac: Decimal
    ac: Decimal
    eac: Decimal


def margins_of(*, projects: Sequence[Project], costs: Mapping[int, Costs], as_of: dt.date) -> list[ProjectMargin]:
    """Revenue and margin of ``projects`` (loaded with ``billing`` and ``client``: ``select_related``) whose
    costs a caller has already read (``costs`` by project id), in their order. Four queries at most whatever
    their number (time; expenses; milestones when one is fixed price; percent complete when one is recognised
    by it); none without projects."""
    billings = {project.pk: billing_of(project) for project in projects}
    models = {pk: billing.model for pk, billing in billings.items()}
    percent = {
        pk
        for pk, billing in billings.items()
        if billing.model == BillingModel.FIXED_PRICE and billing.recognition == Recognition.PERCENT_COMPLETE
    }
    inputs = _gather([project.pk for project in projects], models, percent, as_of) if projects else {}
    answers = []
    for project in projects:
        billing, cost = billings[project.pk], costs[project.pk]
        revenue, contract, this_month = _revenue(project, billing, inputs.get(project.pk, _Inputs()), cost.bac, as_of)
        answers.append(
            ProjectMargin(
                project=project,
                model=billing.model,
                contract_value=contract,
                revenue=revenue,
                to_date=rv.margin(revenue=revenue.total, cost=cost.ac),
                eac=cost.eac,
                forecast=rv.margin(revenue=contract, cost=cost.eac) if contract is not None else None,
                target=project.client.margin_target_percent if project.client is not None else None,
                retainer=this_month,
            )
        )
    return answers


def project_margin(*, project: Project, as_of: dt.date) -> ProjectMargin:
    """:func:`project_margins` of one project."""
    (answer,) = project_margins(projects=Project.objects.filter(pk=project.pk), as_of=as_of)
    return answer


@dataclass(frozen=True)
class Totals:
    """Margins added up per currency: ``revenue``, ``cost``, ``contract`` and ``eac`` (money) of the projects
    counted, their margin to date and forecast; ``projects`` how many."""

    currency: str
    projects: int
    to_date: rv.Margin
    forecast: rv.Margin


def totals(margins: Iterable[ProjectMargin]) -> list[Totals]:
    """``margins`` added up per currency (in the order the currencies first appear). A project without a contract
    value adds its revenue to date to the forecast (what it has earned is all it is sure to)."""
    sums: dict[str, list[Decimal]] = {}
    counts: dict[str, int] = defaultdict(int)
    for item in margins:
        currency = item.project.currency
        revenue, cost, contract, eac = sums.setdefault(currency, [ZERO, ZERO, ZERO, ZERO])
        sums[currency] = [
            revenue + item.revenue.total,
            cost + item.to_date.cost,
            contract + item.forecast_revenue,
            eac + item.eac,
        ]
        counts[currency] += 1
    return [
        Totals(
            currency=currency,
            projects=counts[currency],
            to_date=rv.margin(revenue=revenue, cost=cost),
            forecast=rv.margin(revenue=contract, cost=eac),
        )
        for currency, (revenue, cost, contract, eac) in sums.items()
    ]


def percent_text(value: Decimal | None) -> str:
    """A percent as the pages write it, two places at most and no trailing zeros: ``Decimal("36.5")`` ->
    ``"36.5%"``, ``Decimal("40.00")`` -> ``"40%"`` (as ``floatformat:"-2"``); ``"—"`` for None."""
    return "—" if value is None else f"{value.quantize(Decimal('0.01')).normalize():f}%"


# --- Month by month ------------------------------------------------------------------------------------------------

#: How many months the month-by-month tables show, the month of the date asked included.
MONTHS_SHOWN = 12


def last_months(as_of: dt.date, count: int = MONTHS_SHOWN) -> list[dt.date]:
    """The first days of the ``count`` months up to ``as_of``'s, oldest first."""
    months = [rv.month_of(as_of)]
    while len(months) < count:
        months.insert(0, rv.month_of(months[0] - dt.timedelta(days=1)))
    return months


def _approved_only(project: Project) -> bool:
    """Whether ``project``'s actual cost reads approved time only (its budget loaded, else one query)."""
    try:
        return project.budget.cost_basis == CostBasis.APPROVED
    except ProjectBudget.DoesNotExist:
        return False


def cost_by_month(*, projects: Sequence[Project], since: dt.date, until: dt.date) -> dict[int, dict[dt.date, Decimal]]:
    """Actual cost of ``projects`` month by month, dated from ``since`` to ``until`` (both included): by project
    id, the first day of a month -> money in the project's currency (months without cost left out).

    Cost is counted as actual cost (AC) counts it: the stored cost of the time
    that ``projects.budget.selectors.counted_time`` counts (all time logged,
    or approved time only when the project's budget says so), plus expenses,
    billable or not. Two queries whatever the number of projects (time,
    expenses); none without projects. ``projects`` with their budget loaded
    (``select_related("budget")``, as :func:`project_margins` loads them).
    """
    if not projects:
        return {}
    approved = {project.pk for project in projects if _approved_only(project)}
    every = [project.pk for project in projects if project.pk not in approved]
    counted = Q()
    if every:
        counted |= Q(project_id__in=every)
    if approved:
        counted |= Q(project_id__in=sorted(approved), approval=Approval.APPROVED)
    found: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    dated = {"date__gte": since, "date__lte": until}
    for rows in (
        TimeEntry.objects.filter(counted, **dated)
        .annotate(month=TruncMonth("date"))
        .values("project_id", "month")
        .order_by()
        .annotate(total=Sum("cost")),
        Expense.objects.filter(project_id__in=[project.pk for project in projects], **dated)
        .annotate(month=TruncMonth("date"))
        .values("project_id", "month")
        .order_by()
        .annotate(total=Sum("amount")),
    ):
        for row in rows:
            found[row["project_id"]][_day(row["month"])] += row["total"] or ZERO
    return {pk: {month: evm.money(total) for month, total in months.items()} for pk, months in found.items()}


@dataclass(frozen=True)
class MonthMargin:
    """One month's revenue recognised, cost and margin (``figures``: money in ``currency``)."""

    month: dt.date
    currency: str
    figures: rv.Margin


def by_month(
    margins: Iterable[ProjectMargin], costs: Mapping[int, Mapping[dt.date, Decimal]], months: Sequence[dt.date]
) -> dict[str, list[MonthMargin]]:
    """Revenue (``ProjectMargin.revenue.by_month``), cost (``costs``, as :func:`cost_by_month` gives it) and
    margin of ``margins`` added up per currency for each of ``months`` (first days, in their order): currency
    -> one :class:`MonthMargin` a month. No query."""
    sums: dict[str, dict[dt.date, list[Decimal]]] = {}
    for item in margins:
        per_month = sums.setdefault(item.project.currency, {month: [ZERO, ZERO] for month in months})
        spent = costs.get(item.project.pk, {})
        for month in months:
            per_month[month][0] += item.revenue.by_month.get(month, ZERO)
            per_month[month][1] += spent.get(month, ZERO)
    return {
        currency: [
            MonthMargin(month=month, currency=currency, figures=rv.margin(revenue=revenue, cost=cost))
            for month, (revenue, cost) in per_month.items()
        ]
        for currency, per_month in sums.items()
    }


def from_first_active(months: Sequence[MonthMargin]) -> list[MonthMargin]:
    """``months`` from the first with any revenue or cost (none when every month is empty): a project begun
    in February reads from February, not from eleven empty months before it."""
    for index, month in enumerate(months):
        if month.figures.revenue or month.figures.cost:
            return list(months[index:])
    return []


def monthly(*, margins: Sequence[ProjectMargin], as_of: dt.date) -> dict[str, list[MonthMargin]]:
    """:func:`by_month` of ``margins`` for the :data:`MONTHS_SHOWN` months to ``as_of``'s (costs read by
    :func:`cost_by_month`: two queries whatever the number of projects)."""
    months = last_months(as_of)
    costs = cost_by_month(projects=[item.project for item in margins], since=months[0], until=as_of)
    return by_month(margins, costs, months)


@dataclass(frozen=True)
class Account:
    """A client's account as one user may see it: ``margins`` of its projects (by code), their ``totals`` per
    currency and ``months`` (:func:`monthly`, per currency, each from its first month with any revenue or cost:
    :func:`from_first_active`)."""

    margins: list[ProjectMargin]
    totals: list[Totals]
    months: dict[str, list[MonthMargin]]


def client_account(*, projects: QuerySet[Project], as_of: dt.date) -> Account:
    """The account of the client whose projects are ``projects`` (already limited to those whose margin the user
    may see) as of ``as_of``: eight queries at most whatever their number (:func:`project_margins`,
    :func:`cost_by_month`)."""
    margins = project_margins(projects=projects, as_of=as_of)
    months = {currency: from_first_active(rows) for currency, rows in monthly(margins=margins, as_of=as_of).items()}
    return Account(margins=margins, totals=totals(margins), months=months)
