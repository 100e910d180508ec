"""What a draft invoice bills: the lines a client's work of a period makes, before they are written. Reads only.

Each project bills as its billing model earns (``projects.billing.revenue``),
only what no issued invoice has claimed (``InvoiceItem.claimed``):

* time and materials: approved billable time at the bill rate and amount
  stored on each entry, a line per project, role and rate
  (``Grouping.ROLE``; "Developer, 2 Mar 2026 to 3 Mar 2026") or a line per
  entry (``Grouping.ITEMISED``); billable expenses a line each, marked up by
  the project's expense markup (``money(amount x (1 + markup / 100))``);
* fixed price: billing milestones that fell due in the period (a date, or a
  deliverable's acceptance on its local day: ``margin.falls_due``);
* retainer: each month whose last day is in the period, billed in arrears:
  its fee (the month's approved billable time goes with it as its items)
  and its overage hours at the overage rate (``revenue.retainer_months``
  over every approved billable hour up to the period's end, so rollover
  counts).

A line's net is its quantity x unit price rounded once, the arithmetic the
client checks: a line of several entries may differ by a cent from the sum of
their stored amounts, which revenue adds up.

Amounts are in the currency the work was priced in (a time entry's, an
expense's, the project's); the service converts them. What cannot be billed
is said in words (``left_out``), never billed at nothing: approved billable
hours without a bill rate, overage without an overage rate. A time and
materials project's not-to-exceed amount is not applied here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from apm.formatting import format_date, format_month
from projects.billing import revenue as rv
from projects.billing.margin import billing_of, falls_due, retainer_terms
from projects.budget.evm import HUNDRED, ZERO, money
from projects.models import (
    Approval,
    BillingMilestone,
    BillingModel,
    Expense,
    Grouping,
    InvoiceItem,
    LineKind,
    Project,
    RetainerPart,
    TimeEntry,
)

#: The order of a project's lines on an invoice.
KIND_ORDER = {
    LineKind.RETAINER_FEE: 0,
    LineKind.OVERAGE: 1,
    LineKind.MILESTONE: 2,
    LineKind.TIME: 3,
    LineKind.EXPENSE: 4,
    LineKind.OTHER: 5,
}


def _day(value: dt.date) -> str:
    return format_date(value)


def _percent_text(value: Decimal) -> str:
    """``Decimal("10.00")`` -> ``"10"``, ``Decimal("7.50")`` -> ``"7.5"``."""
    return f"{value.normalize():f}"


@dataclass
class DraftItem:
    """What one :class:`InvoiceItem` will hold."""

    time_entry: TimeEntry | None = None
    expense: Expense | None = None
    milestone: BillingMilestone | None = None
    retainer_project: Project | None = None
    retainer_month: dt.date | None = None
    retainer_part: str = ""
    quantity: Decimal | None = None
    amount: Decimal | None = None


@dataclass
class DraftLine:
    """A line to be written: ``quantity`` ``unit`` at ``unit_price`` in ``currency`` (the currency the work was priced
    in: the time entry's, the expense's, the project's; the service converts it), billing ``items``; ``order`` sorts
    it among the invoice's lines."""

    kind: str
    project: Project
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    items: list[DraftItem] = field(default_factory=list)
    order: tuple[object, ...] = ()


def _role_title(entry: TimeEntry) -> str:
    role = entry.member.job_role
    return role.title if role is not None else "Time"


def _time_lines(
    projects: list[Project], start: dt.date, end: dt.date, grouping: str
) -> tuple[list[DraftLine], list[str]]:
    """Lines of the approved billable time of ``projects`` (time and materials) dated in the period and on no issued
    invoice, and what was left out (hours without a bill rate)."""
    entries = (
        TimeEntry.objects.filter(
            project__in=projects, approval=Approval.APPROVED, billable=True, date__gte=start, date__lte=end
        )
        .exclude(invoice_items__claimed=True)
        .select_related("project", "member__job_role")
        .order_by("project__code", "date", "member__name", "pk")
    )
    lines: list[DraftLine] = []
    groups: dict[tuple[int, int | None, Decimal, str], list[TimeEntry]] = defaultdict(list)
    unpriced: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        if entry.bill_rate is None or entry.bill_amount is None:
            unpriced[entry.project.code] += entry.hours
            continue
        if grouping == Grouping.ITEMISED:
            note = f": {entry.note}" if entry.note else ""
            lines.append(
                DraftLine(
                    kind=LineKind.TIME,
                    project=entry.project,
                    description=f"{entry.project.code}: {_day(entry.date)}, {entry.member.name} "
                    f"({_role_title(entry)}){note}",
                    quantity=entry.hours,
                    unit="hours",
                    unit_price=entry.bill_rate,
                    currency=entry.currency,
                    items=[DraftItem(time_entry=entry, quantity=entry.hours, amount=entry.bill_amount)],
                    order=(entry.project.code, KIND_ORDER[LineKind.TIME], entry.date, entry.member.name, entry.pk),
                )
            )
        else:
            groups[(entry.project_id, entry.member.job_role_id, entry.bill_rate, entry.currency)].append(entry)
    for (_, _, rate, currency), grouped in groups.items():
        first = grouped[0]
        days = sorted(entry.date for entry in grouped)
        span = _day(days[0]) if days[0] == days[-1] else f"{_day(days[0])} to {_day(days[-1])}"
        lines.append(
            DraftLine(
                kind=LineKind.TIME,
                project=first.project,
                description=f"{first.project.code} {first.project.name}: {_role_title(first)}, {span}",
                quantity=sum((entry.hours for entry in grouped), ZERO),
                unit="hours",
                unit_price=rate,
                currency=currency,
                items=[DraftItem(time_entry=e, quantity=e.hours, amount=e.bill_amount) for e in grouped],
                order=(first.project.code, KIND_ORDER[LineKind.TIME], _role_title(first), rate),
            )
        )
    left_out = [
        f"{code}: {hours:.2f} approved billable hours have no bill rate and are not on this invoice."
        for code, hours in sorted(unpriced.items())
    ]
    return lines, left_out


def _expense_lines(projects: list[Project], start: dt.date, end: dt.date) -> list[DraftLine]:
    """A line per billable expense of ``projects`` (time and materials) dated in the period and on no issued
    invoice, marked up by its project's markup."""
    expenses = (
        Expense.objects.filter(project__in=projects, billable=True, date__gte=start, date__lte=end)
        .exclude(invoice_items__claimed=True)
        .select_related("project")
        .order_by("project__code", "date", "pk")
    )
    markups = {project.pk: billing_of(project).expense_markup_percent for project in projects}
    lines = []
    for expense in expenses:
        markup = markups[expense.project_id]
        what = f"{expense.get_category_display()}, {expense.supplier}"
        if expense.description:
            what += f": {expense.description}"
        marked = f" (with {_percent_text(markup)} % markup)" if markup else ""
        lines.append(
            DraftLine(
                kind=LineKind.EXPENSE,
                project=expense.project,
                description=f"{expense.project.code}: {_day(expense.date)}, {what}{marked}",
                quantity=Decimal("1"),
                unit="item",
                unit_price=money(expense.amount * (1 + markup / HUNDRED)),
                currency=expense.currency,
                items=[DraftItem(expense=expense, quantity=Decimal("1"), amount=expense.amount)],
                order=(expense.project.code, KIND_ORDER[LineKind.EXPENSE], expense.date, expense.pk),
            )
        )
    return lines


def _milestone_lines(projects: list[Project], start: dt.date, end: dt.date) -> list[DraftLine]:
    """A line per billing milestone of ``projects`` (fixed price) that fell due in the period, on no issued
    invoice."""
    milestones = (
        BillingMilestone.objects.filter(project__in=projects)
        .exclude(invoice_items__claimed=True)
        .select_related("project", "deliverable")
        .order_by("project__code", "pk")
    )
    lines = []
    for milestone in milestones:
        due = falls_due(milestone)
        if due is None or not start <= due <= end:
            continue
        project = milestone.project
        lines.append(
            DraftLine(
                kind=LineKind.MILESTONE,
                project=project,
                description=f"{project.code} {project.name}: milestone “{milestone.name}”, due {_day(due)}",
                quantity=Decimal("1"),
                unit="item",
                unit_price=milestone.amount,
                currency=project.currency,
                items=[DraftItem(milestone=milestone, quantity=Decimal("1"), amount=milestone.amount)],
                order=(project.code, KIND_ORDER[LineKind.MILESTONE], due, milestone.pk),
            )
        )
    return lines


def _retainer_lines(projects: list[Project], start: dt.date, end: dt.date) -> tuple[list[DraftLine], list[str]]:
    """Each month of the retainers of ``projects`` whose last day is in the period and is on no issued invoice:
    its fee (with the month's approved billable time as its items) and its overage (``revenue.retainer_months``
    over every approved billable hour up to the period's end)."""
    if not projects:
        return [], []
    billed = InvoiceItem.objects.filter(time_entry=OuterRef("pk"), claimed=True)
    entries = (
        TimeEntry.objects.filter(project__in=projects, approval=Approval.APPROVED, billable=True, date__lte=end)
        .annotate(billed=Exists(billed))
        .order_by("date", "pk")
    )
    # Every approved hour counts against the months (rollover and overage); those not yet billed go with the fee.
    hours: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    open_entries: dict[tuple[int, dt.date], list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        hours[entry.project_id].append((entry.date, entry.hours))
        if not entry.billed:
            open_entries[(entry.project_id, rv.month_of(entry.date))].append(entry)
    claimed = set(
        InvoiceItem.objects.filter(claimed=True, retainer_project__in=projects).values_list(
            "retainer_project_id", "retainer_month", "retainer_part"
        )
    )
    lines: list[DraftLine] = []
    left_out: list[str] = []
    for project in projects:
        billing = billing_of(project)
        terms = retainer_terms(project, billing)
        for month in rv.retainer_months(terms=terms, hours=hours[project.pk], as_of=end):
            last_day = rv.next_month(month.month) - dt.timedelta(days=1)
            if not start <= last_day <= end:
                continue
            name = format_month(month.month)
            if (project.pk, month.month, RetainerPart.FEE) not in claimed:
                time = open_entries[(project.pk, month.month)]
                lines.append(
                    DraftLine(
                        kind=LineKind.RETAINER_FEE,
                        project=project,
                        description=f"{project.code} {project.name}: retainer, {name} "
                        f"({month.allowance:.2f} hours a month; {month.used:.2f} used)",
                        quantity=Decimal("1"),
                        unit="month",
                        unit_price=month.fee,
                        currency=project.currency,
                        items=[
                            DraftItem(
                                retainer_project=project,
                                retainer_month=month.month,
                                retainer_part=RetainerPart.FEE,
                                quantity=Decimal("1"),
                                amount=month.fee,
                            ),
                            *(DraftItem(time_entry=e, quantity=e.hours, amount=e.bill_amount) for e in time),
                        ],
                        order=(project.code, KIND_ORDER[LineKind.RETAINER_FEE], month.month),
                    )
                )
            if month.overage_hours <= 0 or (project.pk, month.month, RetainerPart.OVERAGE) in claimed:
                continue
            if billing.overage_rate is None:
                left_out.append(
                    f"{project.code}: {month.overage_hours:.2f} overage hours in {name} have no overage rate and are "
                    "not on this invoice."
                )
                continue
            lines.append(
                DraftLine(
                    kind=LineKind.OVERAGE,
                    project=project,
                    description=f"{project.code} {project.name}: overage beyond the retainer, {name}",
                    quantity=month.overage_hours,
                    unit="hours",
                    unit_price=billing.overage_rate,
                    currency=project.currency,
                    items=[
                        DraftItem(
                            retainer_project=project,
                            retainer_month=month.month,
                            retainer_part=RetainerPart.OVERAGE,
                            quantity=month.overage_hours,
                            amount=month.overage,
                        )
                    ],
                    order=(project.code, KIND_ORDER[LineKind.OVERAGE], month.month),
                )
            )
    return lines, left_out


def billable_lines(
    projects: Sequence[Project], *, start: dt.date, end: dt.date, grouping: str
) -> tuple[list[DraftLine], list[str]]:
    """The lines of ``projects``' work from ``start`` to ``end`` (both included) on no issued invoice, by project code
    then kind (retainer fee, overage, milestones, time, expenses), and what was left out, in words. ``projects``
    are loaded with their billing (``select_related("billing")``); ``grouping`` a ``Grouping`` value."""
    by_model: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        by_model[billing_of(project).model].append(project)
    tm = by_model[BillingModel.TIME_AND_MATERIALS]
    time, unpriced = _time_lines(tm, start, end, grouping)
    retainer, no_rate = _retainer_lines(by_model[BillingModel.RETAINER], start, end)
    lines = [
        *time,
        *_expense_lines(tm, start, end),
        *_milestone_lines(by_model[BillingModel.FIXED_PRICE], start, end),
        *retainer,
    ]
    return sorted(lines, key=lambda line: line.order), [*unpriced, *no_rate]


def invoices_holding(items: QuerySet[InvoiceItem]) -> tuple[list[str], bool]:
    """Where the billed ``items`` are: the numbers of the issued invoices that claim them, and whether any is on an
    invoice at all (a draft too)."""
    numbers = items.filter(claimed=True).values_list("line__invoice__number", flat=True).order_by().distinct()
    return sorted(number for number in numbers if number), items.exists()
