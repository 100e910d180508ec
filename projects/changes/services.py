"""Writes of change requests: draft, submit, withdraw, decide by side, apply once approved, implement.

Each state change goes through one function here: it checks the move
against ``workflow.CHANGE`` (:mod:`projects.common.workflow`) and saves
with :func:`~projects.common.history.history_save` (the model's own
validation, then the history entry with who and why). A refusal changes
nothing: ``apm.errors.Refused`` with a clear message, a ``TransitionError``
for a move the table does not allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apm import access, validation
from apm.errors import Refused
from apm.formatting import format_money
from projects.budget import evm
from projects.budget.services.contingency import contingency_fund_change
from projects.budget.services.plan import baseline_create, budget_line_add, unallocated_remainder
from projects.chat.announcements import announce_change_decision
from projects.common import workflow
from projects.common.history import history_save
from projects.delivery.services import deliverable_baseline_snapshot
from projects.models import (
    Approvers,
    ApproverSide,
    Baseline,
    ChangeApproval,
    ChangeFunding,
    ChangeRequest,
    ChangeStatus,
    CostCategory,
    Deliverable,
    DeliverableStatus,
    Project,
    ProjectBudget,
    RaisedBy,
)
from projects.models.changes import FUNDING_STATEMENTS
from projects.notifications.producers import change_request_submitted_notify

if TYPE_CHECKING:
    from apm.accounts.models import User


def change_request_create(
    *,
    project: Project,
    user: User,
    title: str,
    description: str,
    reason: str,
    raised_by: str = RaisedBy.TEAM,
    cost_impact: Decimal = Decimal("0"),
    cost_category: str = CostCategory.LABOUR,
    schedule_impact_days: int = 0,
    affected_deliverables: Iterable[Deliverable] = (),
    scope_impact: str = "",
    quality_impact: str = "",
    client_summary: str = "",
    approvers: str = Approvers.HEAD,
) -> ChangeRequest:
    """Write a draft change request numbered ``CR-<n>`` within the project.

    ``cost_impact`` is money (Decimal, project currency, 0 or more: a saving
    is made by editing budget lines). Raises ``Refused`` unless ``user``
    works on the project, and for bad input (an empty title, description or
    reason, a negative cost, an unknown raiser, approvers or category, a
    value the model refuses).
    """
    if not access.work_on_project.allows(user, project):
        raise Refused("You may not raise change requests on this project.")
    if not title.strip() or not description.strip() or not reason.strip():
        raise Refused("A change request needs a title, a description and a reason.")
    cost_impact = Decimal(cost_impact or 0)
    if cost_impact < 0:
        raise Refused("The cost impact is 0 or more; record a saving by editing the budget lines.")
    if (
        raised_by not in RaisedBy.values
        or approvers not in Approvers.values
        or cost_category not in CostCategory.values
    ):
        raise Refused("Unknown raiser, approvers or cost category.")
    if approvers in (Approvers.CLIENT, Approvers.BOTH) and project.client_id is None:
        raise Refused(f"{project.code} has no client to approve the change.")
    affected = list(affected_deliverables)
    if any(d.project_id != project.pk for d in affected):
        raise Refused("An affected deliverable belongs to another project.")
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        number = (ChangeRequest.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
        change = ChangeRequest(
            project=project,
            number=number,
            title=title.strip(),
            description=description.strip(),
            reason=reason.strip(),
            raised_by=raised_by,
            author=user,
            cost_impact=evm.money(cost_impact),
            cost_category=cost_category,
            schedule_impact_days=int(schedule_impact_days or 0),
            scope_impact=scope_impact,
            quality_impact=quality_impact,
            client_summary=client_summary,
            approvers=approvers,
        )
        history_save(change, user=user, reason="created")
        if affected:
            change.affected_deliverables.set(affected)
    return change


def _change_move(change: ChangeRequest, *, to: str, user: User) -> ChangeRequest:
    with transaction.atomic():
        locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        workflow.CHANGE.check(what=f"Change request {locked.reference}", current=locked.status, target=to)
        now = timezone.now()
        locked.status = to
        if to == ChangeStatus.SUBMITTED:
            locked.submitted_at = now
        if to == ChangeStatus.IMPLEMENTED:
            locked.implemented_at = now
        history_save(locked, user=user, reason=f"status: {ChangeStatus(to).label}")
    change.refresh_from_db()
    return change


def change_request_submit(*, change_request: ChangeRequest, user: User) -> ChangeRequest:
    """Draft -> submitted (the PM sends it for approval). Raises ``Refused`` (a TransitionError when not a draft)."""
    if not access.edit_project.allows(user, change_request.project):
        raise Refused("Only the project manager or a head submits change requests.")
    with transaction.atomic():
        moved = _change_move(change_request, to=ChangeStatus.SUBMITTED, user=user)
        change_request_submitted_notify(change_request=moved, actor=user)
    return moved


def change_request_withdraw(*, change_request: ChangeRequest, user: User) -> ChangeRequest:
    """Submitted -> draft, when nobody has decided yet. Raises ``Refused`` (a TransitionError when not submitted)."""
    if not access.edit_project.allows(user, change_request.project):
        raise Refused("Only the project manager or a head withdraws change requests.")
    if change_request.approvals.exists():
        raise Refused(f"{change_request.reference} already has a decision; it cannot be withdrawn.")
    return _change_move(change_request, to=ChangeStatus.DRAFT, user=user)


def change_request_implement(*, change_request: ChangeRequest, user: User) -> ChangeRequest:
    """Approved -> implemented (the PM says it is done). Raises ``Refused`` (a TransitionError when not approved)."""
    if not access.edit_project.allows(user, change_request.project):
        raise Refused("Only the project manager or a head marks change requests implemented.")
    return _change_move(change_request, to=ChangeStatus.IMPLEMENTED, user=user)


def approver_side(*, user: User, change_request: ChangeRequest) -> str | None:
    """The side ``user`` decides for: "client" for a contact of the project's client, "head" for a
    reporting head, a head of its departments or an administrator. None when the user is neither.

    Nobody inside the company decides for the client, administrators included:
    a change that needs the client's approval waits for a client contact.
    """
    project = change_request.project
    if access.decide_for_client.allows(user, project):
        return ApproverSide.CLIENT
    if access.decide_as_head.allows(user, project):
        return ApproverSide.HEAD
    return None


def _funding_shortfall(change: ChangeRequest, funding: str) -> str:
    """Why ``funding`` cannot pay for ``change``'s cost impact now ("" when it can), with the figures."""
    if change.cost_impact <= 0 or funding == ChangeFunding.BUDGET:
        return ""
    project = change.project
    if funding == ChangeFunding.CONTINGENCY:
        budget = ProjectBudget.objects.filter(project=project).first()
        available, source = (budget.contingency_reserve if budget else Decimal("0.00")), "contingency reserve"
    else:
        available, source = unallocated_remainder(project=project), "unallocated remainder"
    if change.cost_impact <= available:
        return ""
    return (
        f"The {source} holds only {format_money(available, project.currency)}; it cannot fund the "
        f"{format_money(change.cost_impact, project.currency)} of {change.reference}. "
        "Choose another source or raise the budget."
    )


def _apply_change(change: ChangeRequest, *, user: User, funding: str) -> dict[str, Any]:
    """Apply an approved change: its cost funded as ``funding`` says, dates, then a new baseline (the old one stays)."""
    project = Project.objects.select_for_update().get(pk=change.project_id)
    previous = Baseline.objects.filter(project=project, is_current=True).first()
    applied: dict[str, Any] = {"previous_baseline": previous.number if previous else None}
    if change.cost_impact > 0:
        description = f"{change.reference}: {change.title}"[:200]
        if funding == ChangeFunding.CONTINGENCY:
            line = contingency_fund_change(
                project=project,
                amount=change.cost_impact,
                category=change.cost_category,
                description=description,
                change_reference=change.reference,
                actor=user,
            )
        else:
            line = budget_line_add(
                project=project,
                category=change.cost_category,
                amount=change.cost_impact,
                description=description,
                actor=user,
                from_unallocated=funding == ChangeFunding.REMAINDER,
            )
        applied["budget_line"] = line.pk
        applied["cost_impact"] = str(change.cost_impact)
        applied["funding"] = funding
    days = change.schedule_impact_days
    if days:
        shift = dt.timedelta(days=days)
        if project.end_date:
            applied["end_date"] = [project.end_date.isoformat(), (project.end_date + shift).isoformat()]
            project.end_date += shift
            Project.objects.filter(pk=project.pk).update(end_date=project.end_date)
        moved = []
        for item in change.affected_deliverables.all():
            if item.status == DeliverableStatus.ACCEPTED:
                continue
            old = item.due_date
            item.due_date = old + shift
            if item.start_date and item.start_date > item.due_date:
                item.start_date = item.due_date
            history_save(item, user=user, reason=f"{change.reference} approved")
            moved.append({"id": item.pk, "name": item.name, "from": old.isoformat(), "to": item.due_date.isoformat()})
        applied["deliverables"] = moved
    baseline = baseline_create(
        project=project,
        reason=f"{change.reference} approved: {change.title}",
        actor=user,
        change_reference=change.reference,
    )
    deliverable_baseline_snapshot(project=project, baseline=baseline)
    applied["baseline"] = baseline.number
    change.baseline = baseline
    return applied


def change_request_decide(
    *,
    change_request: ChangeRequest,
    user: User,
    approve: bool,
    comment: str,
    funding: str = ChangeFunding.BUDGET,
) -> ChangeRequest:
    """The approver side of ``user`` (department head, client contact, administrator) decides.

    A rejection by any required side rejects the change and changes nothing
    else. Approval is recorded per side; once every required side
    (``change_request.approvers``) approved, the change is applied in the
    same transaction: its cost impact becomes a budget line funded as the
    head side chose (``funding``, a ``ChangeFunding``: by default new money,
    so BAC rises by it; or from the contingency reserve, which falls by it;
    or from the unallocated remainder, so BAC stays), the project's finish
    and the affected deliverables move by ``schedule_impact_days``, and a new
    baseline is set through ``projects.budget.services.plan.baseline_create``
    (the old one is kept, no longer current) with the deliverables' dates.
    The funding is kept in ``applied["funding"]`` and named in the history.
    Raises ``Refused`` when the user decides for no side or a side this
    change does not need, when it is not submitted, the side already decided,
    a rejection has no comment, the client side names a funding, or the
    chosen source holds less than the cost impact; nothing changes then.
    """
    side = approver_side(user=user, change_request=change_request)
    if side is None:
        raise Refused("Only a department head, a client contact or an administrator decides changes.")
    if side not in change_request.required_sides:
        needed = change_request.get_approvers_display().lower()
        raise Refused(f"{change_request.reference} needs the approval of: {needed}.")
    project = change_request.project
    if (
        side == ApproverSide.HEAD
        and not access.administer.allows(user)
        and user.pk in (change_request.author_id, project.project_manager_id)
    ):
        # Separation of duties: whoever raised the change or runs the project does not approve it.
        raise Refused(f"You raised {change_request.reference} or manage the project: another head must decide it.")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Refused("Say why the change is rejected.")
    if funding not in ChangeFunding.values:
        raise Refused(f"Unknown funding {funding!r}.")
    if side == ApproverSide.CLIENT and funding != ChangeFunding.BUDGET:
        raise Refused("Only the company side chooses how a change's cost is funded.")
    if approve and side == ApproverSide.HEAD and (shortfall := _funding_shortfall(change_request, funding)):
        raise Refused(shortfall)
    with transaction.atomic():
        locked = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if locked.status != ChangeStatus.SUBMITTED:
            raise Refused(
                f"{locked.reference} is {locked.get_status_display().lower()}; only a submitted change is decided."
            )
        if locked.approvals.filter(side=side).exists():
            raise Refused(f"The {ApproverSide(side).label.lower()} side already decided {locked.reference}.")
        now = timezone.now()
        validation.create(
            ChangeApproval, change_request=locked, side=side, user=user, approved=approve, comment=comment, at=now
        )
        if not approve:
            workflow.CHANGE.check(
                what=f"Change request {locked.reference}", current=locked.status, target=ChangeStatus.REJECTED
            )
            locked.status, locked.decided_at = ChangeStatus.REJECTED, now
            history_save(locked, user=user, reason=f"rejected by {side}")
            announce_change_decision(change_request=locked)
        else:
            if side == ApproverSide.HEAD and locked.cost_impact > 0:
                locked.applied = {"funding": funding}  # the head side's choice, until the change is applied
            chosen = locked.applied.get("funding", ChangeFunding.BUDGET)
            approved_sides = set(locked.approvals.filter(approved=True).values_list("side", flat=True))
            if set(locked.required_sides) <= approved_sides:
                # The figures are internal: the client is told only that it cannot be applied yet.
                not_yet = f"{locked.reference} cannot be applied yet: its funding needs another look by the company."
                if side == ApproverSide.CLIENT and _funding_shortfall(locked, chosen):
                    raise Refused(not_yet)
                try:
                    locked.applied = _apply_change(locked, user=user, funding=chosen)
                except Refused as exc:
                    # The reserve or remainder can shrink between the check and the locks of the budget rows.
                    if side == ApproverSide.CLIENT:
                        raise Refused(not_yet) from exc
                    raise
                locked.status, locked.decided_at = ChangeStatus.APPROVED, now
                funded = f"; {FUNDING_STATEMENTS[ChangeFunding(chosen)]}" if locked.cost_impact > 0 else ""
                history_save(locked, user=user, reason=f"approved{funded}; baseline {locked.applied['baseline']}")
                announce_change_decision(change_request=locked)
            else:
                history_save(locked, user=user, reason=f"approved by {side}; awaiting the other side")
    change_request.refresh_from_db()
    return change_request
