"""Writes of the budget as planned: its settings (reserve, tolerances), its lines (which make the BAC), baselines."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum

from apm import validation
from apm.errors import Refused
from apm.formatting import format_money
from projects.budget import evm, figures, selectors
from projects.budget.services.events import budget_event_record
from projects.models import Baseline, BudgetLine, CostCategory, Milestone, Project, ProjectBudget

if TYPE_CHECKING:
    from apm.accounts.models import User


def budget_get(*, project: Project) -> ProjectBudget:
    """The project's budget settings, created with the defaults on first use."""
    budget, _ = ProjectBudget.objects.get_or_create(project=project)
    return budget


def project_bac_sync(*, project: Project) -> Decimal:
    """Set ``Project.bac`` to the sum of its budget lines (so reports and lists agree); returns it."""
    total = evm.money(BudgetLine.objects.filter(project=project).aggregate(t=Sum("amount"))["t"] or 0)
    Project.objects.filter(pk=project.pk).update(bac=total)
    project.bac = total
    figures.refresh([project.pk])  # the forecast reads the BAC (an update sends no signal)
    return total


#: Description of the line that holds a BAC not yet split into lines.
UNALLOCATED_DESCRIPTION = "Not yet split into lines"


def unallocated_remainder(*, project: Project) -> Decimal:
    """The BAC not yet split into lines (money): the unallocated line, or the whole BAC of a project without lines."""
    lines = BudgetLine.objects.filter(project=project)
    if not lines.exists():
        return evm.money(Project.objects.filter(pk=project.pk).values_list("bac", flat=True).first() or 0)
    return evm.money(lines.filter(unallocated=True).aggregate(t=Sum("amount"))["t"] or 0)


def budget_line_add(
    *,
    project: Project,
    category: str,
    amount: Decimal,
    description: str = "",
    actor: User | None,
    from_unallocated: bool | None = None,
) -> BudgetLine:
    """Add a budget line (money >= 0); BAC stays the sum of the lines.

    A project whose BAC was set before it had lines (an imported whole-life
    cost, a BAC typed on the project form) keeps that BAC: the first line
    splits it, leaving the rest on an "unallocated" line. ``from_unallocated``
    says where the new line's money comes from: None (the budget page) takes
    it from the unallocated line until that is used up, and only the rest
    makes BAC grow; True takes all of it from there (BAC stays); False takes
    none (BAC rises by ``amount``: new money, or money moved in from the
    contingency reserve).

    Raises ``Refused`` for an unknown category, a negative amount or one the
    model refuses (more than 16 digits before the decimal point), a
    description over 200 characters, or (``from_unallocated=True``) an amount
    over the unallocated remainder; nothing is written then.
    """
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    amount = evm.money(amount)
    if amount < 0:
        raise Refused("A budget line cannot be negative.")
    line = BudgetLine(project=project, category=category, amount=amount, description=description)
    validation.clean(line)
    with transaction.atomic():
        lines = BudgetLine.objects.select_for_update().filter(project=project)
        prior_bac = Project.objects.filter(pk=project.pk).values_list("bac", flat=True).first() or Decimal("0")
        if not lines.exists() and prior_bac > 0:
            BudgetLine.objects.create(
                project=project,
                category=CostCategory.OTHER,
                amount=evm.money(prior_bac),
                description=UNALLOCATED_DESCRIPTION,
                unallocated=True,
            )
        pool = lines.filter(unallocated=True).first()
        if from_unallocated and amount > (pool.amount if pool else 0):
            held = pool.amount if pool else Decimal("0.00")
            raise Refused(
                f"The unallocated remainder holds only {format_money(held, project.currency)}; "
                f"it cannot fund {format_money(amount, project.currency)}."
            )
        if pool is not None and amount > 0 and from_unallocated is not False:
            taken = min(pool.amount, amount)
            pool.amount = evm.money(pool.amount - taken)
            if pool.amount > 0:
                pool.save(update_fields=["amount"])
            else:
                pool.delete()
        line.save(force_insert=True)
        bac = project_bac_sync(project=project)
        budget_event_record(
            project=project, actor=actor, action="line_added", category=category, amount=amount, bac=bac
        )
    return line


def budget_line_remove(*, line: BudgetLine, actor: User | None) -> Decimal:
    """Remove a budget line and set BAC to the sum of the remaining lines; returns the new BAC (money).

    Raises ``Refused`` when the line is no longer there (removed meanwhile, e.g.
    from another tab); nothing is written then.
    """
    project = line.project
    with transaction.atomic():
        locked = BudgetLine.objects.select_for_update().filter(pk=line.pk, project=project).first()
        if locked is None:
            raise Refused("This budget line was already removed.")
        detail = {"category": locked.category, "amount": locked.amount, "description": locked.description}
        locked.delete()
        bac = project_bac_sync(project=project)
        budget_event_record(project=project, actor=actor, action="line_removed", bac=bac, **detail)
    return bac


def budget_settings_update(
    *,
    project: Project,
    contingency_reserve: Decimal,
    cost_tolerance_percent: Decimal,
    time_tolerance_days: int,
    etc_bottom_up: Decimal | None,
    actor: User | None,
    cost_basis: str | None = None,
) -> ProjectBudget:
    """Set the contingency reserve, tolerances (± percent of BAC, ± days), bottom-up ETC and which time actual
    cost reads (``projects.models.CostBasis``; None or "" leaves it as it is); audited.

    Raises ``Refused`` for a negative value or one the model refuses (a cost
    tolerance over 100 %), changing nothing.
    """
    if contingency_reserve < 0 or cost_tolerance_percent < 0 or time_tolerance_days < 0:
        raise Refused("Reserve and tolerances cannot be negative.")
    with transaction.atomic():
        budget = budget_get(project=project)
        before = {
            "contingency_reserve": str(budget.contingency_reserve),
            "cost_tolerance_percent": str(budget.cost_tolerance_percent),
            "time_tolerance_days": budget.time_tolerance_days,
            "etc_bottom_up": None if budget.etc_bottom_up is None else str(budget.etc_bottom_up),
            "cost_basis": budget.cost_basis,
        }
        budget.contingency_reserve = evm.money(contingency_reserve)
        budget.cost_tolerance_percent = cost_tolerance_percent
        budget.time_tolerance_days = time_tolerance_days
        budget.etc_bottom_up = None if etc_bottom_up is None else evm.money(etc_bottom_up)
        if cost_basis:
            budget.cost_basis = cost_basis
        validation.clean(budget)
        budget.save()
        budget_event_record(
            project=project,
            actor=actor,
            action="settings_changed",
            before=before,
            contingency_reserve=budget.contingency_reserve,
            cost_tolerance_percent=budget.cost_tolerance_percent,
            time_tolerance_days=budget.time_tolerance_days,
            etc_bottom_up=budget.etc_bottom_up,
            cost_basis=budget.cost_basis,
        )
    return budget


def baseline_create(*, project: Project, reason: str, actor: User | None, change_reference: str = "") -> Baseline:
    """Snapshot the project's budget (lines, BAC, contingency) and dates as its new current baseline.

    The previous baseline stays, no longer current. Called by the PM, and by
    an approved change request (``change_reference`` names it). Raises
    ``Refused`` without a reason.
    """
    if not reason.strip():
        raise Refused("Say why the baseline is set.")
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        budget = budget_get(project=project)
        lines = list(BudgetLine.objects.filter(project=project).order_by("category", "pk"))
        milestones = list(Milestone.objects.filter(project=project).order_by("due_date", "pk"))
        last = Baseline.objects.filter(project=project).order_by("-number").first()
        Baseline.objects.filter(project=project, is_current=True).update(is_current=False)
        baseline = validation.create(
            Baseline,
            # A project with no budget lines or milestones yet has empty lists here, which the
            # fields (not blank=True) would refuse as blank; both are snapshots the code builds.
            exclude=["lines", "milestones"],
            project=project,
            number=(last.number + 1) if last else 1,
            is_current=True,
            reason=reason.strip()[:300],
            change_reference=change_reference,
            bac=selectors.project_bac(project, sum((line.amount for line in lines), Decimal("0"))),
            contingency_reserve=budget.contingency_reserve,
            currency=project.currency,
            start_date=project.start_date,
            end_date=project.end_date,
            lines=[{"category": x.category, "description": x.description, "amount": str(x.amount)} for x in lines],
            milestones=[
                {"name": m.name, "due_date": m.due_date.isoformat(), "weight": str(m.weight)} for m in milestones
            ],
            created_by=actor,
        )
        budget_event_record(
            project=project, actor=actor, action="baseline_set", number=baseline.number, bac=baseline.bac
        )
    return baseline


def baseline_compare(*, project: Project, baseline: Baseline) -> dict[str, Any]:
    """Current against ``baseline``: ``{"rows": [{label, baseline, current, change, kind}]}``.

    ``kind`` is "money" or "date"; ``change`` is money or days (current - baseline).
    """
    budget = budget_get(project=project)
    lines_total = BudgetLine.objects.filter(project=project).aggregate(t=Sum("amount"))["t"]
    current_bac = selectors.project_bac(project, lines_total)
    rows = [
        {"label": "BAC", "baseline": baseline.bac, "current": current_bac, "change": current_bac - baseline.bac},
        {
            "label": "Contingency reserve",
            "baseline": baseline.contingency_reserve,
            "current": budget.contingency_reserve,
            "change": budget.contingency_reserve - baseline.contingency_reserve,
        },
    ]
    for label, before, now in (
        ("Start", baseline.start_date, project.start_date),
        ("Finish", baseline.end_date, project.end_date),
    ):
        change = (now - before).days if before and now else None
        rows.append({"label": label, "baseline": before, "current": now, "change": change, "kind": "date"})
    for row in rows[:2]:
        row["kind"] = "money"
    return {"rows": rows}
