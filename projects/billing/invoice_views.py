"""Invoice pages: the list of the invoices one manages and its CSV export, a new draft, an invoice (or credit note)
with its lines and its actions: edit, add and remove lines, discard or issue a draft; record the payment of an
issued invoice, or credit it; email it to the client's billing contacts; and its PDF.

Thin: reads go through ``projects.billing.invoice_selectors``, writes
through ``projects.billing.invoices`` and ``projects.billing.invoice_delivery``. Every page looks the invoice up among
those of the clients the user manages (``access.manage_invoices``): any
other invoice, a line of another invoice and an id that is no id answer 404,
never a 403 that would confirm it exists. A form that does not validate and
a service's refusal both show the invoice page again (200) with the reason on
the form, nothing changed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm.actions import refusal_on_form, refusal_shown
from apm.dates import parse_id_param
from apm.errors import Refused
from apm.formatting import format_amount, format_date
from apm.http import AuthenticatedHttpRequest
from apm.outbox.models import EmailStatus
from apm.paging import page_of
from projects.billing import invoice_delivery as delivery
from projects.billing import invoice_forms as forms
from projects.billing import invoice_selectors as selectors
from projects.billing import invoices as services
from projects.billing.invoice_export import export_lines, invoice_csv
from projects.billing.invoice_pdf import invoice_pdf_document, invoice_pdf_name
from projects.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState

logger = logging.getLogger(__name__)

#: Invoices a page of the list.
PAGE_SIZE = 50
#: Lines the CSV export reads from the database at a time.
EXPORT_CHUNK = 2000


def _url(invoice: Invoice, anchor: str = "") -> str:
    return reverse("projects:invoice", args=[invoice.pk]) + (f"#{anchor}" if anchor else "")


def _invoice_or_404(request: AuthenticatedHttpRequest, pk: Any) -> Invoice:
    invoice = selectors.invoice_for(request.user, pk, today=timezone.localdate())
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def _line_or_404(invoice: Invoice, pk: Any) -> InvoiceLine:
    line = selectors.invoice_line(invoice, pk)
    if line is None:
        raise Http404("No such line.")
    line.invoice = invoice
    return line


def _name(invoice: Invoice) -> str:
    return invoice.number or "The draft"


@login_required
def invoice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The invoices and credit notes of the clients the user manages (404 for one who manages none), newest first,
    fifty a page: ``?client=`` (an id) and ``?state=`` (a state or "overdue") filter. Overdue invoices are marked.

    Four queries whatever the number of rows: the session and the user, the clients, the page's invoices with
    their clients, and their count.
    """
    clients = list(selectors.managed_clients(request.user))
    if not clients:
        raise Http404("No invoices for this login.")
    client_id = parse_id_param(request.GET.get("client"))
    state = request.GET.get("state", "")
    today = timezone.localdate()
    found = selectors.invoices_of(request.user, today=today, client_id=client_id, state=state)
    page, query = page_of(request, found, PAGE_SIZE)
    return render(
        request,
        "projects/billing/invoices.html",
        {
            "page": page,
            "query": query,
            "clients": clients,
            "client_id": client_id,
            "state": state,
            "states": selectors.STATE_FILTERS,
            "filtered": client_id is not None or state != "",
        },
    )


@login_required
def invoice_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """The list's issued, paid and void invoices and credit notes as CSV for an accounting system
    (``projects.billing.invoice_export``), same ``?client=`` and ``?state=`` filters; drafts never. 404 for one
    who manages no client. Streamed: the lines are read a chunk at a time."""
    if not selectors.managed_clients(request.user).exists():
        raise Http404("No invoices for this login.")
    today = timezone.localdate()
    lines = export_lines(
        request.user,
        today=today,
        client_id=parse_id_param(request.GET.get("client")),
        state=request.GET.get("state", ""),
    )
    response = StreamingHttpResponse(
        invoice_csv(lines.iterator(chunk_size=EXPORT_CHUNK)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="invoices-{today.isoformat()}.csv"'
    return response


@login_required
def invoice_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new draft (``InvoiceDraftForm``) for a client the user manages (404 for one who manages none): POST drafts
    it from the work of the period and shows it; a bad value or a refusal (nothing to bill, a missing exchange rate)
    shows the form again with the reason, nothing made."""
    clients = list(selectors.managed_clients(request.user))
    if not clients:
        raise Http404("No invoices for this login.")
    today = timezone.localdate()
    form = forms.InvoiceDraftForm(request.POST if request.method == "POST" else None, clients=clients, today=today)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            invoice = services.invoice_draft(actor=request.user, **form.draft_values())
            messages.success(
                request,
                f"Draft invoice to {invoice.client} of {format_date(invoice.period_start)} to "
                f"{format_date(invoice.period_end)}: {format_amount(invoice.gross_total, invoice.currency)} gross. "
                "Check the lines, then issue it.",
            )
            return redirect(_url(invoice))
    return render(request, "projects/billing/invoice_new.html", {"form": form})


def _page(request: AuthenticatedHttpRequest, invoice: Invoice, **bound: Any) -> HttpResponse:
    """The invoice page, with the forms of its state: ``bound`` replaces one by a form that failed (shown with its
    errors). Four queries: the session and the user, the invoice with its client and credit links, its lines."""
    today = timezone.localdate()
    draft = invoice.is_draft
    deliveries = [] if draft else delivery.invoice_deliveries(invoice)
    settles = invoice.kind == InvoiceKind.INVOICE and invoice.state in (InvoiceState.ISSUED, InvoiceState.PAID)
    context: dict[str, Any] = {
        "invoice": invoice,
        "lines": selectors.invoice_lines(invoice),
        "parties": selectors.invoice_parties(invoice),
        "credit_note": getattr(invoice, "credit_note", None),
        "line_form": forms.InvoiceLineForm(tax_rate=settings.APM_INVOICE_TAX_RATE) if draft else None,
        "issue_form": forms.InvoiceIssueForm(initial={"issue_date": today}) if draft else None,
        "paid_form": forms.InvoicePaidForm(initial={"paid_on": today})
        if settles and invoice.state == InvoiceState.ISSUED
        else None,
        "credit_form": forms.InvoiceCreditForm() if settles else None,
        "deliveries": deliveries,
        "sendable": invoice.state in (InvoiceState.ISSUED, InvoiceState.PAID),
        "failed_sendings": any(d.email is not None and d.email.status == EmailStatus.FAILED for d in deliveries),
    }
    context.update(bound)
    return render(request, "projects/billing/invoice.html", context)


@login_required
def invoice_page(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """An invoice or a credit note: the parties, dates and state, its lines and totals, the actions of its state (a
    draft: its lines, discard, issue; an issued invoice: paid, credit, send) and its sendings to billing contacts."""
    return _page(request, _invoice_or_404(request, pk))


@login_required
def invoice_pdf(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """The invoice or credit note as a PDF: the one sent to the billing contacts once it was sent (stored, as they
    received it), else rendered on request (``projects.billing.invoice_pdf``)."""
    invoice = _invoice_or_404(request, pk)
    response = HttpResponse(invoice_pdf_document(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_pdf_name(invoice)}"'
    return response


@login_required
@require_POST
def invoice_line_add(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: a line of the user's own on a draft (``InvoiceLineForm``, prefix ``line``)."""
    invoice = _invoice_or_404(request, pk)
    form = forms.InvoiceLineForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            line = services.invoice_line_add(actor=request.user, invoice=invoice, **form.cleaned_data)
            messages.success(request, f"Line “{line.description}” added.")
            return redirect(_url(invoice, "lines"))
    return _page(request, invoice, line_form=form)


@login_required
def invoice_line_edit(request: AuthenticatedHttpRequest, pk: str, line: str) -> HttpResponse:
    """A draft's line: its form (GET), saved (POST) back to the invoice; an issued invoice's line is shown, not
    edited (the service refuses)."""
    invoice = _invoice_or_404(request, pk)
    current = _line_or_404(invoice, line)
    form = forms.InvoiceLineForm(request.POST if request.method == "POST" else None, line=current)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            services.invoice_line_update(actor=request.user, line=current, **form.cleaned_data)
            messages.success(request, f"Line {current.position} saved.")
            return redirect(_url(invoice, "lines"))
    return render(request, "projects/billing/invoice_line.html", {"invoice": invoice, "line": current, "form": form})


@login_required
@require_POST
def invoice_line_remove(request: AuthenticatedHttpRequest, pk: str, line: str) -> HttpResponse:
    """POST: remove a draft's line (its work is free for another draft)."""
    invoice = _invoice_or_404(request, pk)
    current = _line_or_404(invoice, line)
    with refusal_shown(request, failed="Line not removed."):
        services.invoice_line_remove(actor=request.user, line=current)
        messages.success(request, f"Line “{current.description}” removed; its work is free for another draft.")
    return redirect(_url(invoice, "lines"))


def _send(request: AuthenticatedHttpRequest, invoice: Invoice, *, not_sent: str) -> None:
    """Email ``invoice`` to its client's billing contacts; a refusal is a warning after ``not_sent``."""
    try:
        made = delivery.invoice_send(actor=request.user, invoice=invoice)
    except Refused as refused:
        messages.warning(request, f"{not_sent} {refused.message}")
        return
    names = ", ".join(f"{sent.name} <{sent.address}>" if sent.name else sent.address for sent in made)
    messages.success(request, f"{invoice.number} queued for {names}, with its PDF.")


def _send_issued(request: AuthenticatedHttpRequest, issued: Invoice) -> None:
    """Email the invoice just issued; nothing the sending raises undoes the issue, committed already."""
    not_sent = f"{issued.number} was issued but not sent:"
    try:
        _send(request, issued, not_sent=not_sent)
    except Exception:  # the PDF or the storage failed: shown and logged, the issue stands
        logger.exception("Invoice %s issued but not sent", issued.number)
        messages.warning(request, f"{not_sent} its PDF could not be made. Send it again from its page.")


@login_required
@require_POST
def invoice_issue(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: issue the draft on the date given (``InvoiceIssueForm``): it takes its number and is never edited
    again; with the box ticked it is then emailed to the billing contacts. The issue stands whatever the sending
    does: a sending refused (no billing contact) or failing is a warning on the issued invoice's page."""
    invoice = _invoice_or_404(request, pk)
    form = forms.InvoiceIssueForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            issued = services.invoice_issue(actor=request.user, invoice=invoice, on=form.cleaned_data["issue_date"])
            due = f", due on {format_date(issued.due_date)}" if issued.due_date else ""
            messages.success(request, f"{issued.number} issued on {format_date(issued.issue_date)}{due}.")
            if form.cleaned_data["send"]:
                _send_issued(request, issued)
            return redirect(_url(issued))
    return _page(request, invoice, issue_form=form)


@login_required
@require_POST
def invoice_paid(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: the issued invoice was paid on the date given (``InvoicePaidForm``)."""
    invoice = _invoice_or_404(request, pk)
    form = forms.InvoicePaidForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            paid = services.invoice_mark_paid(actor=request.user, invoice=invoice, on=form.cleaned_data["paid_on"])
            messages.success(request, f"{paid.number} paid on {format_date(paid.paid_on)}.")
            return redirect(_url(paid))
    return _page(request, invoice, paid_form=form)


@login_required
@require_POST
def invoice_credit(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: reverse the issued invoice in full with a credit note (``InvoiceCreditForm``), shown next; the
    invoice becomes void and its work is free for a corrected invoice."""
    invoice = _invoice_or_404(request, pk)
    form = forms.InvoiceCreditForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            note = services.invoice_credit(
                actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"], on=form.cleaned_data["on"]
            )
            messages.success(
                request,
                f"{note.number} credits {invoice.number} in full; {invoice.number} is void and its work can be "
                "invoiced again.",
            )
            return redirect(_url(note))
    return _page(request, invoice, credit_form=form)


@login_required
@require_POST
def invoice_send(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: email the issued invoice or credit note to the client's billing contacts (again), with its PDF; a
    refusal (a draft, a void invoice, no billing contact) is a message, nothing queued."""
    invoice = _invoice_or_404(request, pk)
    _send(request, invoice, not_sent="Not sent:")
    return redirect(_url(invoice, "sendings"))


@login_required
@require_POST
def invoice_send_retry(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: queue again the invoice's sendings whose email failed (the same messages, tries reset)."""
    invoice = _invoice_or_404(request, pk)
    with refusal_shown(request, failed="Not queued again."):
        again = delivery.invoice_deliveries_retry(actor=request.user, invoice=invoice)
        if again:
            messages.success(request, f"{again} failed email{'s' if again != 1 else ''} queued again.")
        else:
            messages.info(request, "No sending of this invoice has failed: nothing to queue again.")
    return redirect(_url(invoice, "sendings"))


@login_required
@require_POST
def invoice_discard(request: AuthenticatedHttpRequest, pk: str) -> HttpResponse:
    """POST: delete the draft with its lines (its work is free for another draft); back to the list."""
    invoice = _invoice_or_404(request, pk)
    with refusal_shown(request, failed="Not discarded."):
        services.invoice_discard(actor=request.user, invoice=invoice)
        messages.success(request, f"Draft invoice to {invoice.client} discarded; its work is free for another draft.")
        return redirect("projects:invoices")
    return redirect(_url(invoice))
