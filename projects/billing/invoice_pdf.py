"""An invoice or credit note as a PDF: ``templates/invoices/invoice.html`` through the one renderer
(``apm.pdf.html_to_pdf``).

The parties, dates, lines and totals the client is billed, and the bank
details; a draft says on its face that it is not a valid invoice. Nothing
internal: no cost, cost rate, margin or what a draft left out. The same
document for whoever asks (the invoice pages, the portal, the email to the
billing contacts): an issued invoice is never edited, so its PDF never
changes.
"""

from __future__ import annotations

import contextlib

from django.template.loader import render_to_string

from apm.pdf import html_to_pdf
from projects.billing import invoice_selectors as selectors
from projects.models import Invoice


def invoice_pdf_name(invoice: Invoice) -> str:
    """The PDF's file name: ``INV-2026-0001.pdf``; a draft ``draft-invoice-12.pdf``."""
    name = invoice.number or f"draft-{invoice.get_kind_display().lower().replace(' ', '-')}-{invoice.pk}"
    return f"{name}.pdf"


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """``invoice`` rendered as a PDF (two queries: its lines; ``invoice.client`` is read, already selected)."""
    html = render_to_string(
        "invoices/invoice.html",
        {
            "invoice": invoice,
            "lines": selectors.invoice_lines(invoice),
            "parties": selectors.invoice_parties(invoice),
        },
    )
    pdf, _pages = html_to_pdf(html)
    return pdf


def invoice_pdf_document(invoice: Invoice) -> bytes:
    """The PDF to serve for ``invoice``: the one its billing contacts were sent (``Invoice.pdf``, stored at the first
    sending) when there is one, else rendered now (:func:`invoice_pdf_bytes`); a stored file gone missing is
    rendered again rather than failing."""
    if invoice.pdf:
        with contextlib.suppress(FileNotFoundError), invoice.pdf.open("rb") as stored:
            return bytes(stored.read())
    return invoice_pdf_bytes(invoice)
