"""Invoices leave APM: emailed to the client's billing contacts with the PDF (rendered once, stored, attached to
every sending), listed on the invoice's page with their outbox status; refused for a draft, a void invoice and a
client without a billing contact (the issue stands); and exported as CSV for an accounting system, formula-safe,
of the clients one manages only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils.html import strip_tags
from pypdf import PdfReader

from apm.errors import Refused
from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.services import outbox_send
from projects.billing import invoice_delivery
from projects.billing.invoice_delivery import invoice_send
from projects.billing.invoices import invoice_credit, invoice_draft, invoice_issue
from projects.models import Invoice, InvoiceDelivery, InvoiceKind, InvoiceLine, InvoiceState
from tests import factories
from tests.test_html import Page, problems

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("april_2", "published")]

D = dt.date
EXPORT = "/projects/invoices/export.csv"


@pytest.fixture
def billing(world, acme):
    """Acme's billing contacts: Ann Client (who has a portal login) and Bea Books (who has none); Carl Other, a
    contact who is not a billing contact, gets nothing."""
    ann = acme.contacts.get(email="ann@acme.example")
    ann.billing_contact = True
    ann.save()
    bea = factories.ClientContactFactory(client=acme, name="Bea Books", email="bea@acme.example", billing_contact=True)
    factories.ClientContactFactory(client=acme, name="Carl Other", email="carl@acme.example", billing_contact=False)
    return {"ann": ann, "bea": bea}


def _issued(head, acme) -> Invoice:
    draft = invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    return invoice_issue(actor=head, invoice=draft, on=D(2026, 4, 1))


def _url(invoice, *rest: str) -> str:
    return f"/projects/invoices/{invoice.pk}/" + "".join(f"{part}/" for part in rest)


def _browser(client, user):
    client.force_login(user)
    return client


def _sent() -> list:
    """Send every queued outbox email; the messages that left, by recipient."""
    for pk in OutboundEmail.objects.filter(status=EmailStatus.QUEUED).values_list("pk", flat=True):
        outbox_send(email_id=pk)
    return sorted(mail.outbox, key=lambda message: message.to[0])


def _text(data: bytes) -> str:
    return " ".join("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages).split())


# --- Sending ---------------------------------------------------------------------------------------------------------


def test_it_emails_an_issued_invoice_to_each_billing_contact_with_its_pdf(
    client, march, acme, billing, users, settings
):
    settings.APM_SITE_URL = "https://apm.example"
    head = users["head"]
    draft = invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    browser = _browser(client, head)
    assert 'name="issue-send"' in browser.get(_url(draft)).content.decode()
    issued = browser.post(_url(draft, "issue"), {"issue-issue_date": "2026-04-01", "issue-send": "on"}, follow=True)
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.ISSUED
    shown = issued.content.decode()
    assert "INV-2026-0001 queued for Ann Client &lt;ann@acme.example&gt;, Bea Books &lt;bea@acme.example&gt;" in shown
    emails = OutboundEmail.objects.order_by("pk")
    assert [(email.kind, email.to) for email in emails] == [
        ("invoice", ["ann@acme.example"]),
        ("invoice", ["bea@acme.example"]),
    ]
    assert invoice.pdf.name == "invoices/2026/INV-2026-0001.pdf"
    assert {(d.address, d.name, d.sent_by_id) for d in InvoiceDelivery.objects.all()} == {
        ("ann@acme.example", "Ann Client", head.pk),
        ("bea@acme.example", "Bea Books", head.pk),
    }
    assert 'id="invoice-sendings"' in shown
    assert "Send again" in shown
    assert problems(Page(shown)) == []

    ann, bea = _sent()
    assert len(mail.outbox) == 2  # Carl, no billing contact, got nothing
    assert bea.subject == f"Invoice INV-2026-0001 from {invoice.seller_name}"
    for message in (ann, bea):
        body = message.body
        for said in ("INV-2026-0001", "1 Apr 2026", "due on 1 May 2026", "£1,596.00", "GBP", "The PDF is attached"):
            assert said in body, said
            assert said in strip_tags(message.alternatives[0][0]), said
        assert invoice.seller_name in body
        for never in ("55.00", "770.00", "cost", "Cost", "margin", "Margin"):
            assert never not in body, never
        [(filename, data, mimetype)] = message.attachments
        assert (filename, mimetype) == ("INV-2026-0001.pdf", "application/pdf")
        text = _text(data)
        assert "Invoice INV-2026-0001" in text
        assert "£1,596.00" in text
        for never in ("55.00", "770.00", "cost", "margin", "DRAFT"):
            assert never not in text, never
    assert "Hello Ann Client" in ann.body
    assert "Hello Bea Books" in bea.body
    assert "https://apm.example/portal/invoices/" in ann.body
    assert 'href="https://apm.example/portal/invoices/"' in ann.alternatives[0][0]
    assert "/portal/invoices/" not in bea.body  # no login, no portal

    page = browser.get(_url(invoice)).content.decode()
    assert page.count('text-bg-success">Sent') == 2


def test_a_second_sending_attaches_the_stored_pdf_never_rendered_again(
    client, march, acme, billing, users, monkeypatch
):
    head = users["head"]
    invoice = _issued(head, acme)
    first = invoice_send(actor=head, invoice=invoice)
    stored = Invoice.objects.get().pdf
    with default_storage.open(stored.name, "rb") as handle:
        original = handle.read()

    def never(_invoice):
        raise AssertionError("an issued invoice's stored PDF is rendered again")

    monkeypatch.setattr(invoice_delivery, "invoice_pdf_bytes", never)
    again = invoice_send(actor=head, invoice=Invoice.objects.get())
    assert len(first) == len(again) == 2
    assert InvoiceDelivery.objects.count() == 4
    names = {attachment.file.name for email in OutboundEmail.objects.all() for attachment in email.attachments.all()}
    assert names == {stored.name}
    sent = _sent()
    assert len(sent) == 4
    assert {message.attachments[0][1] for message in sent} == {original}
    monkeypatch.setattr("projects.billing.invoice_pdf.invoice_pdf_bytes", never)
    shown = _browser(client, head).get(_url(invoice, "pdf"))
    assert shown.content == original  # the invoice's page offers the PDF the client received


def test_a_credit_note_says_it_is_one_and_what_it_credits(march, acme, billing, users):
    head = users["head"]
    invoice = _issued(head, acme)
    note = invoice_credit(actor=head, invoice=invoice, reason="Wrong rate")
    invoice_send(actor=head, invoice=note)
    ann, _bea = _sent()
    assert ann.subject.startswith("Credit note CN-2026-0001 crediting invoice INV-2026-0001 from ")
    assert "credit note CN-2026-0001" in ann.body
    assert "credits invoice INV-2026-0001 of 1 Apr 2026 in full: -£1,596.00" in ann.body
    assert "due on" not in ann.body
    assert ann.attachments[0][0] == "CN-2026-0001.pdf"
    assert "Credit note CN-2026-0001" in _text(ann.attachments[0][1])


def test_a_paid_invoice_is_sent_a_draft_and_a_void_one_are_not(client, march, acme, billing, users):
    head = users["head"]
    draft = invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    with pytest.raises(Refused, match="A draft is not sent: issue it first"):
        invoice_send(actor=head, invoice=draft)
    browser = _browser(client, head)
    refused = browser.post(_url(draft, "send"), follow=True).content.decode()
    assert "Not sent: A draft is not sent" in refused
    assert not OutboundEmail.objects.exists()
    assert "Send to billing contacts" not in refused

    invoice = invoice_issue(actor=head, invoice=draft, on=D(2026, 4, 1))
    assert "Send to billing contacts" in browser.get(_url(invoice)).content.decode()
    invoice_credit(actor=head, invoice=invoice, reason="Wrong rate")
    with pytest.raises(Refused, match="INV-2026-0001 was credited: it is void"):
        invoice_send(actor=head, invoice=Invoice.objects.get(pk=invoice.pk))
    assert not OutboundEmail.objects.exists()
    assert not Invoice.objects.get(pk=invoice.pk).pdf


def test_without_a_billing_contact_the_invoice_is_issued_and_not_sent(client, march, acme, users):
    head = users["head"]
    draft = invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    browser = _browser(client, head)
    issued = browser.post(_url(draft, "issue"), {"issue-issue_date": "2026-04-01", "issue-send": "on"}, follow=True)
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.ISSUED
    shown = issued.content.decode()
    assert "INV-2026-0001 issued on 1 Apr 2026" in shown
    assert (
        "INV-2026-0001 was issued but not sent: Acme has no billing contact: tick &#x27;billing contact&#x27; on a "
        "contact of Acme" in shown
    )
    assert 'alert-warning" role="alert">INV-2026-0001 was issued but not sent' in shown
    assert not OutboundEmail.objects.exists()
    assert not InvoiceDelivery.objects.exists()
    assert not invoice.pdf
    assert "Not sent yet" in shown


def test_an_unticked_box_issues_without_sending(client, march, acme, billing, users):
    browser = _browser(client, users["head"])
    draft = invoice_draft(actor=users["head"], client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    browser.post(_url(draft, "issue"), {"issue-issue_date": "2026-04-01"})
    assert Invoice.objects.get().state == InvoiceState.ISSUED
    assert not OutboundEmail.objects.exists()


def test_a_failed_email_is_shown_and_queued_again(client, march, acme, billing, users):
    head = users["head"]
    invoice = _issued(head, acme)
    invoice_send(actor=head, invoice=invoice)
    failed = OutboundEmail.objects.get(to=["bea@acme.example"])
    OutboundEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, tries=5, last_error="550 No mailbox")
    browser = _browser(client, head)
    page = browser.get(_url(invoice)).content.decode()
    assert 'text-bg-danger">Failed' in page
    assert "550 No mailbox" in page
    assert "Retry the failed emails" in page
    response = browser.post(_url(invoice, "send", "retry"), follow=True)
    assert "1 failed email queued again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.tries) == (EmailStatus.QUEUED, 0)
    again = browser.post(_url(invoice, "send", "retry"), follow=True)
    assert "nothing to queue again" in again.content.decode()


@pytest.mark.parametrize("who", ["member", "client_user", "pm", "outside_head"])
def test_who_may_not_manage_the_client_gets_404_and_nothing_is_sent(client, march, acme, billing, users, who):
    invoice = _issued(users["head"], acme)
    browser = _browser(client, users[who])
    for url in (_url(invoice, "send"), _url(invoice, "send", "retry")):
        assert browser.post(url).status_code == 404, url
        assert browser.get(url).status_code in (404, 405), url
    with pytest.raises(Refused, match="You do not manage Acme's invoices"):
        invoice_send(actor=users[who], invoice=invoice)
    assert not OutboundEmail.objects.exists()


def test_junk_posted_never_answers_500(client, march, acme, billing, users):
    head = users["head"]
    browser = _browser(client, head)
    draft = invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))
    for value in ("maybe", "\x00", "0" * 5000):
        response = browser.post(_url(draft, "issue"), {"issue-issue_date": "2026-13-01", "issue-send": value})
        assert response.status_code == 200, value
    assert Invoice.objects.get(pk=draft.pk).state == InvoiceState.DRAFT
    invoice = invoice_issue(actor=head, invoice=draft, on=D(2026, 4, 1))
    for url in (_url(invoice, "send"), _url(invoice, "send", "retry")):
        for data in ({"x": "\x00"}, {"issue-send": "maybe"}, {"pk": "-1"}):
            assert browser.post(url, data).status_code == 302, (url, data)
    for url in ("/projects/invoices/99999999999999999999999/send/", "/projects/invoices/0/send/retry/"):
        assert browser.post(url).status_code == 404, url
    assert InvoiceDelivery.objects.count() == 2 * 3  # each valid send queued; the retries found nothing failed


# --- The CSV export --------------------------------------------------------------------------------------------------


def _rows(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _globex_invoice(globex) -> Invoice:
    """An issued invoice of Globex (the outside head's client), written directly."""
    invoice = Invoice.objects.create(
        client=globex, currency="GBP", period_start=D(2026, 3, 1), period_end=D(2026, 3, 31), rates_on=D(2026, 3, 31)
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        description="Globex work",
        quantity=1,
        unit_price=100,
        net=100,
        tax_rate=20,
        tax=20,
        currency="GBP",
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        state=InvoiceState.ISSUED,
        number="INV-2026-0900",
        year=2026,
        sequence=900,
        issue_date=D(2026, 4, 1),
        buyer_name="Globex Corporation",
    )
    return invoice


def test_the_csv_has_a_row_per_line_of_the_accounting_documents_one_manages(client, march, acme, world, users):
    head = users["head"]
    acme.legal_name = '=HYPERLINK("http://evil.example","Société Générale")'
    acme.save()
    invoice = _issued(head, acme)
    invoice_credit(actor=head, invoice=invoice, reason="Wrong rate", on=D(2026, 4, 2))
    invoice_draft(actor=head, client=acme, period_start=D(2026, 3, 1), period_end=D(2026, 3, 31))  # a draft
    _globex_invoice(world["globex"])
    browser = _browser(client, head)
    listed = browser.get("/projects/invoices/").content.decode()
    assert f'href="{EXPORT}"' in listed
    assert "drafts are not accounting documents" in listed

    response = browser.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="invoices-2026-04-02.csv"'
    rows = _rows(response)
    assert [(row["number"], row["kind"], row["state"]) for row in rows] == [
        ("INV-2026-0001", InvoiceKind.INVOICE, InvoiceState.VOID),
        ("CN-2026-0001", InvoiceKind.CREDIT_NOTE, InvoiceState.ISSUED),
    ]
    billed, credit = rows
    assert billed == {
        "number": "INV-2026-0001",
        "kind": "invoice",
        "state": "void",
        "issue_date": "2026-04-01",
        "due_date": "2026-05-01",
        "paid_on": "",
        "client_legal_name": '\'=HYPERLINK("http://evil.example","Société Générale")',
        "buyer_tax_id": "GB 123 4567 89",
        "currency": "GBP",
        "line_position": "1",
        "description": "ALPHA-1 Alpha Project: Developer, 2 Mar 2026 to 3 Mar 2026",
        "quantity": "14.00",
        "unit_price": "95.00",
        "net": "1330.00",
        "tax_rate": "20.00",
        "tax": "266.00",
        "gross": "1596.00",
        "project_code": "ALPHA-1",
        "credited_invoice_number": "",
    }
    assert (credit["quantity"], credit["net"], credit["tax"], credit["gross"]) == (
        "-14.00",
        "-1330.00",
        "-266.00",
        "-1596.00",
    )
    assert credit["credited_invoice_number"] == "INV-2026-0001"
    assert credit["due_date"] == ""
    assert "Globex" not in "".join(str(row) for row in rows)

    voided = _rows(browser.get(EXPORT + "?state=void"))
    assert [row["number"] for row in voided] == ["INV-2026-0001"]
    assert _rows(browser.get(EXPORT + f"?client={world['globex'].pk}")) == []
    assert _rows(browser.get(EXPORT + "?state=draft")) == []
    for query in ("?client=x", "?client=99999999999999999999999", "?state=nonsense"):
        assert browser.get(EXPORT + query).status_code == 200, query


@pytest.mark.parametrize("who", ["member", "client_user", "pm"])
def test_the_csv_is_a_404_for_who_manages_no_client(client, acme, users, who):
    assert _browser(client, users[who]).get(EXPORT).status_code == 404


@pytest.mark.parametrize("sendings", [1, 3])
def test_an_issued_invoices_page_asks_the_same_queries_whatever_its_sendings(
    client, march, acme, billing, users, sendings, django_assert_num_queries
):
    head = users["head"]
    invoice = _issued(head, acme)
    for _ in range(sendings):
        invoice_send(actor=head, invoice=Invoice.objects.get(pk=invoice.pk))
    browser = _browser(client, head)
    browser.get(_url(invoice))  # sessions warmed
    with django_assert_num_queries(5):  # the draft's four, and its sendings with their emails and senders
        page = browser.get(_url(invoice)).content.decode()
    assert page.count("&lt;bea@acme.example&gt;") == sendings
