"""Contingency drawdown: the PM asks to move reserve money into a budget line, a head decides; or an approved change
request is funded from the reserve."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import User
from apm.errors import Refused
from apm.formatting import format_money
from projects.budget import evm
from projects.budget.services.events import budget_event_record
from projects.budget.services.notifications import budget_notify
from projects.budget.services.plan import budget_get, budget_line_add
from projects.models import BudgetLine, ContingencyRequest, ContingencyState, CostCategory, Project, ProjectBudget


def contingency_request(
    *, project: Project, amount: Decimal, category: str, reason: str, actor: User
) -> ContingencyRequest:
    """The PM asks to move ``amount`` (money > 0, at most the reserve) into a ``category`` line.

    Raises ``Refused`` unless ``actor`` is the PM (or an administrator), and
    for a bad amount (zero or less, more than the reserve, or more digits
    than money holds), category or empty reason. Changes no budget.
    """
    access.edit_budget.require(actor, project, "Only the project manager may request contingency.")
    amount = evm.money(amount)
    if amount <= 0:
        raise Refused("Ask for more than zero.")
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    if not reason.strip():
        raise Refused("Give a reason for the drawdown.")
    # Read, not get_or_create: a refused request must leave no row behind (the defaults have no reserve).
    budget = ProjectBudget.objects.filter(project=project).first() or ProjectBudget(project=project)
    if amount > budget.contingency_reserve:
        raise Refused(f"Only {budget.contingency_reserve} {project.currency} is left in the contingency reserve.")
    with transaction.atomic():
        request = validation.create(
            ContingencyRequest,
            project=project,
            amount=amount,
            category=category,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=timezone.now(),
        )
        budget_event_record(
            project=project, actor=actor, action="contingency_requested", request=request.pk, amount=amount
        )
    return request


def contingency_decide(
    *, request: ContingencyRequest, approve: bool, note: str = "", actor: User
) -> ContingencyRequest:
    """A department head approves or rejects a pending request; only approval changes the budget.

    Approval, in one transaction with the budget row locked: the reserve goes
    down by the amount and a budget line of the requested category goes up
    by it (so BAC rises by it), with the audit entry. Raises ``Refused``
    unless ``actor`` may decide (``access.decide_as_head``), when ``actor``
    requested it or manages the project (administrators excepted), when the
    request is no longer pending or the reserve is now too small.
    The PM is emailed the decision.
    """
    project = request.project
    access.decide_as_head.require(
        actor, project, "Only a head of the project's departments or a reporting head may decide."
    )
    if not access.administer.allows(actor) and actor.pk in (request.requested_by_id, project.project_manager_id):
        # Separation of duties: the PM who asked for the money does not approve it.
        raise Refused("You asked for this money or manage the project: another head must decide.")
    with transaction.atomic():
        locked = ContingencyRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ContingencyState.PENDING:
            raise Refused(f"This request was already {locked.get_state_display().lower()}.")
        budget_get(project=project)
        budget = ProjectBudget.objects.select_for_update().get(project=project)
        if approve:
            if locked.amount > budget.contingency_reserve:
                raise Refused(
                    f"Only {format_money(budget.contingency_reserve, project.currency)} is left in the reserve; "
                    "cannot approve."
                )
            budget.contingency_reserve = evm.money(budget.contingency_reserve - locked.amount)
            budget.save(update_fields=["contingency_reserve", "updated_at"])
            # New money for the plan: BAC rises by it, also where a typed BAC has no lines yet.
            budget_line_add(
                project=project,
                category=locked.category,
                amount=locked.amount,
                description=f"Contingency drawdown #{locked.pk}",
                actor=actor,
                from_unallocated=False,
            )
            project.refresh_from_db(fields=["bac"])
            bac = project.bac
        locked.state = ContingencyState.APPROVED if approve else ContingencyState.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note.strip()
        fields = ["state", "decided_by", "decided_at", "decision_note"]
        validation.clean(locked, fields=fields)
        locked.save(update_fields=fields)
        budget_event_record(
            project=project,
            actor=actor,
            action="contingency_approved" if approve else "contingency_rejected",
            request=locked.pk,
            amount=locked.amount,
            reserve_left=budget.contingency_reserve,
            **({"bac": bac} if approve else {}),
        )
        requester = locked.requested_by
        if requester is not None and requester.email:
            budget_notify(
                project=project, template="contingency-decided", context={"request": locked}, to=[requester.email]
            )
    return locked


def contingency_fund_change(
    *, project: Project, amount: Decimal, category: str, description: str, change_reference: str, actor: User | None
) -> BudgetLine:
    """Fund an approved change request's cost from the contingency reserve: returns its new budget line.

    As with an approved drawdown, the reserve goes down by ``amount`` (money
    > 0) and a ``category`` line goes up by it, so BAC rises by it and BAC
    plus the reserve stays the same; audited as ``contingency_used`` naming
    ``change_reference``. The caller has the approval (the change request's
    decision). Raises ``Refused`` when the reserve holds less than
    ``amount``; nothing is written then.
    """
    amount = evm.money(amount)
    with transaction.atomic():
        budget_get(project=project)
        budget = ProjectBudget.objects.select_for_update().get(project=project)
        if amount > budget.contingency_reserve:
            raise Refused(
                f"The contingency reserve holds only {format_money(budget.contingency_reserve, project.currency)}; "
                f"it cannot fund {format_money(amount, project.currency)}."
            )
        budget.contingency_reserve = evm.money(budget.contingency_reserve - amount)
        budget.save(update_fields=["contingency_reserve", "updated_at"])
        line = budget_line_add(
            project=project,
            category=category,
            amount=amount,
            description=description,
            actor=actor,
            from_unallocated=False,
        )
        budget_event_record(
            project=project,
            actor=actor,
            action="contingency_used",
            change=change_reference,
            amount=amount,
            reserve_left=budget.contingency_reserve,
            bac=project.bac,
        )
    return line
