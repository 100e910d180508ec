"""The invoice list as CSV or XLSX (``apm.exports.table_response``): the invoices and credit notes the list shows
(``invoice_selectors.invoices_of``: the clients one manages, the same ``?client=`` and ``?state=`` filters), drafts
included, with the list's columns. The CSV for an accounting system, a row per line, is ``invoice_export``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone

from apm.dates import parse_id_param
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.billing import invoice_selectors as selectors

COLUMNS = (
    "Number",
    "Kind",
    "Client",
    "Issued",
    "Due",
    "Currency",
    "Net",
    "Tax",
    "Gross",
    "State",
    "Overdue",
    "Paid on",
)


@login_required
def invoice_list_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """Every invoice of the list with its filters (404 for one who manages no client, as the list)."""
    export_format(fmt)
    if not selectors.managed_clients(request.user).exists():
        raise Http404("No invoices for this login.")
    found = selectors.invoices_of(
        request.user,
        today=timezone.localdate(),
        client_id=parse_id_param(request.GET.get("client")),
        state=request.GET.get("state", ""),
    )
    rows = (
        (
            inv.number or "Draft",
            inv.get_kind_display(),
            inv.client.name,
            inv.issue_date,
            inv.due_date,
            inv.currency,
            inv.net_total,
            inv.tax_total,
            inv.gross_total,
            inv.get_state_display(),
            bool(getattr(inv, "overdue", False)),
            inv.paid_on,
        )
        for inv in found.iterator()
    )
    return table_response(
        rows=rows, columns=COLUMNS, filename=export_filename("invoices", "", fmt), fmt=fmt, sheet="Invoices"
    )
