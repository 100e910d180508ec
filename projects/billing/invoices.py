"""Invoices and credit notes: drafted from the work, edited while a draft, issued under a gap-free number, paid,
or voided by a credit note that reverses them in full.

**Drafting** (:func:`invoice_draft`) bills a client's work of a period (both
days included) that is on no issued invoice yet, project by project, as
each project's billing model earns it: time and materials, milestones due,
retainer months with their overage (``projects.billing.invoice_lines`` says
which lines and what is left out).

**Money.** Each line: ``net = money(quantity x unit_price)``, ``tax =
money(net x tax_rate / 100)`` (``projects.budget.evm.money``: half-up to the
cent), tax rate from ``settings.APM_INVOICE_TAX_RATE``. The invoice's totals
are the sums of its lines' nets and taxes; gross = net + tax. A line whose
project bills in another currency than the client's invoice currency is
converted at the exchange rates of ``rates_on`` (the period's last day unless
stated; ``projects.billing.currency``: the day's rate or the latest within 5
days before, through EUR): the line keeps its price there, the cross rate
(6 decimal places) and the day of the rate (the older of the two when neither
currency is EUR), and its unit price is
``money(source unit price x rate)``. A missing rate refuses the draft; it is
never taken as 1.

**Issuing** (:func:`invoice_issue`) happens in one transaction: the invoice
row is locked, the next number of its kind and year is taken from the locked
:class:`~projects.models.InvoiceSequence` row (``INV-2026-0001``), the
buyer's and seller's details are copied, and every billed item is claimed.
A claimed time entry, expense, milestone or retainer month cannot be
claimed again (the database's partial unique constraints), so two drafts of
the same work cannot both be issued; the loser is refused and, its
transaction rolled back, takes no number. Numbers are therefore consecutive
per kind and year, and follow issue dates.

Every function checks ``access.manage_invoices`` on the client and raises
``apm.errors.Refused`` with the sentence to show, before writing or inside
the transaction that would have written, so a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apm import access, validation
from apm.dates import EARLIEST, LATEST
from apm.errors import Refused
from apm.formatting import format_date
from projects.billing.currency import MissingRate, rates_to
from projects.billing.invoice_lines import billable_lines, invoices_holding
from projects.budget.evm import HUNDRED, money, money_sum
from projects.models import (
    NUMBER_PREFIXES,
    Approval,
    Client,
    Grouping,
    Invoice,
    InvoiceItem,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceState,
    LineKind,
    Project,
    TimeEntry,
)

if TYPE_CHECKING:
    from apm.accounts.models import User

#: Exchange rates on a line: the cross rate to 6 decimal places, as the line states it.
RATE_PLACES = Decimal("0.000001")
#: The longest reason a credit note gives.
REASON_CHARS = 1000


def _not_allowed(client: Client) -> str:
    return f"You do not manage {client}'s invoices."


def _day(value: dt.date) -> str:
    return format_date(value)


def _check_day(value: dt.date, what: str) -> None:
    if not EARLIEST <= value <= LATEST:
        raise Refused(f"{what} runs from {_day(EARLIEST)} to {_day(LATEST)}.")


# --- Drafting -------------------------------------------------------------------------------------------------------


def _priced(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """A line's net and tax (money)."""
    net = money(quantity * unit_price)
    return net, money(net * tax_rate / HUNDRED)


def _totals(invoice: Invoice) -> None:
    """Add up ``invoice``'s lines into its totals and save them."""
    figures = list(InvoiceLine.objects.filter(invoice=invoice).values_list("net", "tax"))
    invoice.net_total = money_sum(net for net, _ in figures)
    invoice.tax_total = money_sum(tax for _, tax in figures)
    invoice.gross_total = money(invoice.net_total + invoice.tax_total)
    invoice.save(update_fields=["net_total", "tax_total", "gross_total", "updated_at"])


def invoice_draft(
    *,
    actor: User,
    client: Client,
    period_start: dt.date,
    period_end: dt.date,
    grouping: str = Grouping.ROLE,
    projects: Iterable[Project] | None = None,
    rates_on: dt.date | None = None,
) -> Invoice:
    """A draft invoice to ``client`` of the work of ``period_start`` to ``period_end`` (both included) that is on no
    issued invoice, as the module docstring says: of all the client's projects, or of ``projects`` (the client's)
    only. ``grouping``: a ``Grouping`` value. ``rates_on``: the date whose exchange rates convert lines from
    another currency (default: ``period_end``).

    The work stays free for other drafts until one of them is issued.
    Raises ``Refused`` when ``actor`` may not manage the client's invoices,
    the period is out of order or outside 1900-2200, the grouping is
    unknown, a project is not the client's, there is nothing to bill, or a
    currency has no exchange rate within 5 days before ``rates_on``.
    """
    access.manage_invoices.require(actor, client, _not_allowed(client))
    _check_day(period_start, "A period")
    _check_day(period_end, "A period")
    if period_end < period_start:
        raise Refused("A period ends on or after the day it starts.")
    if grouping not in Grouping.values:
        raise Refused("Group time by project and role, or itemise it.")
    rates_on = rates_on or period_end
    _check_day(rates_on, "The exchange rates' date")
    chosen = Project.objects.filter(client=client).select_related("billing").order_by("code")
    if projects is not None:
        wanted = {project.pk for project in projects}
        chosen = chosen.filter(pk__in=wanted)
    found = list(chosen)
    if projects is not None and len(found) != len(wanted):
        raise Refused(f"Only {client}'s projects are invoiced to {client}.")
    specs, left_out = billable_lines(found, start=period_start, end=period_end, grouping=grouping)
    if not specs:
        raise Refused(
            f"Nothing to invoice to {client} from {_day(period_start)} to {_day(period_end)}: no approved billable "
            "time, billable expense, billing milestone due or retainer month that is not on an issued invoice already."
        )
    currency = client.invoice_currency
    rates = rates_to(currency, sources={spec.currency for spec in specs}, on=rates_on)
    tax_rate = settings.APM_INVOICE_TAX_RATE
    lines: list[InvoiceLine] = []
    for position, spec in enumerate(specs, start=1):
        line = InvoiceLine(
            position=position,
            kind=spec.kind,
            project=spec.project,
            description=spec.description[:500],
            quantity=spec.quantity,
            unit=spec.unit,
            unit_price=spec.unit_price,
            tax_rate=tax_rate,
            currency=currency,
        )
        if spec.currency != currency:
            try:
                cross = rates.cross(spec.currency, currency)
            except MissingRate as missing:
                raise Refused(
                    f"{missing} Enter the rate (Exchange rates) or state another date for the rates."
                ) from missing
            line.source_currency = spec.currency
            line.source_unit_price = spec.unit_price
            line.exchange_rate = cross.rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
            line.rate_date = min(cross.dates)
            line.unit_price = money(spec.unit_price * line.exchange_rate)
        line.net, line.tax = _priced(line.quantity, line.unit_price, tax_rate)
        lines.append(line)
    with transaction.atomic():
        invoice = Invoice.objects.create(
            client=client,
            currency=currency,
            grouping=grouping,
            period_start=period_start,
            period_end=period_end,
            rates_on=rates_on,
            left_out=left_out,
            created_by=actor,
        )
        for line in lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        InvoiceItem.objects.bulk_create(
            InvoiceItem(line=line, **vars(item)) for line, spec in zip(lines, specs, strict=True) for item in spec.items
        )
        _totals(invoice)
    return invoice


# --- Editing a draft ------------------------------------------------------------------------------------------------


def _locked_draft(invoice: Invoice, actor: User) -> Invoice:
    """``invoice`` locked for update (inside a transaction) if ``actor`` manages its client's invoices and it is a
    draft; ``Refused`` otherwise."""
    access.manage_invoices.require(actor, invoice.client, _not_allowed(invoice.client))
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise Refused("That draft was discarded meanwhile; reload the page.")
    if locked.state != InvoiceState.DRAFT:
        raise Refused(f"{locked.number} is issued: it is never edited. Credit it and draft a new one instead.")
    return locked


def _line_figures(line: InvoiceLine) -> None:
    """Check ``line``'s typed values as the model would hold them, then price it."""
    for value, what in ((line.quantity, "a quantity"), (line.unit_price, "a unit price"), (line.tax_rate, "a rate")):
        if not Decimal(value).is_finite():
            raise Refused(f"Enter {what} as a number.")
    if line.quantity == 0:
        raise Refused("A line bills a quantity other than zero: remove the line instead.")
    if not line.description.strip():
        raise Refused("Describe what the line bills.")
    line.net, line.tax = _priced(line.quantity, line.unit_price, line.tax_rate)
    validation.clean(line, exclude=["invoice", "project"])


def invoice_line_update(
    *,
    actor: User,
    line: InvoiceLine,
    description: str | None = None,
    quantity: Decimal | None = None,
    unit_price: Decimal | None = None,
    tax_rate: Decimal | None = None,
) -> InvoiceLine:
    """Change a draft's line: any of ``description``, ``quantity``, ``unit_price`` (in the invoice's currency) and
    ``tax_rate`` (%, 0 to 100); the line is priced again and the totals added up again. A new unit price on a
    converted line drops its conversion (the price is no longer the converted one).

    Raises ``Refused`` when ``actor`` may not manage the client's invoices, the invoice is issued, the line is
    gone, or a value is not one the line holds (a zero quantity, more than two decimal places, a rate over 100).
    """
    with transaction.atomic():
        invoice = _locked_draft(line.invoice, actor)
        current = InvoiceLine.objects.filter(pk=line.pk, invoice=invoice).first()
        if current is None:
            raise Refused("That line was removed meanwhile; reload the page.")
        if description is not None:
            current.description = description.strip()
        if quantity is not None:
            current.quantity = Decimal(quantity)
        if unit_price is not None and Decimal(unit_price) != current.unit_price:
            current.unit_price = Decimal(unit_price)
            current.source_currency, current.source_unit_price = "", None
            current.exchange_rate, current.rate_date = None, None
        if tax_rate is not None:
            current.tax_rate = Decimal(tax_rate)
        _line_figures(current)
        current.save()
        _totals(invoice)
    return current


def invoice_line_add(
    *,
    actor: User,
    invoice: Invoice,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    unit: str = "",
    tax_rate: Decimal | None = None,
) -> InvoiceLine:
    """Add a line of the user's own to a draft (a fee agreed apart, a discount at a negative price), last, in the
    invoice's currency at ``tax_rate`` (default ``settings.APM_INVOICE_TAX_RATE``). It bills no recorded work.

    Raises ``Refused`` as :func:`invoice_line_update` does.
    """
    with transaction.atomic():
        locked = _locked_draft(invoice, actor)
        last = InvoiceLine.objects.filter(invoice=locked).order_by("-position").values_list("position", flat=True)
        line = InvoiceLine(
            invoice=locked,
            position=(last.first() or 0) + 1,
            kind=LineKind.OTHER,
            description=(description or "").strip(),
            quantity=Decimal(quantity),
            unit=(unit or "").strip(),
            unit_price=Decimal(unit_price),
            tax_rate=Decimal(tax_rate if tax_rate is not None else settings.APM_INVOICE_TAX_RATE),
            currency=locked.currency,
        )
        _line_figures(line)
        line.save(force_insert=True)
        _totals(locked)
    return line


def invoice_line_remove(*, actor: User, line: InvoiceLine) -> None:
    """Remove a draft's line with the work it billed (which is free again for another draft); the totals are added
    up again. Raises ``Refused`` when ``actor`` may not manage the client's invoices or the invoice is issued."""
    with transaction.atomic():
        invoice = _locked_draft(line.invoice, actor)
        current = InvoiceLine.objects.filter(pk=line.pk, invoice=invoice).first()
        if current is None:
            raise Refused("That line was removed meanwhile; reload the page.")
        current.delete()
        _totals(invoice)


def invoice_discard(*, actor: User, invoice: Invoice) -> None:
    """Delete a draft with its lines (the work it held is free for another draft). Raises ``Refused`` when ``actor``
    may not manage the client's invoices or the invoice is issued."""
    with transaction.atomic():
        _locked_draft(invoice, actor).delete()


# --- Issuing --------------------------------------------------------------------------------------------------------


def _number(invoice: Invoice, on: dt.date) -> None:
    """Give ``invoice`` the next number of its kind in ``on``'s year (inside the issuing transaction).

    The sequence's row is created when missing (a second creator waits for the first, then finds it) and locked
    until the transaction ends, so issues of one kind and year queue here and a rolled-back issue takes no number.
    Raises ``Refused`` for a date before the last issue of the kind in that year (numbers follow dates).
    """
    kind = InvoiceKind(invoice.kind)
    InvoiceSequence.objects.bulk_create([InvoiceSequence(kind=kind, year=on.year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(kind=kind, year=on.year)
    prefix = NUMBER_PREFIXES[kind]
    if sequence.last_issued_on is not None and on < sequence.last_issued_on:
        raise Refused(
            f"{prefix} numbers follow their issue dates: {prefix}-{on.year}-{sequence.last_number:04d} was issued on "
            f"{_day(sequence.last_issued_on)}. Issue this one on that day or later."
        )
    sequence.last_number += 1
    sequence.last_issued_on = on
    sequence.save(update_fields=["last_number", "last_issued_on"])
    invoice.year, invoice.sequence = on.year, sequence.last_number
    invoice.number = f"{prefix}-{on.year}-{sequence.last_number:04d}"


def _parties(invoice: Invoice, client: Client) -> None:
    """Copy the buyer's and the seller's details as they stand onto ``invoice``."""
    invoice.buyer_name = client.invoiced_as
    invoice.buyer_address = client.billing_address.strip()
    invoice.buyer_tax_id = client.tax_id.strip()
    invoice.seller_name = settings.APM_COMPANY_LEGAL_NAME
    invoice.seller_address = "\n".join(settings.APM_COMPANY_ADDRESS)
    invoice.seller_tax_id = settings.APM_COMPANY_TAX_ID
    invoice.seller_bank_details = "\n".join(settings.APM_COMPANY_BANK_DETAILS)


def _changed(item: InvoiceItem, entries: dict[int, TimeEntry]) -> str | None:
    """Why ``item``'s work is no longer what the draft billed (None when it is)."""
    if item.time_entry_id is not None:
        entry = entries.get(item.time_entry_id)
        if entry is None:
            return "a time entry was removed"
        if entry.approval != Approval.APPROVED or not entry.billable:
            return f"{entry.member.name}'s time of {_day(entry.date)} is no longer approved billable time"
        if entry.hours != item.quantity or entry.bill_amount != item.amount:
            return f"{entry.member.name}'s time of {_day(entry.date)} changed"
    elif item.expense is not None:
        if not item.expense.billable or item.expense.amount != item.amount:
            return f"the expense of {_day(item.expense.date)} ({item.expense.supplier}) changed"
    elif item.milestone is not None and item.milestone.amount != item.amount:
        return f"the milestone “{item.milestone.name}” changed"
    return None


def _claim(invoice: Invoice) -> None:
    """Claim every item ``invoice``'s lines bill (inside the issuing transaction): ``Refused`` when the work changed
    since the draft, or some of it is already on another issued invoice (found first, or left to the database's
    constraints when two issues race)."""
    items = list(
        InvoiceItem.objects.filter(line__invoice=invoice).select_related("expense", "milestone").order_by("pk")
    )
    # Locked as reopening approved time locks them: an entry is never reopened while an issue claims it.
    entries = {
        entry.pk: entry
        for entry in TimeEntry.objects.select_for_update(of=("self",))
        .filter(pk__in=[item.time_entry_id for item in items if item.time_entry_id is not None])
        .select_related("member")
        .order_by("pk")
    }
    changes = [change for item in items if (change := _changed(item, entries)) is not None]
    if changes:
        raise Refused(f"The work changed since this draft was made ({'; '.join(changes[:3])}): draft it again.")
    taken = Q(time_entry_id__in=[item.time_entry_id for item in items if item.time_entry_id is not None])
    taken |= Q(expense_id__in=[item.expense_id for item in items if item.expense_id is not None])
    taken |= Q(milestone_id__in=[item.milestone_id for item in items if item.milestone_id is not None])
    for item in items:
        if item.retainer_project_id is not None:
            taken |= Q(
                retainer_project_id=item.retainer_project_id,
                retainer_month=item.retainer_month,
                retainer_part=item.retainer_part,
            )
    numbers, _ = invoices_holding(InvoiceItem.objects.filter(taken))
    already = f"Some of this draft's work is already on {', '.join(numbers) or 'another issued invoice'}"
    if numbers:
        raise Refused(f"{already}: draft the invoice again to bill only what is left.")
    try:
        with transaction.atomic():
            InvoiceItem.objects.filter(line__invoice=invoice).update(claimed=True)
    except IntegrityError as race:
        raise Refused(f"{already}: draft the invoice again to bill only what is left.") from race


def invoice_issue(*, actor: User, invoice: Invoice, on: dt.date | None = None) -> Invoice:
    """Issue the draft ``invoice`` on ``on`` (default: today), in one transaction: the next number of the year
    (``INV-2026-0001``), the issue date, the due date (``on`` + the client's payment terms in days), the buyer's and
    seller's details as they stand, and every billed item claimed. From then on it is never edited.

    Raises ``Refused``, taking no number, when ``actor`` may not manage the client's invoices, it is not a draft
    invoice (credit notes are issued by :func:`invoice_credit`), it has no line or a total below zero, the client
    has no billing address, ``on`` is after today or before the last issue of the year, the work billed changed
    since the draft, or some of it is on another issued invoice (also when two drafts of the same work are issued
    at once).
    """
    on = on or timezone.localdate()
    _check_day(on, "An issue date")
    if on > timezone.localdate():
        # Numbers follow issue dates: an invoice dated ahead would hold back every other issue of the year.
        raise Refused("An invoice is issued today or on a day past, not ahead.")
    with transaction.atomic():
        locked = _locked_draft(invoice, actor)
        if locked.kind != InvoiceKind.INVOICE:
            raise Refused("A credit note is issued when it is made.")
        if not InvoiceLine.objects.filter(invoice=locked).exists():
            raise Refused("This draft has no line: add one or discard the draft.")
        if locked.gross_total < 0:
            raise Refused("An invoice's total is not below zero: credit an issued invoice instead.")
        client = Client.objects.get(pk=locked.client_id)
        if not client.billing_address.strip():
            raise Refused(f"Add {client}'s billing address first: an invoice says where it is addressed.")
        _number(locked, on)
        _parties(locked, client)
        locked.issue_date = on
        locked.payment_terms_days = client.payment_terms_days
        locked.due_date = on + dt.timedelta(days=client.payment_terms_days)
        locked.state = InvoiceState.ISSUED
        locked.issued_by = actor
        locked.issued_at = timezone.now()
        locked.save()
        _claim(locked)
    return locked


# --- Settling -------------------------------------------------------------------------------------------------------


def _locked_issued(invoice: Invoice, actor: User) -> Invoice:
    access.manage_invoices.require(actor, invoice.client, _not_allowed(invoice.client))
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise Refused("That invoice is gone; reload the page.")
    if locked.kind != InvoiceKind.INVOICE:
        raise Refused(f"{locked.number} is a credit note: it is final, neither paid nor credited.")
    if locked.state == InvoiceState.DRAFT:
        raise Refused("Issue the invoice first.")
    if locked.state == InvoiceState.VOID:
        raise Refused(f"{locked.number} was credited: it is void.")
    return locked


def invoice_mark_paid(*, actor: User, invoice: Invoice, on: dt.date) -> Invoice:
    """Record that the issued ``invoice`` was paid on ``on``: it becomes paid (who recorded it is kept).

    Raises ``Refused`` when ``actor`` may not manage the client's invoices, the invoice is a draft, already paid or
    void, or ``on`` is before its issue date or after today.
    """
    with transaction.atomic():
        locked = _locked_issued(invoice, actor)
        if locked.state == InvoiceState.PAID:
            raise Refused(f"{locked.number} was paid on {_day(locked.paid_on or on)} already.")
        if locked.issue_date is not None and on < locked.issue_date:
            raise Refused(f"{locked.number} was issued on {_day(locked.issue_date)}: it was paid on that day or later.")
        if on > timezone.localdate():
            raise Refused("A payment is recorded once it has arrived: the date is in the future.")
        locked.state = InvoiceState.PAID
        locked.paid_on = on
        locked.paid_recorded_by = actor
        locked.save(update_fields=["state", "paid_on", "paid_recorded_by", "updated_at"])
    return locked


def invoice_credit(*, actor: User, invoice: Invoice, reason: str, on: dt.date | None = None) -> Invoice:
    """Reverse the issued (or paid) ``invoice`` in full with a credit note issued on ``on`` (default: today); the
    invoice becomes void. Returns the credit note.

    The credit note has its own number (``CN-2026-0001``, its own sequence), a negative copy of every line (the
    quantity negated, the unit price, tax rate and conversion as they were, so each net and tax is exactly the
    line's negated), and ``reason``. The work the invoice billed is **released**: its items are no longer claimed,
    so its time, expenses, milestones and retainer months are billed again by the next draft of their period, as
    accounting expects after a full credit (the work is still owed; a corrected invoice bills it). The void
    invoice keeps its lines and items as the record of what it billed.

    Raises ``Refused`` when ``actor`` may not manage the client's invoices, the invoice is a draft or void already,
    the reason is empty or longer than 1,000 characters, or ``on`` is after today, before the last credit note of
    its year or before the invoice's issue date.
    """
    on = on or timezone.localdate()
    _check_day(on, "A credit note's date")
    if on > timezone.localdate():
        raise Refused("A credit note is issued today or on a day past, not ahead.")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Say why the invoice is credited: the credit note states it.")
    if len(reason) > REASON_CHARS:
        raise Refused(f"A reason has at most {REASON_CHARS:,} characters.")
    with transaction.atomic():
        locked = _locked_issued(invoice, actor)
        if locked.issue_date is not None and on < locked.issue_date:
            raise Refused(f"{locked.number} was issued on {_day(locked.issue_date)}: credit it on that day or later.")
        note = Invoice.objects.create(
            kind=InvoiceKind.CREDIT_NOTE,
            client_id=locked.client_id,
            currency=locked.currency,
            grouping=locked.grouping,
            period_start=locked.period_start,
            period_end=locked.period_end,
            rates_on=locked.rates_on,
            credited_invoice=locked,
            reason=reason,
            created_by=actor,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=note,
                position=line.position,
                kind=line.kind,
                project_id=line.project_id,
                description=line.description,
                quantity=-line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                net=-line.net,
                tax_rate=line.tax_rate,
                tax=-line.tax,
                currency=line.currency,
                source_currency=line.source_currency,
                source_unit_price=line.source_unit_price,
                exchange_rate=line.exchange_rate,
                rate_date=line.rate_date,
            )
            for line in InvoiceLine.objects.filter(invoice=locked).order_by("position", "pk")
        )
        _totals(note)
        _number(note, on)
        _parties(note, Client.objects.get(pk=locked.client_id))
        note.issue_date = on
        note.state = InvoiceState.ISSUED
        note.issued_by = actor
        note.issued_at = timezone.now()
        note.save()
        InvoiceItem.objects.filter(line__invoice=locked, claimed=True).update(claimed=False)
        locked.state = InvoiceState.VOID
        locked.save(update_fields=["state", "updated_at"])
    return note
