"""Sending an issued invoice or credit note to the client's billing contacts: one outbox email each, with the PDF.

**The PDF** is the legal document the client receives. It is rendered once
(``projects.billing.invoice_pdf``), when the invoice is first sent, and kept
in the default storage (``Invoice.pdf``, under ``invoices/<year>/``); every
later sending attaches the same file and it is never rendered again. The
invoice row takes the file's name by a conditional UPDATE from empty, so two
sendings at once both attach the one that was stored first (the other render
is deleted).

**The recipients** are the client's billing contacts with an address
(:func:`billing_contacts`), each sent an
email of its own (kind ``invoice``, templates ``templates/emails/invoice-*``)
and recorded as an :class:`~projects.models.InvoiceDelivery` with its outbox
message, in one transaction: all of them are queued, or none.

The email names the number, the dates, the gross total and its currency, and
the seller; a credit note says which invoice it credits. Nothing internal: no
cost, cost rate or margin. Every function checks ``access.manage_invoices``
on the client and raises ``apm.errors.Refused`` with the sentence to show.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from apm import access
from apm.errors import Refused
from apm.formatting import format_amount, format_date
from apm.logs import log_ids
from apm.outbox.models import EmailStatus
from apm.outbox.services import AttachmentSpec, email_render, outbox_enqueue, outbox_retry
from projects.billing.invoice_pdf import invoice_pdf_bytes, invoice_pdf_name
from projects.models import Client, ClientContact, Invoice, InvoiceDelivery, InvoiceKind, InvoiceState
from projects.models.invoices import invoice_pdf_path

if TYPE_CHECKING:
    from apm.accounts.models import User

logger = logging.getLogger(__name__)

#: The outbox ``kind`` of an invoice's email.
EMAIL_KIND = "invoice"
#: Where a billing contact with a login finds the client's invoices (the client portal's page).
PORTAL_INVOICES_PATH = "/portal/invoices/"


# --- Reads ----------------------------------------------------------------------------------------------------------


def invoice_deliveries(invoice: Invoice) -> list[InvoiceDelivery]:
    """``invoice``'s sendings, newest first, each with its outbox email and who sent it. One query."""
    return list(
        InvoiceDelivery.objects.filter(invoice=invoice)
        .select_related("email", "sent_by")
        .order_by("-created_at", "-pk")
    )


def billing_contacts(client: Client) -> list[ClientContact]:
    """The contacts of ``client`` ticked as billing contacts that have an email address, by name, each with its
    login (``user``, None without one). One query."""
    contacts = ClientContact.objects.filter(client=client, billing_contact=True).exclude(email="")
    return [contact for contact in contacts.select_related("user").order_by("name", "pk") if contact.email.strip()]


# --- Sending --------------------------------------------------------------------------------------------------------


def _not_allowed(invoice: Invoice) -> str:
    return f"You do not manage {invoice.client}'s invoices."


def _refuse_unless_sendable(invoice: Invoice) -> None:
    """``Refused`` for a draft (not a valid invoice yet) and a void invoice (its credit note is what is sent)."""
    if invoice.state == InvoiceState.DRAFT:
        raise Refused("A draft is not sent: issue it first.")
    if invoice.state == InvoiceState.VOID:
        raise Refused(f"{invoice.number} was credited: it is void. Send its credit note instead.")


def invoice_pdf_stored(invoice: Invoice) -> str:
    """The name in the default storage of the issued ``invoice``'s PDF: the stored one, else rendered now
    (``invoice_pdf_bytes``), stored under ``invoices/<year>/`` and recorded on the invoice.

    Recorded by a conditional UPDATE (the invoice not a draft, its ``pdf`` still empty): when another sending
    stored one meanwhile, that one is kept and this render's file deleted, so an invoice has one PDF. Raises
    ``Refused`` for a draft (whose PDF says it is not a valid invoice, and is never stored).
    """
    stored = Invoice.objects.filter(pk=invoice.pk).values_list("pdf", flat=True).first()
    if stored:
        invoice.pdf.name = stored
        return stored
    if invoice.state == InvoiceState.DRAFT:
        raise Refused("A draft's PDF is not kept: issue it first.")
    name = default_storage.save(
        invoice_pdf_path(invoice, invoice_pdf_name(invoice)), ContentFile(invoice_pdf_bytes(invoice))
    )
    recorded = Invoice.objects.filter(pk=invoice.pk, pdf="").exclude(state=InvoiceState.DRAFT).update(pdf=name)
    if not recorded:
        default_storage.delete(name)
        name = Invoice.objects.filter(pk=invoice.pk).values_list("pdf", flat=True).get()
    invoice.pdf.name = name
    return name


def portal_invoices_url() -> str:
    """The absolute address of the client portal's invoices page: ``settings.APM_SITE_URL`` + ``/portal/invoices/``."""
    return settings.APM_SITE_URL.rstrip("/") + PORTAL_INVOICES_PATH


def _email_context(invoice: Invoice, contact: ClientContact) -> dict[str, Any]:
    """What ``templates/emails/invoice-*`` say to ``contact``: the client's figures only."""
    credited = invoice.credited_invoice if invoice.kind == InvoiceKind.CREDIT_NOTE else None
    user = contact.user
    return {
        "name": contact.name,
        "credit_note": credited is not None,
        "what": invoice.get_kind_display().lower(),
        "number": invoice.number,
        "issue_date": format_date(invoice.issue_date),
        "due_date": format_date(invoice.due_date) if invoice.due_date and credited is None else "",
        "gross": format_amount(invoice.gross_total, invoice.currency),
        "currency": invoice.currency,
        "credited_number": credited.number if credited is not None else "",
        "credited_date": format_date(credited.issue_date) if credited is not None else "",
        "portal_url": portal_invoices_url() if user is not None and user.is_active else "",
        "seller": invoice.seller_name,
        "buyer": invoice.buyer_name,
    }


def invoice_send(*, actor: User, invoice: Invoice) -> list[InvoiceDelivery]:
    """Email the issued (or paid) ``invoice``, or a credit note, to each billing contact of its client with an
    address, the stored PDF attached (:func:`invoice_pdf_stored`): one outbox email and one ``InvoiceDelivery``
    per contact, queued in one transaction. Sending again sends again (a new row each). Returns the new rows.

    Raises ``Refused`` when ``actor`` may not manage the client's invoices, the invoice is a draft or void, or
    the client has no billing contact with an address; nothing is queued then.
    """
    access.manage_invoices.require(actor, invoice.client, _not_allowed(invoice))
    _refuse_unless_sendable(invoice)
    contacts = billing_contacts(invoice.client)
    if not contacts:
        client = invoice.client
        raise Refused(
            f"{client} has no billing contact: tick 'billing contact' on a contact of {client} with an email "
            f"address, then send {invoice.number} again."
        )
    pdf_name = invoice_pdf_stored(invoice)
    attachment = AttachmentSpec(filename=invoice_pdf_name(invoice), storage_name=pdf_name, mimetype="application/pdf")
    made: list[InvoiceDelivery] = []
    with transaction.atomic():
        locked = Invoice.objects.select_for_update(of=("self",)).select_related("credited_invoice").get(pk=invoice.pk)
        _refuse_unless_sendable(locked)  # credited meanwhile
        locked.client = invoice.client
        for contact in contacts:
            email = outbox_enqueue(
                kind=EMAIL_KIND,
                to=[contact.email],
                **email_render("invoice", _email_context(locked, contact)),
                attachments=[attachment],
            )
            made.append(
                InvoiceDelivery.objects.create(
                    invoice=locked, email=email, address=contact.email.strip(), name=contact.name[:200], sent_by=actor
                )
            )
    for delivery in made:
        logger.info(
            "Invoice %s sent to a billing contact as email %s",
            invoice.number,
            delivery.email_id,
            extra=log_ids(email_id=delivery.email_id),
        )
    return made


def invoice_deliveries_retry(*, actor: User, invoice: Invoice) -> int:
    """Queue again each sending of ``invoice`` whose email failed (``outbox_retry``: same message, tries reset).
    Returns how many were queued again (0: none had failed). Raises ``Refused`` when ``actor`` may not manage the
    client's invoices."""
    access.manage_invoices.require(actor, invoice.client, _not_allowed(invoice))
    failed = InvoiceDelivery.objects.filter(invoice=invoice, email__status=EmailStatus.FAILED)
    return sum(outbox_retry(email_id=email_id) for email_id in failed.values_list("email_id", flat=True))
