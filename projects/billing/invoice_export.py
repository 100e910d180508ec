"""Invoices as CSV for an accounting system: one row per line, the invoice's columns repeated on each of its rows,
as Xero, Sage and QuickBooks import them; the lines exported (:func:`export_lines`) are read from the invoices
the list shows (``invoice_selectors.invoices_of``: the clients one manages, the same filters).

Only issued, paid and void invoices and credit notes (a draft is not an
accounting document; a void invoice stays in the books beside the credit
note that reverses it). Dates are ISO (``2026-04-01``); numbers plain
decimals with a dot and no thousands separator (``-1330.00``); every text
cell goes through ``apm.exports.safe_cell``, so a client named
``=HYPERLINK(...)`` stays text in a spreadsheet. The file is UTF-8 with a
byte order mark, which Excel needs to read "Société Générale" right.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apm.exports import safe_cell
from projects.billing.invoice_selectors import invoices_of
from projects.models import InvoiceLine, InvoiceState

if TYPE_CHECKING:
    from apm.access.base import AnyUser

#: The byte order mark that tells Excel the file is UTF-8.
BOM = "\ufeff"

#: The columns, in order.
COLUMNS = (
    "number",
    "kind",
    "state",
    "issue_date",
    "due_date",
    "paid_on",
    "client_legal_name",
    "buyer_tax_id",
    "currency",
    "line_position",
    "description",
    "quantity",
    "unit_price",
    "net",
    "tax_rate",
    "tax",
    "gross",
    "project_code",
    "credited_invoice_number",
)


#: The states an accounting system takes: drafts are not accounting documents.
EXPORTED_STATES = (InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.VOID)


def export_lines(
    user: AnyUser | None, *, today: dt.date, client_id: int | None = None, state: str = ""
) -> QuerySet[InvoiceLine]:
    """The lines of the issued, paid and void invoices and the credit notes among :func:`invoices_of` (same
    filters), each with its invoice, the invoice's client and credited invoice, and its project; by issue date,
    number and position. One query (read it with ``iterator()``)."""
    invoices = invoices_of(user, today=today, client_id=client_id, state=state).filter(state__in=EXPORTED_STATES)
    return (
        InvoiceLine.objects.filter(invoice__in=invoices.values("pk"))
        .select_related("invoice", "invoice__client", "invoice__credited_invoice", "project")
        .order_by("invoice__issue_date", "invoice__number", "position", "pk")
    )


class _Echo:
    """A file that hands back what is written to it, for ``csv.writer`` to make one line at a time."""

    def write(self, value: str) -> str:
        return value


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: Decimal) -> str:
    """A plain decimal with a dot: never an exponent, never a thousands separator."""
    return format(value, "f")


def line_row(line: InvoiceLine) -> list[str]:
    """The cells of one line's row, in :data:`COLUMNS` order (``line.invoice`` with its credited invoice and
    ``line.project`` already selected)."""
    invoice = line.invoice
    credited = invoice.credited_invoice
    return [
        safe_cell(invoice.number),
        safe_cell(invoice.kind),
        safe_cell(invoice.state),
        _day(invoice.issue_date),
        _day(invoice.due_date),
        _day(invoice.paid_on),
        safe_cell(invoice.buyer_name),
        safe_cell(invoice.buyer_tax_id),
        safe_cell(invoice.currency),
        str(line.position),
        safe_cell(line.description),
        _number(line.quantity),
        _number(line.unit_price),
        _number(line.net),
        _number(line.tax_rate),
        _number(line.tax),
        _number(line.gross),
        safe_cell(line.project.code if line.project else ""),
        safe_cell(credited.number if credited is not None else ""),
    ]


def invoice_csv(lines: Iterable[InvoiceLine]) -> Iterator[str]:
    """The CSV file of ``lines``, a line of text at a time: the byte order mark with the header, then a row per
    line."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(COLUMNS)
    for line in lines:
        yield writer.writerow(line_row(line))
