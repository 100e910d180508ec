"""Writes of actual costs: time entries (costed at the rate of the day, billable ones with their bill rate) and
expenses with their receipts.

Each re-checks the budget after it writes (``projects.budget.services.checks.budget_check``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from apm import validation
from apm.errors import Refused
from apm.uploads import UploadPolicy, upload_check
from projects.billing.rates import RateQuestion, ResolvedRate, bill_rates_resolve, member_rates_on
from projects.budget import evm
from projects.budget.services.checks import budget_check
from projects.budget.services.events import budget_event_record
from projects.models import CostCategory, Expense, Project, Task, TimeEntry
from teams.models import TeamMember

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from apm.accounts.models import User
    from teams.models import MemberRate

#: Receipts: PDF, PNG or JPEG by content (not by name), at most this many bytes.
RECEIPT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
RECEIPT_MAX_BYTES = 10 * 1024 * 1024

#: What a non-billable entry stores: no bill rate, no source.
NO_BILL_RATE = ResolvedRate(rate=None, currency="", source="")


@dataclass(frozen=True)
class NewTime:
    """One entry to cost: ``hours`` on ``project`` on ``date``, billable or not, with a note."""

    project: Project
    date: dt.date
    hours: Decimal
    billable: bool = True
    note: str = ""
    #: The task worked on: one of ``project``'s, or None.
    task: Task | None = None


class TimeRefused(Refused):
    """A refusal of one entry of :func:`time_entries_costed`: ``entry`` is the one refused (a grid names its cell)."""

    def __init__(self, message: str, *, entry: NewTime) -> None:
        super().__init__(message)
        self.entry = entry


def time_entry_record(
    *,
    member: TeamMember,
    project: Project,
    date: dt.date,
    hours: Decimal,
    billable: bool = True,
    note: str = "",
    task: Task | None = None,
    actor: User | None = None,
) -> TimeEntry:
    """Record ``hours`` (0 < h <= 24) by ``member`` on ``project`` on ``date``, costed now, on ``task`` (one of
    the project's) when given.

    The entry is :func:`time_entry_costed`; re-checks the budget after. Raises
    ``Refused`` as that does, or when the person's hours that day would pass 24
    (:func:`day_hours_check`); nothing is written then.
    """
    entry = time_entry_costed(
        member=member, project=project, date=date, hours=hours, billable=billable, note=note, task=task, actor=actor
    )
    with transaction.atomic():
        # The grid's saves lock the same row: a day's hours are checked against what is stored, not racing it.
        TeamMember.objects.select_for_update().filter(pk=member.pk).first()
        entry.save(force_insert=True)
        day_hours_check(member=member, days=[date])
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
    task: Task | None = None,
    actor: User | None = None,
) -> TimeEntry:
    """A new time entry (not saved) of ``hours`` by ``member`` on ``project`` on ``date`` (on ``task`` when
    given), costed and checked.

    :func:`time_entries_costed` of one entry: raises ``Refused`` as that does.
    The caller saves it and re-checks the budget.
    """
    new = NewTime(project=project, date=date, hours=hours, billable=billable, note=note, task=task)
    return time_entries_costed(member=member, entries=[new], actor=actor)[0]


def time_entries_costed(
    *, member: TeamMember, entries: Sequence[NewTime], actor: User | None = None
) -> list[TimeEntry]:
    """New time entries (not saved) of ``member``, one per item of ``entries``, in their order, costed and checked.

    Each is costed at the person's cost rate valid on its date and stores it
    with the cost (hours * rate, half-up to the minor unit); a billable entry
    also stores its bill rate and where it came from
    (``projects.billing.rates``: project override, client override, the
    role's card, the person's own bill rate), or None and "" when no rate
    applies (a gap to fill, not a refusal). A later rate change rewrites
    neither. Three queries whatever the number of entries (the projects the
    person is on, their rates over the dates, the bill rates).

    All or nothing: raises :class:`TimeRefused` (a ``Refused`` whose
    ``entry`` is the one refused) for an entry whose hours are out of range
    (0.25-24), whose task is of another project, whose project the member is not on, on a date the member has
    no cost rate, whose rate's currency is not the project's, or with a value
    the model refuses (a note over 300 characters). The caller saves them and
    re-checks the budgets.
    """
    if not entries:
        return []
    for new in entries:
        if Decimal(new.hours) < Decimal("0.25") or Decimal(new.hours) > 24:
            raise TimeRefused("Hours are at least 0.25 (a quarter of an hour) and at most 24.", entry=new)
        if new.task is not None and new.task.project_id != new.project.pk:
            raise TimeRefused(f"{new.task} is a task of another project, not of {new.project.code}.", entry=new)
    projects = {new.project.pk for new in entries}
    on_team = set(Project.objects.filter(pk__in=projects, team_members=member).values_list("pk", flat=True))
    own = member_rates_on(member_id=member.pk, days={new.date for new in entries})
    rated: list[tuple[NewTime, MemberRate]] = []
    for new in entries:
        if new.project.pk not in on_team:
            raise TimeRefused(f"{member} is not on the team of {new.project.code}.", entry=new)
        rate = own[new.date]
        if rate is None:
            raise TimeRefused(
                f"{member} has no cost rate on {new.date:%d %b %Y}; ask an administrator to set one.", entry=new
            )
        if rate.currency != new.project.currency:
            raise TimeRefused(
                f"{member}'s rate is in {rate.currency} but {new.project.code} is budgeted in {new.project.currency}.",
                entry=new,
            )
        rated.append((new, rate))
    bills = iter(
        bill_rates_resolve(
            [
                RateQuestion(member=member, project=new.project, on=new.date, own=rate)
                for new, rate in rated
                if new.billable
            ]
        )
    )
    costed = []
    for new, rate in rated:
        hours = Decimal(new.hours)
        bill = next(bills) if new.billable else NO_BILL_RATE
        entry = TimeEntry(
            member=member,
            project=new.project,
            date=new.date,
            hours=hours,
            billable=new.billable,
            note=new.note,
            task=new.task,
            cost_rate=rate.cost_rate,
            cost=evm.money(hours * rate.cost_rate),
            currency=new.project.currency,
            bill_rate=bill.rate,
            bill_rate_source=bill.source,
            bill_amount=None if bill.rate is None else evm.money(hours * bill.rate),
            created_by=actor,
        )
        try:
            validation.clean(entry)
        except Refused as exc:
            raise TimeRefused(exc.message, entry=new) from exc
        costed.append(entry)
    return costed


def time_entry_rehour(*, entry: TimeEntry, hours: Decimal) -> TimeEntry:
    """Change a time entry's hours (0 < h <= 24; not saved): the cost and the bill amount follow at the rates
    stored with it (a later rate change never rewrites them). Raises ``Refused`` for hours out of range."""
    hours = Decimal(hours)
    if hours < Decimal("0.25") or hours > 24:
        raise Refused("Hours are at least 0.25 (a quarter of an hour) and at most 24.")
    entry.hours = hours
    entry.cost = evm.money(hours * entry.cost_rate)
    entry.bill_amount = None if entry.bill_rate is None else evm.money(hours * entry.bill_rate)
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
    billable: bool = True,
    actor: User | None = None,
) -> Expense:
    """Record an expense (money > 0, project currency) with an optional receipt, billed to the client or not
    (``billable``: time and materials bill it with the project's markup); re-checks the budget.

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
            billable=billable,
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


#: Most hours a person logs in one day, over all projects.
DAY_HOURS = Decimal(24)


def day_hours_check(*, member: TeamMember, days: list[dt.date]) -> None:
    """Raise ``Refused`` when ``member``'s hours on a day of ``days`` (all projects, as stored now) pass
    :data:`DAY_HOURS`. Callers hold the person's row locked, so two writes cannot both pass it."""
    if not days:
        return
    rows = TimeEntry.objects.filter(member=member, date__in=days).order_by().values_list("date", "hours")
    totals: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, hours in rows:
        totals[day] += hours
    long_days = [
        f"{day:%a} {day.day} {day:%b} ({hours.normalize():f} h)"
        for day, hours in sorted(totals.items())
        if hours > DAY_HOURS
    ]
    if long_days:
        raise Refused(f"A day has at most 24 hours: {', '.join(long_days)}.")
