"""Writes of deliverables, client sign-off and the schedule baseline (one function per state change).

A move must be in ``workflow.DELIVERABLE`` (else a ``TransitionError``)
and the user allowed to make it (else ``apm.errors.Refused``); a refusal
changes nothing. Every write is validated by the model first and recorded
in the history with who and why (``projects.common.history``), so a value
the model would not hold (too long, not a choice, out of range) is refused
in words as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.errors import Refused
from projects.budget.services.plan import baseline_create
from projects.chat.announcements import announce_sign_off
from projects.common import workflow
from projects.common.history import history_save
from projects.delivery.selectors import deliverable_open_non_conformances
from projects.models import (
    Baseline,
    Deliverable,
    DeliverableBaseline,
    DeliverableStatus,
    Document,
    Milestone,
    Project,
    SignOffOverride,
)
from projects.notifications.producers import sign_off_requested_notify
from projects.planning.services import deliverable_progress_from_tasks

if TYPE_CHECKING:
    from apm.accounts.models import User


def _criteria(value: Iterable[str] | str) -> list[str]:
    lines = value.splitlines() if isinstance(value, str) else list(value)
    return [line.strip() for line in lines if line and line.strip()]


def _check_dates(start: dt.date | None, due: dt.date) -> None:
    if due is None:
        raise Refused("A deliverable needs a due date.")
    if start is not None and start > due:
        raise Refused(f"The start ({start:%d %b %Y}) is after the due date ({due:%d %b %Y}).")


def _check_dependencies(
    deliverable: Deliverable | None, project: Project, depends_on: Iterable[Deliverable]
) -> list[Deliverable]:
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
    review_document: Document | None = None,
    review_link: str = "",
) -> Deliverable:
    """Add a deliverable (status not started). ``acceptance_criteria``: a list or one criterion per line.

    ``percent_complete`` is a whole percent 0-100 (default 0).
    Raises ``Refused`` unless ``user`` manages the project, and for a
    missing name, reversed dates, a percent outside 0-100, a milestone or
    dependency of another project, a review document of another project, or
    a value the model refuses (a name over 300 characters, a review link that
    is not an http(s) address).
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
    _check_review_document(project, review_document)
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
            review_document=review_document,
            review_link=review_link.strip(),
        )
        history_save(item, user=user, reason="created")
        if deps:
            item.depends_on.set(deps)
    return item


EDITABLE_FIELDS = (
    "name",
    "description",
    "owner",
    "milestone",
    "start_date",
    "due_date",
    "percent_complete",
    "review_document",
    "review_link",
)


def _check_review_document(project: Project, document: Document | None) -> None:
    if document is not None and document.project_id != project.pk:
        raise Refused("That document belongs to another project.")


def deliverable_update(*, deliverable: Deliverable, user: User, **changes: Any) -> Deliverable:
    """Change the plain fields of a deliverable (not its status or sign-off); history kept.

    ``changes`` may hold any of ``EDITABLE_FIELDS``, ``acceptance_criteria``
    and ``depends_on``. Team members may change ``percent_complete`` only;
    nobody may while it follows the deliverable's tasks
    (``APM_DELIVERABLE_PROGRESS_FROM_TASKS`` on and some of them estimated).
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
    if int(pct) != deliverable.percent_complete and settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS:
        from_tasks = deliverable_progress_from_tasks(deliverable=deliverable)
        if from_tasks is not None:
            raise Refused(
                f"Percent complete follows this deliverable's tasks ({from_tasks}% of their estimate is done): "
                "move its tasks instead."
            )
    if "name" in changes and not str(changes["name"]).strip():
        raise Refused("Give the deliverable a name.")
    _check_dates(changes.get("start_date", deliverable.start_date), changes.get("due_date", deliverable.due_date))
    milestone = changes.get("milestone", deliverable.milestone)
    if milestone is not None and milestone.project_id != project.pk:
        raise Refused("That milestone belongs to another project.")
    _check_review_document(project, changes.get("review_document"))
    deps = _check_dependencies(deliverable, project, changes["depends_on"]) if "depends_on" in changes else None
    with transaction.atomic():
        for field in EDITABLE_FIELDS:
            if field in changes:
                setattr(deliverable, field, changes[field])
        if "acceptance_criteria" in changes:
            deliverable.acceptance_criteria = _criteria(changes["acceptance_criteria"])
        history_save(deliverable, user=user, reason="edited")
        if deps is not None:
            deliverable.depends_on.set(deps)
    return deliverable


def deliverable_transition(
    *, deliverable: Deliverable, to: str, user: User, override_reason: str = "", note: str = ""
) -> Deliverable:
    """Move a deliverable along its workflow (``workflow.DELIVERABLE``).

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
        workflow.DELIVERABLE.check(what=what, current=locked.status, target=to)
        if to in (DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED):
            raise workflow.TransitionError(f"{what}: only the client's sign-off accepts or rejects a deliverable.")
        override = None
        sign_off_move = DeliverableStatus.AWAITING_SIGN_OFF in (to, locked.status)
        if sign_off_move and not access.edit_project.allows(user, project):
            raise Refused("Only the project manager or a head sends deliverables to client sign-off.")
        if to == DeliverableStatus.AWAITING_SIGN_OFF:
            if project.client_id is None:
                raise Refused(f"{project.code} has no client to sign the deliverable off.")
            open_ncs = deliverable_open_non_conformances(deliverable=locked)
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
        history_save(locked, user=user, reason=reason)
        if to == DeliverableStatus.AWAITING_SIGN_OFF:
            sign_off_requested_notify(deliverable=locked, actor=user)
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
        open_ncs = deliverable_open_non_conformances(deliverable=locked)
        if open_ncs and not locked.overrides.exists():
            raise Refused(f"{locked.name} has open non-conformances; the team must close them before sign-off.")
        now = timezone.now()
        locked.status = DeliverableStatus.ACCEPTED if accepted else DeliverableStatus.REJECTED
        locked.signed_off_by, locked.signed_off_contact, locked.signed_off_at = user, contact, now
        locked.sign_off_comment = comment
        if accepted:
            locked.percent_complete = 100
        history_save(locked, user=user, reason=f"client {'accepted' if accepted else 'rejected'}")
        announce_sign_off(deliverable=locked)
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
    """The PM sets a new baseline (budget and schedule, via ``projects.budget.services.plan.baseline_create``)
    with every deliverable's dates.

    Raises ``Refused`` unless ``user`` manages the project, or without a reason.
    """
    if not access.edit_project.allows(user, project):
        raise Refused("Only the project manager or a head may set a baseline.")
    with transaction.atomic():
        baseline = baseline_create(project=project, reason=reason, actor=user)
        deliverable_baseline_snapshot(project=project, baseline=baseline)
    return baseline
