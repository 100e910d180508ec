"""The invoice pages: a head (or a PM with the setting on) drafts an invoice from approved time, edits a line,
issues and marks it paid; a credit note reverses it and the two link to each other; who may not manage the client's
invoices gets 404 on every invoice URL and no link in the navigation; junk in forms and URLs answers 200 with the
reason or 404, never 500, and changes nothing; the list and the invoice page ask a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from pypdf import PdfReader

from apm.accounts.models import User
from projects.billing.invoices import invoice_draft, invoice_issue
from projects.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState
from tests import factories
from tests.test_html import Page, problems

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
LIST = "/projects/invoices/"
NEW = "/projects/invoices/new/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("april_2")]


def _browser(client, user):
    client.force_login(user)
    return client


def _draft(browser, **values):
    data = {
        "client": str(values.pop("client_id")),
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "grouping": "role",
        "rates_on": "",
    } | values
    return browser.post(NEW, data)


def _url(invoice, *rest: str) -> str:
    return f"/projects/invoices/{invoice.pk}/" + "".join(f"{part}/" for part in rest)


def _made(acme, lines: int) -> Invoice:
    """A draft to Acme with ``lines`` lines of 1 x 100.00 at 20 %, written directly (for the query counts)."""
    return factories.written_invoice(acme, lines=lines)


# --- The flow ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "pm"])
def test_it_drafts_edits_issues_and_marks_paid(client, settings, march, acme, users, who):
    settings.APM_INVOICES_BY_PM = True
    browser = _browser(client, User.objects.get(pk=users[who].pk))
    assert 'href="/projects/invoices/"' in browser.get("/projects/").content.decode()
    form = browser.get(NEW)
    assert form.status_code == 200
    assert "Acme" in form.content.decode()

    response = _draft(browser, client_id=acme.pk)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == _url(invoice)
    page = browser.get(response.url).content.decode()
    assert "Draft" in page
    assert "Developer" in page
    assert "£1,330.00" in page
    assert "£1,596.00" in page
    assert 'id="left-out"' in page
    assert "3.00 approved billable hours have no bill rate" in page
    assert problems(Page(page)) == []

    line = invoice.lines.get()
    assert browser.get(_url(invoice, "lines", str(line.pk))).status_code == 200
    edited = browser.post(
        _url(invoice, "lines", str(line.pk)),
        {
            "line-description": "Development, March",
            "line-quantity": "14",
            "line-unit_price": "90.00",
            "line-tax_rate": "20",
        },
    )
    assert edited.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (D("1260.00"), D("252.00"), D("1512.00"))

    added = browser.post(
        _url(invoice, "lines"),
        {
            "line-description": "Discount",
            "line-quantity": "1",
            "line-unit": "",
            "line-unit_price": "-60.00",
            "line-tax_rate": "20",
        },
    )
    assert added.status_code == 302
    invoice.refresh_from_db()
    assert invoice.gross_total == D("1440.00")

    issued = browser.post(_url(invoice, "issue"), {"issue-issue_date": "2026-04-01"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED
    assert invoice.number == "INV-2026-0001"
    assert invoice.due_date == dt.date(2026, 5, 1)
    shown = issued.content.decode()
    assert "INV-2026-0001 issued" in shown
    assert "Acme Trading Ltd" in shown
    assert "1 Quay Street" in shown
    assert 'id="left-out"' not in shown
    assert "Mark paid" in shown
    assert "Discard the draft" not in shown

    paid = browser.post(_url(invoice, "paid"), {"paid-paid_on": "2026-04-02"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    assert invoice.paid_on == dt.date(2026, 4, 2)
    assert "paid on" in paid.content.decode()

    listed = browser.get(LIST).content.decode()
    assert "INV-2026-0001" in listed
    assert "£1,440.00" in listed
    assert "Paid" in listed


def test_it_credits_an_invoice_and_links_the_two(client, march, acme, users):
    head = users["head"]
    invoice = invoice_issue(
        actor=head,
        invoice=invoice_draft(
            actor=head, client=acme, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31)
        ),
        on=dt.date(2026, 4, 1),
    )
    browser = _browser(client, head)
    refused = browser.post(_url(invoice, "credit"), {"credit-reason": "  ", "credit-on": ""})
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    response = browser.post(_url(invoice, "credit"), {"credit-reason": "Wrong rate", "credit-on": ""})
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response.status_code == 302
    assert response.url == _url(note)
    page = browser.get(_url(note)).content.decode()
    assert "CN-2026-0001" in page
    assert f'href="{_url(invoice)}"' in page
    assert "Wrong rate" in page
    assert "-£1,596.00" in page
    assert "Mark paid" not in page
    assert "Credit the invoice" not in page
    void = browser.get(_url(invoice)).content.decode()
    assert "Void" in void
    assert f'href="{_url(note)}"' in void
    assert "Credit the invoice" not in void
    assert problems(Page(page)) == []
    assert problems(Page(void)) == []


def test_a_drafts_discard_removes_it(client, march, acme, users):
    browser = _browser(client, users["head"])
    _draft(browser, client_id=acme.pk)
    invoice = Invoice.objects.get()
    response = browser.post(_url(invoice, "discard"))
    assert response.status_code == 302
    assert response.url == LIST
    assert not Invoice.objects.exists()


def test_a_line_is_removed_and_the_list_filters(client, march, acme, users, world):
    browser = _browser(client, users["admin"])
    _draft(browser, client_id=acme.pk)
    invoice = Invoice.objects.get()
    line = invoice.lines.get()
    assert browser.post(_url(invoice, "lines", str(line.pk), "remove")).status_code == 302
    assert not InvoiceLine.objects.filter(invoice=invoice).exists()
    issue = browser.post(_url(invoice, "issue"), {"issue-issue_date": "2026-04-01"})
    assert issue.status_code == 200
    assert "This draft has no line" in issue.content.decode()
    assert Invoice.objects.get().state == InvoiceState.DRAFT
    assert "Draft" in browser.get(LIST + f"?client={acme.pk}&state=draft").content.decode()
    assert "No invoice matches" in browser.get(LIST + f"?client={world['globex'].pk}").content.decode()
    assert "No invoice matches" in browser.get(LIST + "?state=overdue").content.decode()


def test_overdue_invoices_are_flagged(client, march, acme, users, time_machine):
    head = users["head"]
    draft = invoice_draft(actor=head, client=acme, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31))
    issued = invoice_issue(actor=head, invoice=draft, on=dt.date(2026, 4, 1))
    browser = _browser(client, head)
    assert 'text-bg-danger">overdue' not in browser.get(LIST).content.decode()
    time_machine.move_to(dt.datetime(2026, 5, 4, 10, tzinfo=LONDON), tick=False)
    browser = _browser(client, head)  # a month later: signed in again
    listed = browser.get(LIST + "?state=overdue").content.decode()
    assert issued.number in listed
    assert 'text-bg-danger">overdue' in listed
    assert "Issued · overdue" in browser.get(_url(issued)).content.decode()


# --- Who may -------------------------------------------------------------------------------------------------------


def _every_url(invoice: Invoice) -> list[str]:
    line = invoice.lines.first()
    return [
        _url(invoice),
        _url(invoice, "lines"),
        _url(invoice, "lines", str(line.pk)),
        _url(invoice, "lines", str(line.pk), "remove"),
        _url(invoice, "issue"),
        _url(invoice, "paid"),
        _url(invoice, "credit"),
        _url(invoice, "discard"),
    ]


@pytest.mark.parametrize("who", ["member", "client_user", "pm", "outside_head"])
def test_who_may_not_manage_the_clients_invoices_gets_404_and_no_link(client, acme, users, who):
    invoice = _made(acme, 1)
    browser = _browser(client, users[who])
    home = browser.get("/projects/" if who != "client_user" else "/portal/", follow=True).content.decode()
    if who != "outside_head":  # a head is offered the page; it finds none of this client's invoices
        assert "/projects/invoices/" not in home
    for url in (LIST, NEW) if who != "outside_head" else ():
        assert browser.get(url).status_code == 404, url
    for url in _every_url(invoice):
        assert browser.get(url).status_code in (404, 405), url
        assert browser.post(url, {"line-description": "x", "issue-issue_date": "2026-04-01"}).status_code == 404, url
    assert Invoice.objects.get().lines.count() == 1


def test_a_head_sees_only_their_departments_clients_invoices(client, acme, world, users):
    ours = _made(acme, 1)
    theirs = _made(world["globex"], 1)
    browser = _browser(client, users["head"])
    listed = browser.get(LIST).content.decode()
    assert _url(ours) in listed
    assert _url(theirs) not in listed
    assert browser.get(_url(theirs)).status_code == 404
    form = browser.get(NEW).content.decode()
    assert "Acme" in form
    assert "Globex" not in form
    refused = _draft(browser, client_id=world["globex"].pk)
    assert refused.status_code == 200
    assert "Choose one of your clients" in refused.content.decode()


# --- Junk ----------------------------------------------------------------------------------------------------------


def test_junk_in_forms_answers_200_with_the_reason_and_changes_nothing(client, march, acme, users):
    browser = _browser(client, users["head"])
    for values, said in (
        ({"period_start": "2026-02-30"}, "Enter a real date"),
        ({"period_end": "2026-02-01"}, "ends on or after"),
        ({"period_start": "1066-10-14"}, "Enter a date from"),
        ({"grouping": "by-mood"}, "Select a valid choice"),
        ({"client": "x"}, "Choose one of your clients"),
        ({"client": "99999999999999999999999"}, "Choose one of your clients"),
        ({"period_start": "2025-01-01", "period_end": "2025-01-31"}, "Nothing to invoice"),
        ({"rates_on": "9999-99-99"}, "Enter a real date"),
    ):
        response = _draft(browser, client_id=values.pop("client", acme.pk), **values)
        assert response.status_code == 200, values
        assert said in response.content.decode(), values
    assert not Invoice.objects.exists()

    _draft(browser, client_id=acme.pk)
    invoice = Invoice.objects.get()
    line = invoice.lines.get()
    before = (invoice.gross_total, line.quantity, line.unit_price)
    for values, said in (
        ({"line-quantity": "-3"}, "A quantity is above zero"),
        ({"line-quantity": "0"}, "A quantity is above zero"),
        ({"line-quantity": "NaN"}, "Enter a number"),
        ({"line-quantity": "1e400"}, "Enter a"),
        ({"line-unit_price": "12.345"}, "to the penny"),
        ({"line-unit_price": "1000000000"}, "Enter a unit price from"),
        ({"line-tax_rate": "101"}, "from 0 to 100"),
        ({"line-description": "   "}, "required"),
    ):
        data = {"line-description": "Work", "line-quantity": "1", "line-unit_price": "10", "line-tax_rate": "20"}
        for url in (_url(invoice, "lines", str(line.pk)), _url(invoice, "lines")):
            response = browser.post(url, data | values)
            assert response.status_code == 200, (url, values)
            assert said in response.content.decode(), (url, values)
    for url, data, said in (
        (_url(invoice, "issue"), {"issue-issue_date": "2026-13-01"}, "Enter a real date"),
        (_url(invoice, "issue"), {"issue-issue_date": "2026-05-01"}, "not ahead"),
        (_url(invoice, "paid"), {"paid-paid_on": "2026-04-01"}, "Issue the invoice first"),
        (_url(invoice, "credit"), {"credit-reason": "x"}, "Issue the invoice first"),
        (_url(invoice, "credit"), {"credit-reason": "x" * 1001}, "at most 1000 characters"),
    ):
        response = browser.post(url, data)
        assert response.status_code == 200, (url, data)
        assert said in response.content.decode(), (url, data)
    invoice.refresh_from_db()
    line.refresh_from_db()
    assert (invoice.gross_total, line.quantity, line.unit_price) == before
    assert invoice.state == InvoiceState.DRAFT
    assert invoice.lines.count() == 1


def test_junk_in_urls_is_a_404(client, acme, world, users):
    browser = _browser(client, users["admin"])
    ours, other = _made(acme, 1), _made(world["globex"], 1)
    others_line = other.lines.get()
    for url in (
        "/projects/invoices/0/",
        "/projects/invoices/99999999999999999999999/",
        "/projects/invoices/99999/",
        "/projects/invoices/abc/",
        f"/projects/invoices/{ours.pk}/lines/{others_line.pk}/",
        f"/projects/invoices/{ours.pk}/lines/99999999999999999999999/",
    ):
        assert browser.get(url).status_code == 404, url
    for url in (
        f"/projects/invoices/{ours.pk}/lines/{others_line.pk}/remove/",
        f"/projects/invoices/{ours.pk}/lines/{others_line.pk}/",
        "/projects/invoices/99999999999999999999999/issue/",
    ):
        assert browser.post(url, {"line-description": "x"}).status_code == 404, url
    assert other.lines.count() == 1
    for query in ("?client=x", "?client=99999999999999999999999", "?state=nonsense", "?page=-1", "?page=x"):
        assert browser.get(LIST + query).status_code == 200, query


# --- Queries -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [2, 20])
def test_the_invoice_page_asks_the_same_queries_whatever_its_lines(
    client, acme, users, lines, django_assert_num_queries
):
    invoice = _made(acme, lines)
    browser = _browser(client, users["head"])
    browser.get(_url(invoice))  # sessions warmed
    with django_assert_num_queries(4):
        page = browser.get(_url(invoice))
    assert page.content.decode().count("Consulting ") == lines


@pytest.mark.parametrize("invoices", [2, 20])
def test_the_list_asks_the_same_queries_whatever_its_rows(client, acme, users, invoices, django_assert_num_queries):
    for _ in range(invoices):
        _made(acme, 3)
    browser = _browser(client, users["head"])
    browser.get(LIST)
    with django_assert_num_queries(5):
        page = browser.get(LIST)
    assert page.content.decode().count('<a href="/projects/invoices/') >= invoices
    assert problems(Page(page.content.decode())) == []


# --- The PDF -------------------------------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_states_the_number_lines_and_totals_and_nothing_internal(client, march, acme, users):
    head = users["head"]
    draft = invoice_draft(actor=head, client=acme, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31))
    browser = _browser(client, head)
    shown = browser.get(_url(draft, "pdf"))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "application/pdf"
    assert "DRAFT: not a valid invoice" in _text(shown.content)
    issued = invoice_issue(actor=head, invoice=draft, on=dt.date(2026, 4, 1))
    response = browser.get(_url(issued, "pdf"))
    assert response["Content-Disposition"] == 'inline; filename="INV-2026-0001.pdf"'
    text = " ".join(_text(response.content).split())
    for said in (
        "Invoice INV-2026-0001",
        "Acme Trading Ltd",
        "1 Quay Street",
        "Developer, 2 Mar 2026 to 3 Mar 2026",
        "14 hours",
        "£95.00",
        "£1,330.00",
        "£266.00",
        "£1,596.00",
        "1 May 2026",
    ):
        assert said in text, said
    # Only what the client is billed: no cost rate (55.00), no cost, no margin, nothing the draft left out.
    for never in ("55.00", "770.00", "cost", "Cost", "margin", "Margin", "no bill rate", "DRAFT"):
        assert never not in text, never


def test_the_pdf_is_a_404_for_who_may_not_manage_the_client(client, acme, users):
    invoice = _made(acme, 1)
    for who in ("member", "client_user", "pm", "outside_head"):
        assert _browser(client, users[who]).get(_url(invoice, "pdf")).status_code == 404, who
