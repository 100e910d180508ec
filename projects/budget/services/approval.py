"""Timesheet approval: a person submits a week, an approver approves or rejects each entry, approved time is
locked until an approver reopens it.

The states of an entry (``projects.models.Approval``): open (logged, not yet
submitted) -> submitted (with its week) -> approved, or rejected (with a
comment; the person corrects it and submits again). Submitted and approved
entries are locked for the person (``locked_reason``); reopening an approved
entry puts it back to open. Approvers are those with ``access.approve_time``
on the entry's project (its PM, heads of its departments, administrators);
nobody approves their own time except an administrator (separation of
duties, as for contingency). Every decision and reopening writes the
project's budget audit trail (:class:`~projects.models.BudgetEvent`), which
is how a reopening is recorded: who, when, which entries, why.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apm import access
from apm.errors import Refused
from projects.billing.invoice_lines import invoices_holding
from projects.budget import figures
from projects.budget.services.checks import budget_check
from projects.budget.services.events import budget_event_record
from projects.models import Approval, InvoiceItem, Project, TimeEntry
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User

#: The longest comment an approver writes on a decision (the column's length).
COMMENT_CHARS = 300
#: Entries in these states may be changed or removed by the person who logged them.
EDITABLE = (Approval.OPEN, Approval.REJECTED)


def locked_reason(entry: TimeEntry) -> str:
    """Why the person cannot change ``entry`` now ("" when they can)."""
    if entry.approval == Approval.SUBMITTED:
        return "submitted for approval"
    if entry.approval == Approval.APPROVED:
        return "approved: ask your PM to reopen it"
    return ""


@dataclass(frozen=True)
class Submitted:
    """What a week's submission did: entries submitted and the projects they are on (by code)."""

    entries: int
    projects: list[str]


def timesheet_week_submit(*, member: TeamMember, week_start: dt.date, actor: User | None = None) -> Submitted:
    """Submit ``member``'s week from ``week_start`` (a Monday): every open or rejected entry of the week becomes
    submitted, stamped with the time.

    Raises ``Refused`` when ``week_start`` is not a Monday, the week is in
    the future, or nothing in the week waits to be submitted.
    """
    if week_start.weekday() != 0:
        raise Refused("A week starts on a Monday.")
    now = timezone.now()
    if week_start > timezone.localdate(now):
        raise Refused("This week has not started yet.")
    last = week_start + dt.timedelta(days=6)
    with transaction.atomic():
        # Serialise with the grid's saves of the same person (they lock the same row).
        TeamMember.objects.select_for_update().filter(pk=member.pk).first()
        waiting = TimeEntry.objects.filter(
            member=member, date__gte=week_start, date__lte=last, approval__in=EDITABLE
        ).select_related("project")
        entries = list(waiting)
        if not entries:
            raise Refused("Nothing to submit: log your hours for the week first.")
        TimeEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            approval=Approval.SUBMITTED, submitted_at=now, decided_by=None, decided_at=None, decision_comment=""
        )
    return Submitted(entries=len(entries), projects=sorted({entry.project.code for entry in entries}))


def _decidable(*, project: Project, entry_ids: Iterable[int], states: tuple[str, ...]) -> list[TimeEntry]:
    """The entries of ``entry_ids`` on ``project``, locked for update; ``Refused`` unless every one is found in
    one of ``states``."""
    ids = sorted(set(entry_ids))
    if not ids:
        raise Refused("Choose the entries first.")
    entries = list(
        TimeEntry.objects.select_for_update(of=("self",))
        .filter(project=project, pk__in=ids)
        .select_related("member")
        .order_by("member__name", "date", "pk")
    )
    if len(entries) != len(ids):
        raise Refused("Some of these entries are gone or not on this project: reload the page.")
    moved = [entry for entry in entries if entry.approval not in states]
    if moved:
        raise Refused(
            f"{len(moved)} of these entries {'was' if len(moved) == 1 else 'were'} decided meanwhile: reload the page."
        )
    return entries


def _refuse_invoiced(entries: list[TimeEntry]) -> None:
    """``Refused`` when one of ``entries`` (locked) is on an invoice: an issued one bills it as it stands (its credit
    note releases it), and a draft would bill hours that were changed since."""
    numbers, drafted = invoices_holding(InvoiceItem.objects.filter(time_entry__in=entries))
    if numbers:
        raise Refused(
            f"Some of this time is billed on {', '.join(numbers)}: it stays as invoiced unless the invoice is credited."
        )
    if drafted:
        raise Refused(
            "Some of this time is on a draft invoice: remove its line or discard the draft first, then reopen it."
        )


def _own_time(actor: User, entries: list[TimeEntry]) -> bool:
    member = getattr(actor, "team_member", None)
    return member is not None and any(entry.member_id == member.pk for entry in entries)


def _by_person(entries: list[TimeEntry]) -> dict[str, dict[str, str]]:
    """``{person: {"hours": "7.50", "dates": "2026-12-01..2026-12-04"}}`` for the audit trail."""
    hours: dict[str, Decimal] = defaultdict(Decimal)
    dates: dict[str, list[dt.date]] = defaultdict(list)
    for entry in entries:
        hours[entry.member.name] += entry.hours
        dates[entry.member.name].append(entry.date)
    return {name: {"hours": f"{hours[name]:.2f}", "dates": f"{min(dates[name])}..{max(dates[name])}"} for name in hours}


def time_entries_decide(
    *, project: Project, entry_ids: Iterable[int], approve: bool, comment: str = "", actor: User
) -> int:
    """Approve, or reject with ``comment``, the submitted entries ``entry_ids`` of ``project``; the number decided.

    All or nothing. Raises ``Refused`` unless ``actor`` may approve time on
    the project (``access.approve_time``), for a rejection without a comment,
    a comment over :data:`COMMENT_CHARS` characters, an entry that is not
    submitted (any more), or the actor's own time (administrators excepted).
    Approved time counts in actual cost where the project reads approved time
    only, so the budget is checked again.
    """
    access.approve_time.require(actor, project, "Only the project's PM or a head of its departments approves time.")
    comment = comment.strip()
    if not approve and not comment:
        raise Refused("Say why the time is rejected: the person sees your comment.")
    if len(comment) > COMMENT_CHARS:
        raise Refused(f"A comment has at most {COMMENT_CHARS} characters.")
    with transaction.atomic():
        entries = _decidable(project=project, entry_ids=entry_ids, states=(Approval.SUBMITTED,))
        if _own_time(actor, entries) and not access.administer.allows(actor):
            # Separation of duties: the person who logged the hours does not approve them.
            raise Refused("This is your own time: another approver of the project decides it.")
        TimeEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            approval=Approval.APPROVED if approve else Approval.REJECTED,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_comment=comment,
        )
        figures.refresh([project.pk])  # the approved time's cost (an update sends no signal)
        budget_event_record(
            project=project,
            actor=actor,
            action="time_approved" if approve else "time_rejected",
            entries=len(entries),
            people=_by_person(entries),
            comment=comment,
        )
        if approve:
            budget_check(project=project)
    return len(entries)


def time_entries_reopen(*, project: Project, entry_ids: Iterable[int], reason: str, actor: User) -> int:
    """Reopen the approved entries ``entry_ids`` of ``project`` (back to open, so the person may change them and
    submit again), recording who, when and ``reason``; the number reopened.

    Raises ``Refused`` unless ``actor`` may approve time on the project, for
    a missing or too long reason, an entry that is not approved, the
    actor's own time (administrators excepted), or time on an invoice (an
    issued one, or a draft).
    """
    access.approve_time.require(actor, project, "Only the project's PM or a head of its departments reopens time.")
    reason = reason.strip()
    if not reason:
        raise Refused("Say why the approved time is reopened: it is recorded.")
    if len(reason) > COMMENT_CHARS:
        raise Refused(f"A reason has at most {COMMENT_CHARS} characters.")
    with transaction.atomic():
        entries = _decidable(project=project, entry_ids=entry_ids, states=(Approval.APPROVED,))
        if _own_time(actor, entries) and not access.administer.allows(actor):
            # As for approving: one's own approved hours are reopened by another approver.
            raise Refused("This is your own time: another approver of the project reopens it.")
        _refuse_invoiced(entries)
        TimeEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            approval=Approval.OPEN,
            submitted_at=None,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_comment=reason,
        )
        figures.refresh([project.pk])
        budget_event_record(
            project=project,
            actor=actor,
            action="time_reopened",
            entries=len(entries),
            people=_by_person(entries),
            reason=reason,
        )
        budget_check(project=project)
    return len(entries)
