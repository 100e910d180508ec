"""Reads of the invoice pages: the invoices a user may manage (filtered, overdue marked), one invoice with its
lines, and the seller's and buyer's details an invoice shows.

Every read starts from the policy: the clients ``access.manage_invoices``
gives the user, so an invoice of any other client is never found (a 404 for
the views). Reads only; the writes are ``projects.billing.invoices``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from apm import access
from apm.dates import parse_id_param
from projects.models import Client, Invoice, InvoiceKind, InvoiceLine, InvoiceState

if TYPE_CHECKING:
    from apm.access.base import AnyUser

#: The list's state filter: the states, and "overdue" (issued, due before today, unpaid).
OVERDUE = "overdue"
STATE_FILTERS: tuple[tuple[str, str], ...] = (*InvoiceState.choices, (OVERDUE, "Overdue"))


def overdue_q(today: dt.date) -> Q:
    """An invoice is overdue when it is issued (not paid, not void) and its due date is before ``today``."""
    return Q(kind=InvoiceKind.INVOICE, state=InvoiceState.ISSUED, due_date__lt=today)


def managed_clients(user: AnyUser | None) -> QuerySet[Client]:
    """The clients whose invoices ``user`` manages (``access.manage_invoices``), by name."""
    return access.manage_invoices.queryset(user).order_by("name", "pk")


def invoices_of(
    user: AnyUser | None, *, today: dt.date, client_id: int | None = None, state: str = ""
) -> QuerySet[Invoice]:
    """The invoices and credit notes of the clients ``user`` manages, newest first, each with its client and
    ``overdue`` (bool): of ``client_id`` only, of the state ``state`` only (a value of :data:`STATE_FILTERS`;
    anything else is no filter). One query for a page of them."""
    found = (
        Invoice.objects.filter(client__in=access.manage_invoices.queryset(user))
        .select_related("client")
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
        .order_by("-issue_date", "-created_at", "-pk")
    )
    if client_id is not None:
        found = found.filter(client_id=client_id)
    if state == OVERDUE:
        found = found.filter(overdue_q(today))
    elif state in InvoiceState.values:
        found = found.filter(state=state)
    return found


def invoice_for(user: AnyUser | None, pk: Any, *, today: dt.date) -> Invoice | None:
    """The invoice ``pk`` if ``user`` manages its client's invoices (with its client, the invoice it credits and
    its credit note, and ``overdue``), else None; a ``pk`` that is no database id is None too. One query."""
    number = parse_id_param(str(pk))
    if number is None:
        return None
    return (
        invoices_of(user, today=today)
        .select_related("client", "credited_invoice", "credit_note")
        .filter(pk=number)
        .first()
    )


def overdue_on_desk(
    user: AnyUser | None, projects: frozenset[int], *, today: dt.date, money_of: frozenset[int] | None = None
) -> list[Invoice]:
    """The overdue invoices (:func:`overdue_q`) billing one of ``projects`` whose money ``user`` may see
    (``access.see_money``; ``money_of``: those of ``projects``, when the caller has asked already), longest
    overdue first, each with its client and ``managed``: whether ``user`` manages the client's invoices
    (``access.manage_invoices``: the invoice's page opens). One query for the projects whose money is shown
    (none with ``money_of``), one for the invoices (none without projects) and one for ``managed`` when there
    are some.

    A desk's projects are those the user runs; an invoice may bill other projects of the client too. Its
    number, client, due date and total are what the client is sent, not internal money, but they are money all
    the same: whoever may not see a project's money never sees its invoices.
    """
    if money_of is None:
        money = access.see_money.ids(user) if projects else frozenset()
        money_of = projects if money is None else projects & money
    if not money_of:
        return []
    found = list(
        Invoice.objects.filter(
            overdue_q(today), pk__in=InvoiceLine.objects.filter(project_id__any=money_of).values("invoice_id")
        )
        .select_related("client")
        .order_by("due_date", "number", "pk")
    )
    if found:
        # Asked of these few clients only: the rule's clients as a subquery of the invoices' query cost more to
        # plan than the query itself.
        managed = set(
            access.manage_invoices.queryset(user)
            .filter(pk__in={invoice.client_id for invoice in found})
            .values_list("pk", flat=True)
        )
        for invoice in found:
            invoice.managed = invoice.client_id in managed  # type: ignore[attr-defined]
    return found


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    """``invoice``'s lines in their order, each with its project. One query."""
    return list(InvoiceLine.objects.filter(invoice=invoice).select_related("project").order_by("position", "pk"))


def invoice_line(invoice: Invoice, pk: Any) -> InvoiceLine | None:
    """The line ``pk`` of ``invoice`` (None for another invoice's line or no database id)."""
    number = parse_id_param(str(pk))
    return None if number is None else InvoiceLine.objects.filter(invoice=invoice, pk=number).first()


@dataclass(frozen=True)
class Party:
    """A seller or a buyer as an invoice names them: name, address lines, tax identifier."""

    name: str
    address: list[str]
    tax_id: str


@dataclass(frozen=True)
class Parties:
    """Both parties, and whether they are the invoice's own copies (``kept``: issued) or the details as they stand
    now (a draft: copied when it is issued)."""

    seller: Party
    buyer: Party
    bank_details: list[str]
    kept: bool


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def invoice_parties(invoice: Invoice) -> Parties:
    """Who sells and who buys on ``invoice``: its copies once issued, else the settings' seller and the client's
    billing details as they stand (``invoice.client`` is read, already selected)."""
    if not invoice.is_draft:
        return Parties(
            seller=Party(invoice.seller_name, _lines(invoice.seller_address), invoice.seller_tax_id),
            buyer=Party(invoice.buyer_name, _lines(invoice.buyer_address), invoice.buyer_tax_id),
            bank_details=_lines(invoice.seller_bank_details),
            kept=True,
        )
    client = invoice.client
    return Parties(
        seller=Party(settings.APM_COMPANY_LEGAL_NAME, list(settings.APM_COMPANY_ADDRESS), settings.APM_COMPANY_TAX_ID),
        buyer=Party(client.invoiced_as, _lines(client.billing_address), client.tax_id.strip()),
        bank_details=list(settings.APM_COMPANY_BANK_DETAILS),
        kept=False,
    )
