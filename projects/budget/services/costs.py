"""Writes of actual costs: time entries (costed at the rate of the day) and expenses with their receipts.

Each re-checks the budget after it writes (``projects.budget.services.checks.budget_check``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from apm import validation
from apm.errors import Refused
from apm.uploads import UploadPolicy, upload_check
from projects.budget import evm
from projects.budget.services.checks import budget_check
from projects.budget.services.events import budget_event_record
from projects.models import CostCategory, Expense, Project, TimeEntry
from teams.selectors import member_rate_on

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from apm.accounts.models import User
    from teams.models import TeamMember

#: Receipts: PDF, PNG or JPEG by content (not by name), at most this many bytes.
RECEIPT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
RECEIPT_MAX_BYTES = 10 * 1024 * 1024


def time_entry_record(
    *,
    member: TeamMember,
    project: Project,
    date: dt.date,
    hours: Decimal,
    billable: bool = True,
    note: str = "",
    actor: User | None = None,
) -> TimeEntry:
    """Record ``hours`` (0 < h <= 24) by ``member`` on ``project`` on ``date``, costed now.

    The entry is :func:`time_entry_costed`; re-checks the budget after. Raises
    ``Refused`` as that does; nothing is written then.
    """
    entry = time_entry_costed(
        member=member, project=project, date=date, hours=hours, billable=billable, note=note, actor=actor
    )
    with transaction.atomic():
        entry.save(force_insert=True)
        budget_check(project=project)
    return entry


def time_entry_costed(
    *,
    member: TeamMember,
    project: Project,
    date: dt.date,
    hours: Decimal,
    billable: bool = True,
    note: str = "",
    actor: User | None = None,
) -> TimeEntry:
    """A new time entry (not saved) of ``hours`` by ``member`` on ``project`` on ``date``, costed and checked.

    The cost rate is the one valid on ``date`` (``teams.selectors.member_rate_on``)
    and is stored with the cost (hours * rate, half-up to the minor unit), so a
    later rate change never rewrites it. Raises ``Refused`` when the member
    is not on the project, has no rate on that date, the rate's currency is
    not the project's, the hours are out of range, or the model refuses a
    value (a note over 300 characters). The caller saves it and re-checks the budget.
    """
    hours = Decimal(hours)
    if hours < Decimal("0.25") or hours > 24:
        raise Refused("Hours are at least 0.25 (a quarter of an hour) and at most 24.")
    if not project.team_members.filter(pk=member.pk).exists():
        raise Refused(f"{member} is not on the team of {project.code}.")
    rate = member_rate_on(member_id=member.pk, on=date)
    if rate is None:
        raise Refused(f"{member} has no cost rate on {date:%d %b %Y}; ask an administrator to set one.")
    if rate.currency != project.currency:
        raise Refused(f"{member}'s rate is in {rate.currency} but {project.code} is budgeted in {project.currency}.")
    entry = TimeEntry(
        member=member,
        project=project,
        date=date,
        hours=hours,
        billable=billable,
        note=note,
        cost_rate=rate.cost_rate,
        cost=evm.money(hours * rate.cost_rate),
        currency=project.currency,
        created_by=actor,
    )
    validation.clean(entry)
    return entry


def time_entry_rehour(*, entry: TimeEntry, hours: Decimal) -> TimeEntry:
    """Change a time entry's hours (0 < h <= 24; not saved): the cost follows at the rate stored with it
    (a later rate change never rewrites a past cost). Raises ``Refused`` for hours out of range."""
    hours = Decimal(hours)
    if hours < Decimal("0.25") or hours > 24:
        raise Refused("Hours are at least 0.25 (a quarter of an hour) and at most 24.")
    entry.hours = hours
    entry.cost = evm.money(hours * entry.cost_rate)
    validation.clean(entry, fields=["hours"])
    return entry


def receipt_check(upload: UploadedFile) -> str:
    """The content type of a receipt upload (PDF, PNG or JPEG by its bytes, at most ``RECEIPT_MAX_BYTES``).

    Raises ``apm.uploads.UploadRefused`` (a Refused) with a clear message.
    """
    policy = UploadPolicy(
        what="receipt",
        accepted=tuple(RECEIPT_TYPES),
        accepted_text="a PDF, PNG or JPEG file",
        max_bytes=RECEIPT_MAX_BYTES,
        check_extension=False,
    )
    return upload_check(upload, policy).content_type


def expense_record(
    *,
    project: Project,
    date: dt.date,
    amount: Decimal,
    category: str,
    supplier: str,
    description: str = "",
    receipt: UploadedFile | None = None,
    actor: User | None = None,
) -> Expense:
    """Record an expense (money > 0, project currency) with an optional receipt; re-checks the budget.

    The receipt (:func:`receipt_check`) and the expense's values are checked
    before anything is written or stored: raises ``Refused`` for a bad
    upload (``UploadRefused``), an amount of zero or less, an unknown
    category, or a value the model refuses (no supplier, or one over 200
    characters). The receipt is stored in private storage under a generated
    name.
    """
    amount = evm.money(amount)
    if amount <= 0:
        raise Refused("An expense must be more than zero.")
    if category not in CostCategory.values:
        raise Refused(f"Unknown category {category!r}.")
    content_type = receipt_check(receipt) if receipt is not None else ""
    with transaction.atomic():
        expense = Expense(
            project=project,
            date=date,
            amount=amount,
            currency=project.currency,
            category=category,
            supplier=supplier,
            description=description,
            created_by=actor,
            receipt_content_type=content_type,
        )
        if receipt is not None:
            expense.receipt_name = (receipt.name or "receipt")[-200:]
        # Before the receipt is stored: a refused expense leaves no file behind.
        validation.clean(expense)
        if receipt is not None:
            expense.receipt.save(f"receipt.{RECEIPT_TYPES[content_type]}", receipt, save=False)
        try:
            expense.save()
            budget_event_record(project=project, actor=actor, action="expense_added", amount=amount, supplier=supplier)
            budget_check(project=project)
        except Exception:
            if expense.receipt.name:
                expense.receipt.storage.delete(expense.receipt.name)
            raise
    return expense
