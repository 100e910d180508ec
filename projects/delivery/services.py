"""Writes of deliverables, client sign-off and change requests (one function per state change).

Each state change goes through one function here that checks the
transition against the table in :mod:`projects.delivery.workflow`, writes
the change with django-simple-history recording who and why, and changes
nothing when it refuses: ``apm.errors.Refused`` with a clear message, when
the user may not act too (a ``TransitionError``, one kind of Refused, for a
move the workflow table does not allow). Every write runs the model's own
validation first (``apm.validation``), so a value the model would not hold
(too long, not a choice, out of range) is refused in words as well.

Quality reviews are in :mod:`projects.delivery.quality_services`, the RAID
log in :mod:`projects.delivery.raid_services`.
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
from projects.budget import services as budget_services
from projects.delivery import workflow
from projects.models import (
    Approvers,
    ApproverSide,
    Baseline,
    ChangeApproval,
    ChangeRequest,
    ChangeStatus,
    CostCategory,
    Deliverable,
    DeliverableBaseline,
    DeliverableStatus,
    Milestone,
    NonConformance,
    NonConformanceStatus,
    Project,
    RaisedBy,
    SignOffOverride,
)

if TYPE_CHECKING:
    from apm.accounts.models import User


def _save(obj, *, user: User | None, reason: str, fields: list[str] | None = None) -> None:
    """Validate ``obj`` (``apm.validation.clean``: only ``fields`` when given), then save it with the
    history entry stamped with ``user`` and ``reason``. Raises ``Refused`` for a value the model refuses."""
    validation.clean(obj, fields=fields)
    obj._history_user = user
    obj._change_reason = reason[:100]
    if fields is None:
        obj.save()
    else:
        obj.save(update_fields=fields)


def _criteria(value: Iterable[str] | str) -> list[str]:
    lines = value.splitlines() if isinstance(value, str) else list(value)
    return [line.strip() for line in lines if line and line.strip()]


# --- Deliverables -----------------------------------------------------------------------


def _check_dates(start: dt.date | None, due: dt.date) -> None:
    if due is None:
        raise Refused("A deliverable needs a due date.")
    if start is not None and start > due:
        raise Refused(f"The start ({start:%d %b %Y}) is after the due date ({due:%d %b %Y}).")


def _check_dependencies(deliverable: Deliverable | None, project: Project, depends_on: Iterable[Deliverable]) -> list:
    deps = list(depends_on)
    for dep in deps:
        if dep.project_id != project.pk:
            raise Refused(f"{dep} belongs to another project.")
        if deliverable is not None and dep.pk == deliverable.pk:
            raise Refused("A deliverable cannot depend on itself.")
    if deliverable is not None and deps:
        # Refuse cycles: walk what the new dependencies depend on.
        seen, frontier = set(), {d.pk for d in deps}
        while frontier:
            if deliverable.pk in frontier:
                raise Refused("These dependencies would make a loop (a deliverable waiting on itself).")
            seen |= frontier
            frontier = (
                set(
                    Deliverable.depends_on.through.objects.filter(from_deliverable_id__in=frontier).values_list(
                        "to_deliverable_id", flat=True
                    )
                )
                - seen
            )
    return deps


def deliverable_create(
    *,
    project: Project,
    user: User,
    name: str,
    due_date: dt.date,
    description: str = "",
    owner: User | None = None,
    milestone: Milestone | None = None,
    start_date: dt.date | None = None,
    acceptance_criteria: Iterable[str] | str = (),
    depends_on: Iterable[Deliverable] = (),
    percent_complete: int = 0,
) -> Deliverable:
    """Add a deliverable (status not started). ``acceptance_criteria``: a list or one criterion per line.

    ``percent_complete`` is a whole percent 0-100 (default 0).
    Raises ``Refused`` unless ``user`` manages the project, and for a
    missing name, reversed dates, a percent outside 0-100, a milestone or
    dependency of another project, or a value the model refuses (a name over
    300 characters).
    """
    if not access.edit_project.allows(user, project):
        raise Refused("Only the project manager, a head of its departments or an administrator may add.")
    if not name.strip():
        raise Refused("Give the deliverable a name.")
    if percent_complete is None or not 0 <= int(percent_complete) <= 100:
        raise Refused("Percent complete is a whole number from 0 to 100.")
    _check_dates(start_date, due_date)
    if milestone is not None and milestone.project_id != project.pk:
        raise Refused("That milestone belongs to another project.")
    deps = _check_dependencies(None, project, depends_on)
    with transaction.atomic():
        item = Deliverable(
            project=project,
            name=name.strip(),
            description=description,
            owner=owner,
            milestone=milestone,
            start_date=start_date,
            due_date=due_date,
            percent_complete=percent_complete,
            acceptance_criteria=_criteria(acceptance_criteria),
        )
        _save(item, user=user, reason="created")
        if deps:
            item.depends_on.set(deps)
    return item


EDITABLE_FIELDS = ("name", "description", "owner", "milestone", "start_date", "due_date", "percent_complete")


def deliverable_update(*, deliverable: Deliverable, user: User, **changes: Any) -> Deliverable:
    """Change the plain fields of a deliverable (not its status or sign-off); history kept.

    ``changes`` may hold any of ``EDITABLE_FIELDS``, ``acceptance_criteria``
    and ``depends_on``. Team members may change ``percent_complete`` only.
    An accepted deliverable is final. Raises ``Refused`` (who may not
    change it, an accepted deliverable, bad values), changing nothing.
    """
    project = deliverable.project
    managing = access.edit_project.allows(user, project)
    if not managing and not (access.work_on_project.allows(user, project) and set(changes) <= {"percent_complete"}):
        raise Refused("You may not change this deliverable.")
    if deliverable.status == DeliverableStatus.ACCEPTED:
        raise Refused("This deliverable was accepted by the client: it is final and cannot change.")
    unknown = set(changes) - {*EDITABLE_FIELDS, "acceptance_criteria", "depends_on"}
    if unknown:
        raise Refused(f"Cannot change {', '.join(sorted(unknown))} here.")
    pct = changes.get("percent_complete", deliverable.percent_complete)
    if pct is None or not 0 <= int(pct) <= 100:
        raise Refused("Percent complete is a whole number from 0 to 100.")
    if "name" in changes and not str(changes["name"]).strip():
        raise Refused("Give the deliverable a name.")
    _check_dates(changes.get("start_date", deliverable.start_date), changes.get("due_date", deliverable.due_date))
    milestone = changes.get("milestone", deliverable.milestone)
    if milestone is not None and milestone.project_id != project.pk:
        raise Refused("That milestone belongs to another project.")
    deps = _check_dependencies(deliverable, project, changes["depends_on"]) if "depends_on" in changes else None
    with transaction.atomic():
        for field in EDITABLE_FIELDS:
            if field in changes:
                setattr(deliverable, field, changes[field])
        if "acceptance_criteria" in changes:
            deliverable.acceptance_criteria = _criteria(changes["acceptance_criteria"])
        _save(deliverable, user=user, reason="edited")
        if deps is not None:
            deliverable.depends_on.set(deps)
    return deliverable


def open_non_conformances(*, deliverable: Deliverable) -> list[NonConformance]:
    """Non-conformances on ``deliverable`` not yet closed (open or awaiting verification)."""
    return list(deliverable.non_conformances.exclude(status=NonConformanceStatus.CLOSED).order_by("pk"))


def deliverable_transition(
    *, deliverable: Deliverable, to: str, user: User, override_reason: str = "", note: str = ""
) -> Deliverable:
    """Move a deliverable along its workflow (``workflow.DELIVERABLE_TRANSITIONS``).

    Accepted and rejected come only from :func:`deliverable_sign_off`. Going
    to awaiting sign-off needs the project's manager, a head or an
    administrator, and no open non-conformance on it: an administrator may
    override with ``override_reason``, recorded as a :class:`SignOffOverride`.
    Others on the team may move it between not started, in progress and in
    review. Raises ``Refused`` (a ``TransitionError`` for a move the table
    does not allow) and changes nothing then.
    """
    project = deliverable.project
    if not access.work_on_project.allows(user, project):
        raise Refused("You may not move this deliverable.")
    with transaction.atomic():
        locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
        what = f"Deliverable {locked.reference} ({locked.name})"
        workflow.check_transition(
            what=what,
            table=workflow.DELIVERABLE_TRANSITIONS,
            labels=dict(DeliverableStatus.choices),
            current=locked.status,
            target=to,
        )
        if to in (DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED):
            raise workflow.TransitionError(f"{what}: only the client's sign-off accepts or rejects a deliverable.")
        override = None
        sign_off_move = DeliverableStatus.AWAITING_SIGN_OFF in (to, locked.status)
        if sign_off_move and not access.edit_project.allows(user, project):
            raise Refused("Only the project manager or a head sends deliverables to client sign-off.")
        if to == DeliverableStatus.AWAITING_SIGN_OFF:
            if project.client_id is None:
                raise Refused(f"{project.code} has no client to sign the deliverable off.")
            open_ncs = open_non_conformances(deliverable=locked)
            if open_ncs:
                refs = ", ".join(f"{nc.reference} ({nc.title})" for nc in open_ncs)
                if not override_reason.strip():
                    raise Refused(
                        f"{what} cannot go to client sign-off while non-conformances are open: {refs}. "
                        "Close them, or ask an administrator to override with a reason."
                    )
                if not access.administer.allows(user):
                    raise Refused("Only an administrator may override open non-conformances.")
                override = validation.create(
                    SignOffOverride,
                    deliverable=locked,
                    by=user,
                    at=timezone.now(),
                    reason=override_reason.strip(),
                    open_non_conformances=[{"id": nc.pk, "title": nc.title} for nc in open_ncs],
                )
        if to == DeliverableStatus.IN_PROGRESS and locked.status == DeliverableStatus.NOT_STARTED:
            locked.start_date = locked.start_date or min(timezone.localdate(), locked.due_date)
        locked.status = to
        reason = f"status: {DeliverableStatus(to).label}"
        if override is not None:
            reason = f"override: {override_reason.strip()}"
        elif note.strip():
            reason = f"{reason} ({note.strip()})"
        _save(locked, user=user, reason=reason)
    deliverable.refresh_from_db()
    return deliverable


def deliverable_sign_off(*, deliverable: Deliverable, user: User, accepted: bool, comment: str) -> Deliverable:
    """A client contact of the project's client accepts or rejects a deliverable awaiting sign-off.

    Final and stamped: ``signed_off_by`` (user), ``signed_off_contact``,
    ``signed_off_at`` (now, aware) and ``sign_off_comment``. Accepting sets
    percent complete to 100 and completes its milestone when every
    deliverable of the milestone is accepted (the EV weight is earned).
    Rejecting returns it to the team (status rejected, then in progress) with
    the comment. Raises ``Refused`` when ``user`` is not a contact of the
    project's client, when it is not awaiting sign-off, a non-conformance is
    open (and no override was recorded), or a rejection has no comment.
    """
    project = deliverable.project
    if not access.decide_for_client.allows(user, project):
        raise Refused("Only a contact of the project's client may sign off its deliverables.")
    contact = user.client_contact
    comment = (comment or "").strip()
    if not accepted and not comment:
        raise Refused("Say why the deliverable is rejected, so the team knows what to change.")
    with transaction.atomic():
        locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
        if locked.status != DeliverableStatus.AWAITING_SIGN_OFF:
            if locked.signed_off_at is not None and locked.status == DeliverableStatus.ACCEPTED:
                raise Refused(f"{locked.name} was already accepted on {locked.signed_off_at:%d %b %Y}: final.")
            raise Refused(
                f"{locked.name} is {locked.get_status_display().lower()}, not awaiting sign-off; nothing to decide."
            )
        open_ncs = open_non_conformances(deliverable=locked)
        if open_ncs and not locked.overrides.exists():
            raise Refused(f"{locked.name} has open non-conformances; the team must close them before sign-off.")
        now = timezone.now()
        locked.status = DeliverableStatus.ACCEPTED if accepted else DeliverableStatus.REJECTED
        locked.signed_off_by, locked.signed_off_contact, locked.signed_off_at = user, contact, now
        locked.sign_off_comment = comment
        if accepted:
            locked.percent_complete = 100
        _save(locked, user=user, reason=f"client {'accepted' if accepted else 'rejected'}")
        if accepted and locked.milestone_id:
            pending = Deliverable.objects.filter(milestone_id=locked.milestone_id).exclude(
                status=DeliverableStatus.ACCEPTED
            )
            if not pending.exists():
                Milestone.objects.filter(pk=locked.milestone_id, completed_on__isnull=True).update(
                    completed_on=timezone.localdate(now)
                )
    deliverable.refresh_from_db()
    return deliverable


def deliverable_baseline_snapshot(*, project: Project, baseline: Baseline) -> int:
    """Record every deliverable's current dates in ``baseline`` (the Gantt's baseline bars); returns the count."""
    rows = [
        DeliverableBaseline(baseline=baseline, deliverable=d, start_date=d.start_date, due_date=d.due_date)
        for d in Deliverable.objects.filter(project=project)
    ]
    DeliverableBaseline.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def schedule_baseline_set(*, project: Project, user: User, reason: str) -> Baseline:
    """The PM sets a new baseline (budget and schedule, via ``baseline_create``) with every deliverable's dates.

    Raises ``Refused`` unless ``user`` manages the project, or without a reason.
    """
    if not access.edit_project.allows(user, project):
        raise Refused("Only the project manager or a head may set a baseline.")
    with transaction.atomic():
        baseline = budget_services.baseline_create(project=project, reason=reason, actor=user)
        deliverable_baseline_snapshot(project=project, baseline=baseline)
    return baseline


# --- Change requests ---------------------------------------------------------------------


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
            cost_impact=budget_services.evm.money(cost_impact),
            cost_category=cost_category,
            schedule_impact_days=int(schedule_impact_days or 0),
            scope_impact=scope_impact,
            quality_impact=quality_impact,
            client_summary=client_summary,
            approvers=approvers,
        )
        _save(change, user=user, reason="created")
        if affected:
            change.affected_deliverables.set(affected)
    return change


def _change_move(change: ChangeRequest, *, to: str, user: User) -> ChangeRequest:
    with transaction.atomic():
        locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        workflow.check_transition(
            what=f"Change request {locked.reference}",
            table=workflow.CHANGE_TRANSITIONS,
            labels=dict(ChangeStatus.choices),
            current=locked.status,
            target=to,
        )
        now = timezone.now()
        locked.status = to
        if to == ChangeStatus.SUBMITTED:
            locked.submitted_at = now
        if to == ChangeStatus.IMPLEMENTED:
            locked.implemented_at = now
        _save(locked, user=user, reason=f"status: {ChangeStatus(to).label}")
    change.refresh_from_db()
    return change


def change_request_submit(*, change_request: ChangeRequest, user: User) -> ChangeRequest:
    """Draft -> submitted (the PM sends it for approval). Raises ``Refused`` (a TransitionError when not a draft)."""
    if not access.edit_project.allows(user, change_request.project):
        raise Refused("Only the project manager or a head submits change requests.")
    return _change_move(change_request, to=ChangeStatus.SUBMITTED, user=user)


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


def _apply_change(change: ChangeRequest, *, user: User) -> dict[str, Any]:
    """Apply an approved change: budget line, dates, then a new baseline (the old one stays)."""
    project = Project.objects.select_for_update().get(pk=change.project_id)
    previous = Baseline.objects.filter(project=project, is_current=True).first()
    applied: dict[str, Any] = {"previous_baseline": previous.number if previous else None}
    if change.cost_impact > 0:
        line = budget_services.budget_line_add(
            project=project,
            category=change.cost_category,
            amount=change.cost_impact,
            description=f"{change.reference}: {change.title}"[:200],
            actor=user,
        )
        applied["budget_line"] = line.pk
        applied["cost_impact"] = str(change.cost_impact)
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
            _save(item, user=user, reason=f"{change.reference} approved")
            moved.append({"id": item.pk, "name": item.name, "from": old.isoformat(), "to": item.due_date.isoformat()})
        applied["deliverables"] = moved
    baseline = budget_services.baseline_create(
        project=project,
        reason=f"{change.reference} approved: {change.title}",
        actor=user,
        change_reference=change.reference,
    )
    deliverable_baseline_snapshot(project=project, baseline=baseline)
    applied["baseline"] = baseline.number
    change.baseline = baseline
    return applied


def change_request_decide(*, change_request: ChangeRequest, user: User, approve: bool, comment: str) -> ChangeRequest:
    """The approver side of ``user`` (department head, client contact, administrator) decides.

    A rejection by any required side rejects the change and changes nothing
    else. Approval is recorded per side; once every required side
    (``change_request.approvers``) approved, the change is applied in the
    same transaction: its cost impact becomes a budget line (BAC rises), the
    project's finish and the affected deliverables move by
    ``schedule_impact_days``, and a new baseline is set through
    ``projects.budget.services.baseline_create`` (the old one is kept, no
    longer current) with the deliverables' dates. Raises ``Refused`` when
    the user decides for no side or a side this change does not need, when
    it is not submitted, the side already decided, or a rejection has no
    comment.
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
            workflow.check_transition(
                what=f"Change request {locked.reference}",
                table=workflow.CHANGE_TRANSITIONS,
                labels=dict(ChangeStatus.choices),
                current=locked.status,
                target=ChangeStatus.REJECTED,
            )
            locked.status, locked.decided_at = ChangeStatus.REJECTED, now
            _save(locked, user=user, reason=f"rejected by {side}")
        else:
            approved_sides = set(locked.approvals.filter(approved=True).values_list("side", flat=True))
            if set(locked.required_sides) <= approved_sides:
                locked.applied = _apply_change(locked, user=user)
                locked.status, locked.decided_at = ChangeStatus.APPROVED, now
                _save(locked, user=user, reason=f"approved; baseline {locked.applied['baseline']}")
            else:
                _save(locked, user=user, reason=f"approved by {side}; awaiting the other side")
    change_request.refresh_from_db()
    return change_request
