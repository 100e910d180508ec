"""The client's invoices in the portal: a contact sees their client's issued invoices and credit notes (newest
first, overdue marked), each with its lines and totals and the same PDF as the invoice pages, and this month of
their retainers; never a draft nor another client's (list, page and PDF each 404); the pages hand templates only
values of the client view, ask a fixed number of queries, answer junk with 404 and are valid HTML."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from apm import access
from apm.accounts.models import AuditEvent, AuditKind
from apm.errors import Refused
from projects.billing.invoice_delivery import invoice_pdf_stored
from projects.billing.invoice_pdf import invoice_pdf_bytes
from projects.billing.invoices import invoice_credit, invoice_draft, invoice_issue
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.budget.services.costs import time_entry_record
from projects.common import client_view
from projects.models import BillingModel, Invoice, ProjectBilling
from teams.services import member_rate_set
from tests import factories
from tests.test_html import Page, problems

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
LIST = "/portal/invoices/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(dt.datetime(2026, 4, 20, 10, tzinfo=LONDON), tick=False)


def _url(invoice: Invoice, *rest: str) -> str:
    return f"/portal/invoices/{invoice.pk}/" + "".join(f"{part}/" for part in rest)


def _approve(project, entries, *, pm) -> None:
    for entry in entries:
        with contextlib.suppress(Refused):  # submitted with an earlier entry of the same week
            timesheet_week_submit(member=entry.member, week_start=entry.date - dt.timedelta(days=entry.date.weekday()))
    time_entries_decide(project=project, entry_ids=[entry.pk for entry in entries], approve=True, actor=pm)


@pytest.fixture
def acme(world):
    return factories.billed_as_acme(world["acme"])


@pytest.fixture
def invoices(world, acme, pm, head):
    """ALPHA-1 bills time and materials: Mo, a developer billed at 95.00 GBP an hour and costed at 55.00, worked
    8 h on 2 Mar and 6 h on 3 Mar 2026. INV-2026-0001 (1 Apr) billed them and CN-2026-0001 (2 Apr) reversed it;
    INV-2026-0002 (3 Apr, due 3 May) billed them again. A draft of Acme's and an invoice issued to Globex too."""
    project = world["alpha_project"]
    ProjectBilling.objects.create(project=project, model=BillingModel.TIME_AND_MATERIALS)
    developer = factories.JobRoleFactory(title="Developer")
    factories.BillRateFactory(job_role=developer, rate=D("95.00"), currency="GBP")
    mo = project.team_members.get()
    mo.job_role = developer
    mo.save()
    member_rate_set(member=mo, cost_rate=D("55.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    entries = [
        time_entry_record(member=mo, project=project, date=dt.date(2026, 3, day), hours=D(hours))
        for day, hours in ((2, "8"), (3, "6"))
    ]
    _approve(project, entries, pm=pm)

    def issued(on: dt.date) -> Invoice:
        draft = invoice_draft(
            actor=head, client=acme, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31)
        )
        return invoice_issue(actor=head, invoice=draft, on=on)

    first = issued(dt.date(2026, 4, 1))
    note = invoice_credit(actor=head, invoice=first, reason="Wrong purchase order", on=dt.date(2026, 4, 2))
    second = issued(dt.date(2026, 4, 3))
    return {
        "void": Invoice.objects.get(pk=first.pk),
        "credit_note": note,
        "issued": second,
        "draft": _written(acme, price=D("4321.00")),
        "globex": _written(world["globex"], price=D("1234.00"), number="INV-2026-0900"),
    }


def _written(client, *, price: Decimal, number: str | None = None, lines: int = 1) -> Invoice:
    """An invoice to ``client`` of ``lines`` lines of 1 x ``price`` at 20 %, written directly: a draft, or issued on
    1 Apr 2026 as ``number`` (as issuing leaves it, nothing claimed)."""
    sequence = None if number is None else int(number.rsplit("-", 1)[1])
    return factories.written_invoice(client, price=price, lines=lines, number=sequence)


def _text(data: bytes) -> str:
    return " ".join("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages).split())


# --- What a contact sees -------------------------------------------------------------------------------------------


def test_a_contact_sees_their_clients_issued_invoices_and_credit_notes_newest_first(client, invoices, client_user):
    client.force_login(client_user)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert [card["number"] for card in response.context["invoices"]] == [
        "INV-2026-0002",
        "CN-2026-0001",
        "INV-2026-0001",
    ]
    for said in ("INV-2026-0002", "CN-2026-0001", "INV-2026-0001", "£1,596.00", "-£1,596.00", "Void (credited)"):
        assert said in page, said
    assert f'href="{_url(invoices["issued"], "pdf")}"' in page
    assert "Overdue" not in page
    for hidden in ("INV-2026-0900", "4,321", "5,185", "1,480.80"):  # Globex's invoice, the draft
        assert hidden not in page, hidden
    for key in ("issued", "credit_note", "void"):
        assert client.get(_url(invoices[key])).status_code == 200, key
    for key in ("draft", "globex"):
        for url in (_url(invoices[key]), _url(invoices[key], "pdf")):
            assert client.get(url).status_code == 404, url


def test_another_clients_contact_sees_only_their_own(client, invoices, other_client_user):
    client.force_login(other_client_user)
    response = client.get(LIST)
    assert [card["number"] for card in response.context["invoices"]] == ["INV-2026-0900"]
    for key in ("issued", "credit_note", "void", "draft"):
        for url in (_url(invoices[key]), _url(invoices[key], "pdf")):
            assert client.get(url).status_code == 404, url
    assert client.get(_url(invoices["globex"])).status_code == 200


def test_the_policy_shows_a_contact_no_draft_and_nothing_once_deactivated(invoices, client_user, users):
    assert access.see_invoice.allows(client_user, invoices["issued"])
    assert not access.see_invoice.allows(client_user, invoices["draft"])
    assert not access.see_invoice.allows(client_user, invoices["globex"])
    # Those who manage the client's invoices see all of them, drafts included; being on the team is not enough.
    assert access.see_invoice.allows(users["head"], invoices["draft"])
    assert not access.see_invoice.allows(users["head"], invoices["globex"])
    assert not access.see_invoice.allows(users["member"], invoices["issued"])
    assert not access.see_invoice.allows(users["pm"], invoices["issued"])
    client_user.is_active = False
    client_user.save()
    assert not access.see_invoice.allows(client_user, invoices["issued"])


def test_an_invoice_shows_its_lines_and_totals_and_links_the_credit_note_to_the_invoice(client, invoices, client_user):
    client.force_login(client_user)
    page = client.get(_url(invoices["issued"])).content.decode()
    for said in ("INV-2026-0002", "Developer", "14 hours", "£95.00", "£1,330.00", "£266.00", "£1,596.00", "3 May 2026"):
        assert said in page, said
    for never in ("55.00", "770.00", "Cost", "cost rate", "margin", "Margin"):
        assert never not in page, never
    note = client.get(_url(invoices["credit_note"])).content.decode()
    assert f'href="{_url(invoices["void"])}"' in note
    assert "Wrong purchase order" in note
    assert "-£1,596.00" in note


def test_an_unpaid_invoice_past_its_due_date_shows_overdue(client, invoices, client_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 5, 5, 10, tzinfo=LONDON), tick=False)
    client.force_login(client_user)
    listed = client.get(LIST)
    assert [card["overdue"] for card in listed.context["invoices"]] == [True, False, False]
    assert "Overdue" in listed.content.decode()
    assert "Overdue" in client.get(_url(invoices["issued"])).content.decode()


def test_the_pdf_is_the_invoice_pages_document_and_states_nothing_internal(client, invoices, client_user):
    client.force_login(client_user)
    invoice = invoices["issued"]
    response = client.get(_url(invoice, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-2026-0002.pdf"'
    text = _text(response.content)
    assert text == _text(invoice_pdf_bytes(invoice))
    for said in ("Invoice INV-2026-0002", "Acme Trading Ltd", "14 hours", "£95.00", "£1,596.00"):
        assert said in text, said
    for never in ("55.00", "770.00", "cost", "Cost", "margin", "Margin", "DRAFT"):
        assert never not in text, never
    # Each download is in the audit log, as a report's is: who, which invoice, through the portal.
    event = AuditEvent.objects.get(kind=AuditKind.INVOICE_DOWNLOADED)
    assert (event.user, event.target, event.detail) == (
        client_user,
        f"invoice:{invoice.pk}",
        {"via": "portal", "number": "INV-2026-0002"},
    )


def test_once_sent_the_pdf_is_the_one_the_billing_contacts_received(client, invoices, client_user):
    invoice = invoices["issued"]
    with default_storage.open(invoice_pdf_stored(invoice), "rb") as stored:
        kept = stored.read()
    client.force_login(client_user)
    assert client.get(_url(invoice, "pdf")).content == kept


# --- Retainers -----------------------------------------------------------------------------------------------------


def test_a_contact_sees_this_months_retainer_hours_and_fee(client, world, client_user, other_client_user, pm):
    project = factories.ProjectFactory(
        code="ALPHA-R",
        name="Alpha Retainer",
        client=world["acme"],
        project_manager=pm,
        departments=[world["alpha"]],
        currency="GBP",
        start_date=dt.date(2026, 3, 1),
    )
    ProjectBilling.objects.create(
        project=project,
        model=BillingModel.RETAINER,
        retainer_fee=D("3000.00"),
        retainer_hours=D("20"),
        rollover_months=0,
    )
    mo = world["alpha_project"].team_members.get()
    project.team_members.add(mo)
    member_rate_set(member=mo, cost_rate=D("55.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    entries = [
        time_entry_record(member=mo, project=project, date=dt.date(2026, 4, day), hours=D(hours))
        for day, hours in ((6, "7.5"), (7, "4.5"))
    ]
    _approve(project, entries, pm=pm)
    unapproved = time_entry_record(member=mo, project=project, date=dt.date(2026, 4, 8), hours=D("3"))
    assert unapproved.approval != "approved"

    client.force_login(client_user)
    response = client.get(LIST)
    [retainer] = response.context["retainers"]
    assert client_view.problems(retainer, client_view.ClientRetainer) == []
    assert (retainer["month"], retainer["hours_included"], retainer["hours_used"], retainer["hours_left"]) == (
        dt.date(2026, 4, 1),
        D("20"),
        D("12"),
        D("8"),
    )
    assert (retainer["hours_over"], retainer["fee"], retainer["currency"]) == (D("0"), D("3000.00"), "GBP")
    page = response.content.decode()
    for said in ("ALPHA-R", "Apr 2026", "£3,000.00 a month", "Hours left"):
        assert said in page, said
    assert "55" not in page.split('id="retainers-h"')[1]  # no cost rate, no cost
    client.force_login(other_client_user)
    assert client.get(LIST).context["retainers"] == []


# --- The client view, queries, junk, HTML --------------------------------------------------------------------------


def test_every_page_hands_its_template_only_client_view_values(client, invoices, client_user):
    client.force_login(client_user)
    listed = client.get(LIST).context
    assert listed["invoices"]
    for card in listed["invoices"]:
        assert client_view.problems(card, client_view.ClientInvoiceCard) == []
    for key in ("issued", "credit_note", "void"):
        shown = client.get(_url(invoices[key])).context["invoice"]
        assert client_view.problems(shown, client_view.ClientInvoice) == [], key
        assert client_view.problems(client_view.serialise(shown), client_view.ClientInvoice, serialised=True) == []


def test_a_draft_is_never_built_into_a_client_value(invoices):
    with pytest.raises(ValueError, match="never shown to the client"):
        client_view.client_invoice_card(invoices["draft"], today=dt.date(2026, 4, 20))


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_asks_the_same_queries_whatever_its_rows(client, acme, client_user, count, django_assert_num_queries):
    for n in range(1, count + 1):
        _written(acme, price=D("100.00"), number=f"INV-2026-{n:04d}", lines=3)
    client.force_login(client_user)
    client.get(LIST)
    with django_assert_num_queries(5):
        page = client.get(LIST)
    assert page.content.decode().count('href="/portal/invoices/') >= count


def test_junk_in_urls_is_a_404_never_a_500(client, invoices, client_user):
    client.force_login(client_user)
    for url in (
        "/portal/invoices/0/",
        "/portal/invoices/99999999999999999999999/",
        "/portal/invoices/99999999999999999999999/pdf/",
        "/portal/invoices/-1/",
        "/portal/invoices/abc/",
        "/portal/invoices/1.5/pdf/",
        f"/portal/invoices/{invoices['issued'].pk}/pdf/x/",
        "/portal/invoices/%00/",
    ):
        assert client.get(url).status_code == 404, url
    for query in ("?page=x", "?page=-1", "?page=0", "?page=99999999999999999999999", "?page=%00"):
        assert client.get(LIST + query).status_code == 200, query


def test_the_pages_are_valid_html_and_linked_from_the_portal(client, invoices, client_user):
    client.force_login(client_user)
    home = client.get("/portal/").content.decode()
    assert f'href="{LIST}"' in home
    assert problems(Page(home)) == []
    for url in (LIST, _url(invoices["issued"]), _url(invoices["credit_note"])):
        assert problems(Page(client.get(url).content.decode())) == [], url
