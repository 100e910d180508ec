"""Invoices drafted from the work and issued under gap-free numbers: a worked invoice of every kind of line, edits
while a draft and none after, numbers (also under threads on PostgreSQL), the same hours never on two issued
invoices, credit notes that reverse an invoice in full, and who may manage invoices."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import time
import zoneinfo
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction

from apm import access
from apm.accounts.models import User
from apm.errors import Refused
from projects.billing import invoices
from projects.billing.invoices import (
    invoice_credit,
    invoice_discard,
    invoice_draft,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_line_update,
    invoice_mark_paid,
)
from projects.billing.services import billing_milestone_remove
from projects.budget import figures
from projects.budget.services.approval import time_entries_decide, time_entries_reopen, timesheet_week_submit
from projects.budget.services.costs import expense_record, time_entry_record
from projects.models import (
    BillingMilestone,
    BillingModel,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceItem,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceState,
    ProjectBilling,
    TimeEntry,
)
from teams.services import member_rate_set
from tests import factories
from tests.integration.services import unavailable
from tests.races import race

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
MARCH_1, MARCH_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
ISSUED_ON = dt.date(2026, 4, 2)
NOT_ACMES = re.escape("You do not manage Acme's invoices.")


pytestmark = pytest.mark.usefixtures("april_2")


@pytest.fixture
def roles():
    """The developer's card: 95.00 GBP and 100.00 EUR an hour; the designer's: 80.00 GBP."""
    developer = factories.JobRoleFactory(title="Developer")
    designer = factories.JobRoleFactory(title="Designer")
    factories.BillRateFactory(job_role=developer, rate=D("95.00"), currency="GBP")
    factories.BillRateFactory(job_role=developer, rate=D("100.00"), currency="EUR")
    factories.BillRateFactory(job_role=designer, rate=D("80.00"), currency="GBP")
    return {"developer": developer, "designer": designer}


def _person(name: str, *, role, currency: str = "GBP", department=None):
    person = factories.TeamMemberFactory(name=name, job_role=role, department=department)
    member_rate_set(
        member=person, cost_rate=D("50.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1), currency=currency
    )
    return person


@pytest.fixture
def mo(world, roles):
    """Mo Member, a developer costed in GBP, on ALPHA-1's team."""
    person = world["alpha_project"].team_members.get()
    person.job_role = roles["developer"]
    person.save()
    member_rate_set(member=person, cost_rate=D("55.00"), bill_rate=D("0"), valid_from=dt.date(2025, 1, 1))
    return person


@pytest.fixture
def alpha(world, acme):
    """ALPHA-1, Acme's, in GBP: time and materials with a 10 % markup on expenses."""
    project = world["alpha_project"]
    ProjectBilling.objects.create(
        project=project, model=BillingModel.TIME_AND_MATERIALS, expense_markup_percent=D("10")
    )
    return project


def _project(world, code: str, name: str, *, currency: str = "GBP", **billing):
    project = factories.ProjectFactory(
        code=code,
        name=name,
        client=world["acme"],
        project_manager=world["alpha_project"].project_manager,
        departments=[world["alpha"]],
        currency=currency,
        start_date=MARCH_1,
    )
    ProjectBilling.objects.create(project=project, **billing)
    return project


def _approve(project, entries, *, pm):
    for entry in entries:
        with contextlib.suppress(Refused):  # submitted with an earlier entry of the same week
            timesheet_week_submit(member=entry.member, week_start=entry.date - dt.timedelta(days=entry.date.weekday()))
    time_entries_decide(project=project, entry_ids=[entry.pk for entry in entries], approve=True, actor=pm)


def _log(person, project, day: int, hours: str, *, pm):
    entry = time_entry_record(member=person, project=project, date=dt.date(2026, 3, day), hours=D(hours))
    _approve(project, [entry], pm=pm)
    return entry


@pytest.fixture
def month(world, alpha, mo, roles, pm):
    """March 2026 of Acme's four projects, every hour approved:

    * ALPHA-1 (GBP, time and materials, 10 % markup): Mo, a developer, 8 h on 2 Mar and 6 h on 3 Mar at the
      developer's 95.00; Dee, a designer, 5.5 h on 4 Mar at the designer's 80.00; a billable train fare of 123.45
      on 5 Mar;
    * ALPHA-EU (EUR, time and materials): Eva, a developer, 10 h on 12 Mar at the developer's 100.00 EUR;
    * ALPHA-FP (GBP, fixed price 12,000.00): the milestone "Design", 3,000.00 due on 20 Mar;
    * ALPHA-RET (GBP, retainer from 1 Mar: 2,000.00 a month for 20 h, no rollover, overage at 110.00): Mo, 8 h on
      each of 9, 10 and 11 Mar (24 h: 4 h of overage).

    The ECB's GBP rate: 0.8650 on Mon 30 Mar, 0.8612 on Tue 31 Mar.
    """
    dee = _person("Dee Designer", role=roles["designer"], department=world["alpha"])
    eva = _person("Eva Euro", role=roles["developer"], currency="EUR", department=world["alpha"])
    alpha.team_members.add(dee)
    eu = _project(world, "ALPHA-EU", "Alpha Europe", currency="EUR", model=BillingModel.TIME_AND_MATERIALS)
    fp = _project(world, "ALPHA-FP", "Alpha Fixed", model=BillingModel.FIXED_PRICE, contract_value=D("12000.00"))
    ret = _project(
        world,
        "ALPHA-RET",
        "Alpha Retainer",
        model=BillingModel.RETAINER,
        retainer_fee=D("2000.00"),
        retainer_hours=D("20"),
        rollover_months=0,
        overage_rate=D("110.00"),
    )
    eu.team_members.add(eva)
    ret.team_members.add(mo)
    alpha_time = [
        time_entry_record(member=mo, project=alpha, date=dt.date(2026, 3, 2), hours=D("8")),
        time_entry_record(member=mo, project=alpha, date=dt.date(2026, 3, 3), hours=D("6")),
        time_entry_record(member=dee, project=alpha, date=dt.date(2026, 3, 4), hours=D("5.5")),
    ]
    _approve(alpha, alpha_time, pm=pm)
    expense_record(project=alpha, date=dt.date(2026, 3, 5), amount=D("123.45"), category="travel", supplier="Rail")
    _log(eva, eu, 12, "10", pm=pm)
    BillingMilestone.objects.create(project=fp, name="Design", amount=D("3000.00"), due_on=dt.date(2026, 3, 20))
    _approve(
        ret,
        [time_entry_record(member=mo, project=ret, date=dt.date(2026, 3, day), hours=D("8")) for day in (9, 10, 11)],
        pm=pm,
    )
    ExchangeRate.objects.create(date=dt.date(2026, 3, 30), currency="GBP", rate=D("0.8650"), source="ECB")
    ExchangeRate.objects.create(date=MARCH_31, currency="GBP", rate=D("0.8612"), source="ECB")
    return {"alpha": alpha, "eu": eu, "fp": fp, "ret": ret, "mo": mo, "dee": dee, "eva": eva}


def _lines(invoice: Invoice) -> list[tuple]:
    return [
        (line.description, line.quantity, line.unit_price, line.net, line.tax_rate, line.tax, line.currency)
        for line in InvoiceLine.objects.filter(invoice=invoice).order_by("position")
    ]


def _draft(actor, client, **extra) -> Invoice:
    return invoice_draft(actor=actor, client=client, period_start=MARCH_1, period_end=MARCH_31, **extra)


# --- The worked invoice -------------------------------------------------------------------------------------------


def test_a_worked_invoice_bills_every_kind_of_work_of_the_month(month, acme, admin_user):
    """Every line at 20 % VAT (tax = net x 0.20, to the penny, line by line):

    ==================================================  =======  ========  ========  ======
    line                                                 qty      price     net       tax
    ==================================================  =======  ========  ========  ======
    ALPHA-1 designer, 4 Mar                               5.50     80.00    440.00    88.00
    ALPHA-1 developer, 2-3 Mar (8 + 6 h)                 14.00     95.00  1,330.00   266.00
    ALPHA-1 Rail 123.45 x 1.10 = 135.795 -> 135.80        1.00    135.80    135.80    27.16
    ALPHA-EU developer 100.00 EUR x 0.8612 = 86.12       10.00     86.12    861.20   172.24
    ALPHA-FP milestone "Design"                           1.00  3,000.00  3,000.00   600.00
    ALPHA-RET fee, March (20 h)                           1.00  2,000.00  2,000.00   400.00
    ALPHA-RET overage, 24 - 20 = 4 h                      4.00    110.00    440.00    88.00
    ==================================================  =======  ========  ========  ======

    Net 440.00 + 1,330.00 + 135.80 + 861.20 + 3,000.00 + 2,000.00 + 440.00 = 8,207.00; tax 88.00 + 266.00 + 27.16
    + 172.24 + 600.00 + 400.00 + 88.00 = 1,641.40; gross 9,848.40. The euro line takes 31 Mar's rate (the
    period's last day), not 30 Mar's: EUR -> GBP through EUR is 0.8612 / 1.
    """
    draft = _draft(admin_user, acme)
    assert (draft.state, draft.number, draft.currency, draft.rates_on) == (InvoiceState.DRAFT, None, "GBP", MARCH_31)
    assert _lines(draft) == [
        ("ALPHA-1 Alpha Project: Designer, 4 Mar 2026", D("5.50"), D("80.00"), D("440.00"), D("20"), D("88.00"), "GBP"),
        (
            "ALPHA-1 Alpha Project: Developer, 2 Mar 2026 to 3 Mar 2026",
            D("14.00"),
            D("95.00"),
            D("1330.00"),
            D("20"),
            D("266.00"),
            "GBP",
        ),
        (
            "ALPHA-1: 5 Mar 2026, Travel, Rail (with 10 % markup)",
            D("1.00"),
            D("135.80"),
            D("135.80"),
            D("20"),
            D("27.16"),
            "GBP",
        ),
        (
            "ALPHA-EU Alpha Europe: Developer, 12 Mar 2026",
            D("10.00"),
            D("86.12"),
            D("861.20"),
            D("20"),
            D("172.24"),
            "GBP",
        ),
        (
            "ALPHA-FP Alpha Fixed: milestone “Design”, due 20 Mar 2026",
            D("1.00"),
            D("3000.00"),
            D("3000.00"),
            D("20"),
            D("600.00"),
            "GBP",
        ),
        (
            "ALPHA-RET Alpha Retainer: retainer, Mar 2026 (20.00 hours a month; 24.00 used)",
            D("1.00"),
            D("2000.00"),
            D("2000.00"),
            D("20"),
            D("400.00"),
            "GBP",
        ),
        (
            "ALPHA-RET Alpha Retainer: overage beyond the retainer, Mar 2026",
            D("4.00"),
            D("110.00"),
            D("440.00"),
            D("20"),
            D("88.00"),
            "GBP",
        ),
    ]
    euro = InvoiceLine.objects.get(invoice=draft, project=month["eu"])
    assert (euro.source_currency, euro.source_unit_price, euro.exchange_rate, euro.rate_date) == (
        "EUR",
        D("100.00"),
        D("0.861200"),
        MARCH_31,
    )
    assert InvoiceLine.objects.filter(invoice=draft, exchange_rate__isnull=False).count() == 1
    assert (draft.net_total, draft.tax_total, draft.gross_total) == (D("8207.00"), D("1641.40"), D("9848.40"))
    assert draft.left_out == []
    # What each line bills: the three ALPHA-1 entries, the expense, the euro entry, the milestone, the retainer
    # month's fee (with its three entries) and its overage.
    assert InvoiceItem.objects.filter(line__invoice=draft, time_entry__isnull=False).count() == 7
    assert InvoiceItem.objects.filter(line__invoice=draft, claimed=True).count() == 0

    issued = invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    assert (issued.number, issued.state, issued.issue_date, issued.due_date) == (
        "INV-2026-0001",
        InvoiceState.ISSUED,
        ISSUED_ON,
        dt.date(2026, 5, 2),  # 30 days' terms
    )
    assert (issued.buyer_name, issued.buyer_address, issued.buyer_tax_id) == (
        "Acme Trading Ltd",
        "1 Quay Street\nBristol BS1 1AA",
        "GB 123 4567 89",
    )
    assert issued.seller_name == "APM Account Services Ltd"
    assert InvoiceItem.objects.filter(line__invoice=draft, claimed=False).count() == 0
    # Nothing of March is left to bill.
    with pytest.raises(Refused, match="Nothing to invoice to Acme from 1 Mar 2026 to 31 Mar 2026"):
        _draft(admin_user, acme)


def test_itemised_time_is_a_line_an_entry_at_its_stored_amount(month, acme, admin_user):
    """Mo's 8 h x 95.00 = 760.00 and 6 h x 95.00 = 570.00, Dee's 5.5 h x 80.00 = 440.00, dated in order."""
    draft = _draft(admin_user, acme, grouping=Grouping.ITEMISED, projects=[month["alpha"]])
    assert [(desc, qty, price, net) for desc, qty, price, net, *_ in _lines(draft)] == [
        ("ALPHA-1: 2 Mar 2026, Mo Member (Developer)", D("8.00"), D("95.00"), D("760.00")),
        ("ALPHA-1: 3 Mar 2026, Mo Member (Developer)", D("6.00"), D("95.00"), D("570.00")),
        ("ALPHA-1: 4 Mar 2026, Dee Designer (Designer)", D("5.50"), D("80.00"), D("440.00")),
        ("ALPHA-1: 5 Mar 2026, Travel, Rail (with 10 % markup)", D("1.00"), D("135.80"), D("135.80")),
    ]
    assert draft.net_total == D("1905.80")


def test_hours_without_a_bill_rate_are_named_not_billed(world, alpha, acme, admin_user, pm):
    """Nobody on ALPHA-1 has a role or a bill rate of their own: 3 approved hours are a gap, said in words."""
    nora = _person("Nora Norate", role=None, department=world["alpha"])
    alpha.team_members.add(nora)
    _log(nora, alpha, 16, "3", pm=pm)
    expense_record(project=alpha, date=dt.date(2026, 3, 17), amount=D("10.00"), category="travel", supplier="Bus")
    draft = _draft(admin_user, acme)
    assert draft.left_out == ["ALPHA-1: 3.00 approved billable hours have no bill rate and are not on this invoice."]
    assert [line[3] for line in _lines(draft)] == [D("11.00")]  # the bus fare, marked up


def test_overage_without_a_rate_is_named_not_billed(month, acme, admin_user):
    """ALPHA-RET loses its overage rate: March's fee is billed, its 4 overage hours are named."""
    ProjectBilling.objects.filter(project=month["ret"]).update(overage_rate=None)
    draft = _draft(admin_user, acme, projects=[month["ret"]])
    assert [(line[0], line[3]) for line in _lines(draft)] == [
        ("ALPHA-RET Alpha Retainer: retainer, Mar 2026 (20.00 hours a month; 24.00 used)", D("2000.00"))
    ]
    assert draft.left_out == [
        "ALPHA-RET: 4.00 overage hours in Mar 2026 have no overage rate and are not on this invoice."
    ]


def test_a_missing_exchange_rate_refuses_the_draft(month, acme, admin_user):
    ExchangeRate.objects.all().delete()
    with pytest.raises(Refused, match=re.escape("No GBP rate within 5 days before 2026-03-31.")):
        _draft(admin_user, acme)
    assert not Invoice.objects.exists()


# --- Drafts are edited, issued invoices never ------------------------------------------------------------------------


def test_a_drafts_lines_are_edited_added_and_removed_with_the_totals(month, acme, admin_user):
    draft = _draft(admin_user, acme, projects=[month["alpha"]])
    designer, developer, rail = InvoiceLine.objects.filter(invoice=draft).order_by("position")
    # Dee's 5.5 h at a goodwill 70.00 (385.00, tax 77.00) and zero-rated train fare.
    invoice_line_update(actor=admin_user, line=designer, unit_price=D("70.00"))
    invoice_line_update(actor=admin_user, line=rail, tax_rate=D("0"))
    invoice_line_add(actor=admin_user, invoice=draft, description="Discount", quantity=D("1"), unit_price=D("-100"))
    invoice_line_remove(actor=admin_user, line=developer)
    draft.refresh_from_db()
    assert [(net, tax) for _, _, _, net, _, tax, _ in _lines(draft)] == [
        (D("385.00"), D("77.00")),
        (D("135.80"), D("0.00")),
        (D("-100.00"), D("-20.00")),
    ]
    # 385.00 + 135.80 - 100.00 = 420.80; 77.00 + 0.00 - 20.00 = 57.00.
    assert (draft.net_total, draft.tax_total, draft.gross_total) == (D("420.80"), D("57.00"), D("477.80"))
    with pytest.raises(Refused, match="Tax rate"):
        invoice_line_update(actor=admin_user, line=rail, tax_rate=D("120"))
    with pytest.raises(Refused, match="other than zero"):
        invoice_line_update(actor=admin_user, line=rail, quantity=D("0"))
    # The removed line's hours are free for the next draft.
    assert InvoiceItem.objects.filter(time_entry__member=month["mo"], line__invoice=draft).count() == 0
    invoice_discard(actor=admin_user, invoice=draft)
    assert not Invoice.objects.exists()


def test_an_issued_invoice_refuses_every_edit_in_the_services_and_the_models(month, acme, admin_user):
    issued = invoice_issue(actor=admin_user, invoice=_draft(admin_user, acme), on=ISSUED_ON)
    line = InvoiceLine.objects.filter(invoice=issued).first()
    edits = [
        lambda: invoice_line_update(actor=admin_user, line=line, quantity=D("1")),
        lambda: invoice_line_add(actor=admin_user, invoice=issued, description="x", quantity=D("1"), unit_price=D("1")),
        lambda: invoice_line_remove(actor=admin_user, line=line),
        lambda: invoice_discard(actor=admin_user, invoice=issued),
        lambda: invoice_issue(actor=admin_user, invoice=issued, on=ISSUED_ON),
    ]
    for edit in edits:
        with pytest.raises(Refused, match="INV-2026-0001 is issued: it is never edited"):
            edit()
    # Below the services, the models refuse too.
    line.unit_price = D("1.00")
    with pytest.raises(Refused, match="is issued"):
        line.save()
    with pytest.raises(Refused, match="is issued"):
        line.delete()
    stored = Invoice.objects.get(pk=issued.pk)
    stored.net_total = D("1.00")
    with pytest.raises(Refused, match="is issued"):
        stored.save()
    with pytest.raises(Refused, match="is issued"):
        stored.save(update_fields=["net_total"])
    stored.state = InvoiceState.DRAFT
    with pytest.raises(Refused, match="is issued"):
        stored.save(update_fields=["state"])  # no way back to a draft
    with pytest.raises(Refused, match="is issued"):
        Invoice.objects.get(pk=issued.pk).delete()
    assert Invoice.objects.get(pk=issued.pk).net_total == D("8207.00")
    assert InvoiceLine.objects.filter(invoice=issued).count() == 7


def test_billed_time_is_not_reopened_nor_a_billed_milestone_removed(month, acme, admin_user, pm):
    draft = _draft(admin_user, acme)
    entry = TimeEntry.objects.get(project=month["eu"])
    with pytest.raises(Refused, match="on a draft invoice"):
        time_entries_reopen(project=month["eu"], entry_ids=[entry.pk], reason="typo", actor=pm)
    invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    with pytest.raises(Refused, match="billed on INV-2026-0001"):
        time_entries_reopen(project=month["eu"], entry_ids=[entry.pk], reason="typo", actor=pm)
    with pytest.raises(Refused, match="“Design” is billed on INV-2026-0001"):
        billing_milestone_remove(actor=pm, milestone=BillingMilestone.objects.get())


def test_an_issue_refuses_a_draft_whose_work_changed_since(world, alpha, mo, acme, admin_user, pm):
    entry = _log(mo, alpha, 2, "8", pm=pm)
    draft = _draft(admin_user, acme)
    TimeEntry.objects.filter(pk=entry.pk).update(billable=False)  # as if reopened, changed and approved again
    figures.refresh([alpha.pk])
    with pytest.raises(Refused, match="Mo Member's time of 2 Mar 2026 is no longer approved billable time"):
        invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    assert not InvoiceSequence.objects.exists()


def test_an_invoice_needs_the_clients_billing_address_and_a_line(world, alpha, mo, acme, admin_user, pm):
    _days_of_work(world, alpha, mo, pm, (2,))
    draft = _draft(admin_user, acme)
    acme.billing_address = " "
    acme.save()
    with pytest.raises(Refused, match="Add Acme's billing address first"):
        invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    invoice_line_remove(actor=admin_user, line=InvoiceLine.objects.get(invoice=draft))
    with pytest.raises(Refused, match="This draft has no line"):
        invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    assert not InvoiceSequence.objects.exists()


def test_an_invoice_is_paid_on_a_date_from_its_issue_to_today(month, acme, admin_user):
    issued = invoice_issue(actor=admin_user, invoice=_draft(admin_user, acme), on=dt.date(2026, 4, 1))
    with pytest.raises(Refused, match="paid on that day or later"):
        invoice_mark_paid(actor=admin_user, invoice=issued, on=dt.date(2026, 3, 31))
    with pytest.raises(Refused, match="in the future"):
        invoice_mark_paid(actor=admin_user, invoice=issued, on=dt.date(2026, 4, 3))
    paid = invoice_mark_paid(actor=admin_user, invoice=issued, on=ISSUED_ON)
    assert (paid.state, paid.paid_on, paid.paid_recorded_by) == (InvoiceState.PAID, ISSUED_ON, admin_user)
    with pytest.raises(Refused, match="was paid on 2 Apr 2026 already"):
        invoice_mark_paid(actor=admin_user, invoice=issued, on=ISSUED_ON)


# --- Numbers ------------------------------------------------------------------------------------------------------


def _days_of_work(world, alpha, mo, pm, days) -> list[TimeEntry]:
    return [_log(mo, alpha, day, "1", pm=pm) for day in days]


def _day_draft(actor, client, day: dt.date) -> Invoice:
    return invoice_draft(actor=actor, client=client, period_start=day, period_end=day)


def test_numbers_run_per_kind_and_year_and_follow_issue_dates(world, alpha, mo, acme, admin_user, pm):
    entries = _days_of_work(world, alpha, mo, pm, (2, 3, 4))
    first, second, third = (_day_draft(admin_user, acme, entry.date) for entry in entries)
    assert invoice_issue(actor=admin_user, invoice=first, on=dt.date(2026, 3, 31)).number == "INV-2026-0001"
    with pytest.raises(Refused, match=re.escape("INV numbers follow their issue dates: INV-2026-0001 was issued on")):
        invoice_issue(actor=admin_user, invoice=second, on=dt.date(2026, 3, 30))
    with pytest.raises(Refused, match="not ahead"):
        invoice_issue(actor=admin_user, invoice=second, on=ISSUED_ON + dt.timedelta(days=1))
    assert invoice_issue(actor=admin_user, invoice=second, on=ISSUED_ON).number == "INV-2026-0002"
    note = invoice_credit(actor=admin_user, invoice=first, reason="Wrong purchase order", on=ISSUED_ON)
    assert note.number == "CN-2026-0001"  # its own sequence
    assert invoice_issue(actor=admin_user, invoice=third, on=ISSUED_ON).number == "INV-2026-0003"


def test_a_failed_issue_takes_no_number(world, alpha, mo, acme, admin_user, pm, monkeypatch):
    """Refused in the middle, after the number was taken (the work already billed elsewhere, or a fault while
    claiming): the transaction rolls back with the number, and the next issue takes it."""
    (entry,) = _days_of_work(world, alpha, mo, pm, (2,))
    first, twin = _day_draft(admin_user, acme, entry.date), _day_draft(admin_user, acme, entry.date)

    def broken(invoice):
        raise RuntimeError("the claim failed")

    with monkeypatch.context() as patched:
        patched.setattr(invoices, "_claim", broken)
        with pytest.raises(RuntimeError):
            invoice_issue(actor=admin_user, invoice=first, on=ISSUED_ON)
    assert not InvoiceSequence.objects.exists()
    assert Invoice.objects.get(pk=first.pk).state == InvoiceState.DRAFT
    assert invoice_issue(actor=admin_user, invoice=first, on=ISSUED_ON).number == "INV-2026-0001"
    with pytest.raises(Refused, match="Some of this draft's work is already on INV-2026-0001"):
        invoice_issue(actor=admin_user, invoice=twin, on=ISSUED_ON)
    assert InvoiceSequence.objects.get(kind=InvoiceKind.INVOICE, year=2026).last_number == 1
    (other,) = _days_of_work(world, alpha, mo, pm, (3,))
    assert invoice_issue(actor=admin_user, invoice=_day_draft(admin_user, acme, other.date), on=ISSUED_ON).number == (
        "INV-2026-0002"
    )


# --- Nothing billed twice -----------------------------------------------------------------------------------------


def test_the_same_hours_never_land_on_two_issued_invoices(world, alpha, mo, acme, admin_user, pm):
    (entry,) = _days_of_work(world, alpha, mo, pm, (2,))
    first, twin = _draft(admin_user, acme), _draft(admin_user, acme)
    invoice_issue(actor=admin_user, invoice=first, on=ISSUED_ON)
    with pytest.raises(Refused, match="already on INV-2026-0001: draft the invoice again"):
        invoice_issue(actor=admin_user, invoice=twin, on=ISSUED_ON)
    assert Invoice.objects.get(pk=twin.pk).state == InvoiceState.DRAFT
    assert InvoiceItem.objects.filter(time_entry=entry, claimed=True).count() == 1


def test_the_database_holds_each_time_entry_to_one_claimed_item(world, alpha, mo, acme, admin_user, pm):
    (entry,) = _days_of_work(world, alpha, mo, pm, (2,))
    first, twin = _draft(admin_user, acme), _draft(admin_user, acme)
    InvoiceItem.objects.filter(line__invoice=first).update(claimed=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceItem.objects.filter(line__invoice=twin).update(claimed=True)
    assert InvoiceItem.objects.filter(time_entry=entry, claimed=True).count() == 1


# --- Credit notes -------------------------------------------------------------------------------------------------


def test_a_credit_note_reverses_an_invoice_in_full_and_releases_its_work(month, acme, admin_user):
    invoice = invoice_issue(actor=admin_user, invoice=_draft(admin_user, acme), on=dt.date(2026, 4, 1))
    with pytest.raises(Refused, match="Say why"):
        invoice_credit(actor=admin_user, invoice=invoice, reason="  ")
    note = invoice_credit(actor=admin_user, invoice=invoice, reason="Billed to the wrong entity")
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.VOID
    assert (note.kind, note.number, note.state, note.issue_date, note.credited_invoice) == (
        InvoiceKind.CREDIT_NOTE,
        "CN-2026-0001",
        InvoiceState.ISSUED,
        ISSUED_ON,
        invoice,
    )
    assert (note.net_total, note.tax_total, note.gross_total) == (D("-8207.00"), D("-1641.40"), D("-9848.40"))
    assert _lines(note) == [
        (description, -quantity, price, -net, rate, -tax, currency)
        for description, quantity, price, net, rate, tax, currency in _lines(invoice)
    ]
    euro = InvoiceLine.objects.get(invoice=note, project=month["eu"])
    assert (euro.exchange_rate, euro.rate_date, euro.net) == (D("0.861200"), MARCH_31, D("-861.20"))
    with pytest.raises(Refused, match="INV-2026-0001 was credited: it is void"):
        invoice_credit(actor=admin_user, invoice=invoice, reason="again")
    with pytest.raises(Refused, match="is issued"):
        note.save()
    with pytest.raises(Refused, match="CN-2026-0001 is a credit note: it is final"):
        invoice_credit(actor=admin_user, invoice=note, reason="again")
    with pytest.raises(Refused, match="CN-2026-0001 is a credit note"):
        invoice_mark_paid(actor=admin_user, invoice=note, on=ISSUED_ON)
    # Released: the month is billed again, whole, by a new invoice.
    again = invoice_issue(actor=admin_user, invoice=_draft(admin_user, acme), on=ISSUED_ON)
    assert (again.number, again.net_total) == ("INV-2026-0002", D("8207.00"))


def test_a_paid_invoice_is_credited_too(month, acme, admin_user):
    invoice = invoice_issue(actor=admin_user, invoice=_draft(admin_user, acme), on=ISSUED_ON)
    invoice_mark_paid(actor=admin_user, invoice=invoice, on=ISSUED_ON)
    note = invoice_credit(actor=admin_user, invoice=invoice, reason="Refunded: duplicate payment")
    invoice.refresh_from_db()
    assert (invoice.state, invoice.paid_on, note.gross_total) == (InvoiceState.VOID, ISSUED_ON, D("-9848.40"))


def test_a_draft_is_not_credited(world, alpha, mo, acme, admin_user, pm):
    _days_of_work(world, alpha, mo, pm, (2,))
    with pytest.raises(Refused, match="Issue the invoice first"):
        invoice_credit(actor=admin_user, invoice=_draft(admin_user, acme), reason="r")


# --- Who may manage invoices ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin", True),
        ("head", True),  # heads ALPHA, which runs ALPHA-1 for Acme
        ("outside_head", False),  # heads BETA; only a reporting head of ALPHA-1
        ("pm", False),
        ("member", False),
        ("client_user", False),
        ("other_client_user", False),
    ],
)
def test_who_manages_a_clients_invoices(world, alpha, mo, acme, users, pm, who, allowed):
    assert access.manage_invoices.allows(users[who], acme) is allowed
    assert access.manage_invoices.allows(users["head"], world["globex"]) is False  # BETA-1's client
    _days_of_work(world, alpha, mo, pm, (2,))
    if allowed:
        assert _draft(users[who], acme).state == InvoiceState.DRAFT
    else:
        with pytest.raises(Refused, match=NOT_ACMES):
            _draft(users[who], acme)


def test_a_pm_manages_their_projects_clients_invoices_when_the_setting_allows(world, alpha, mo, acme, pm, settings):
    settings.APM_INVOICES_BY_PM = True
    again = User.objects.get(pk=pm.pk)  # the policy keeps what it built per user object
    assert access.manage_invoices.allows(again, acme)
    assert not access.manage_invoices.allows(again, world["globex"])
    assert not access.manage_invoices.allows(User.objects.get(username="member"), acme)
    _days_of_work(world, alpha, mo, pm, (2,))
    draft = _draft(again, acme)
    assert invoice_issue(actor=again, invoice=draft, on=ISSUED_ON).number == "INV-2026-0001"


def test_every_service_asks_the_policy(month, acme, admin_user, users):
    draft = _draft(admin_user, acme)
    line = InvoiceLine.objects.filter(invoice=draft).first()
    pm = users["pm"]
    calls = [
        lambda: invoice_line_update(actor=pm, line=line, quantity=D("1")),
        lambda: invoice_line_add(actor=pm, invoice=draft, description="x", quantity=D("1"), unit_price=D("1")),
        lambda: invoice_line_remove(actor=pm, line=line),
        lambda: invoice_discard(actor=pm, invoice=draft),
        lambda: invoice_issue(actor=pm, invoice=draft, on=ISSUED_ON),
    ]
    for call in calls:
        with pytest.raises(Refused, match=NOT_ACMES):
            call()
    issued = invoice_issue(actor=admin_user, invoice=draft, on=ISSUED_ON)
    for call in (
        lambda: invoice_mark_paid(actor=pm, invoice=issued, on=ISSUED_ON),
        lambda: invoice_credit(actor=pm, invoice=issued, reason="r"),
    ):
        with pytest.raises(Refused, match=NOT_ACMES):
            call()
    assert Invoice.objects.get(pk=issued.pk).state == InvoiceState.ISSUED


# --- Under threads, on PostgreSQL ----------------------------------------------------------------------------------

THREADS = 6


def _postgres() -> None:
    if connection.vendor != "postgresql":
        unavailable(
            "numbering under threads needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x"
        )


def test_threads_issuing_at_once_get_consecutive_numbers(transactional_db, world, alpha, mo, acme, admin_user, pm):
    _postgres()
    entries = _days_of_work(world, alpha, mo, pm, range(2, 2 + THREADS))
    drafts = [_day_draft(admin_user, acme, entry.date) for entry in entries]

    def issuer(draft: Invoice):
        def issue() -> None:
            invoice_issue(actor=User.objects.get(pk=admin_user.pk), invoice=draft, on=ISSUED_ON)

        return issue

    assert race([issuer(draft) for draft in drafts]) == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, THREADS + 1)]
    assert InvoiceSequence.objects.get(kind=InvoiceKind.INVOICE, year=2026).last_number == THREADS


def test_two_drafts_of_the_same_hours_racing_to_issue_one_wins(
    transactional_db, world, alpha, mo, acme, admin_user, pm
):
    """Issued at once: they queue on the year's sequence (and on the hours' rows, which an issue locks as reopening
    does), and the second finds the hours taken; it takes no number."""
    _postgres()
    (entry,) = _days_of_work(world, alpha, mo, pm, (2,))
    drafts = [_draft(admin_user, acme), _draft(admin_user, acme)]

    def issuer(draft: Invoice):
        def issue() -> None:
            invoice_issue(actor=User.objects.get(pk=admin_user.pk), invoice=draft, on=ISSUED_ON)

        return issue

    errors = race([issuer(draft) for draft in drafts])
    assert len(errors) == 1, errors
    assert isinstance(errors[0], Refused), errors
    assert "already on INV-2026-0001" in errors[0].message
    assert Invoice.objects.filter(state=InvoiceState.ISSUED).count() == 1
    assert Invoice.objects.filter(state=InvoiceState.DRAFT).count() == 1
    assert InvoiceItem.objects.filter(time_entry=entry, claimed=True).count() == 1
    assert list(InvoiceSequence.objects.values_list("last_number", flat=True)) == [1]


def test_the_database_decides_when_nothing_queues_two_issues_of_the_same_expense(
    transactional_db, alpha, acme, admin_user, time_machine, monkeypatch
):
    """An expense is claimed without a row lock, and issues on 31 Dec and 1 Jan take numbers from two sequences:
    nothing queues them. The first issue claims the expense and holds its transaction open; the second finds
    nothing claimed yet (not committed), claims too and waits on the constraint's index; when the first commits,
    the second is refused and rolls back with its number."""
    _postgres()
    time_machine.move_to(dt.datetime(2027, 1, 1, 10, tzinfo=LONDON), tick=False)
    expense = expense_record(
        project=alpha, date=dt.date(2026, 3, 5), amount=D("50"), category="travel", supplier="Rail"
    )
    first, second = _draft(admin_user, acme), _draft(admin_user, acme)
    claimed, release = threading.Event(), threading.Event()
    claim = invoices._claim

    def claim_and_hold(invoice: Invoice) -> None:
        claim(invoice)
        if invoice.pk == first.pk:
            claimed.set()
            release.wait(timeout=10)

    monkeypatch.setattr(invoices, "_claim", claim_and_hold)
    errors: list[BaseException] = []

    def issue(draft: Invoice, on: dt.date) -> None:
        try:
            invoice_issue(actor=User.objects.get(pk=admin_user.pk), invoice=draft, on=on)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(first, dt.date(2026, 12, 31)))]
    threads[0].start()
    assert claimed.wait(timeout=10)
    threads.append(threading.Thread(target=issue, args=(second, dt.date(2027, 1, 1))))
    threads[1].start()
    time.sleep(0.5)  # the second issue reaches the constraint's index
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(errors) == 1, errors
    assert isinstance(errors[0], Refused), errors
    assert errors[0].message.startswith("Some of this draft's work is already on another issued invoice")
    assert Invoice.objects.get(pk=first.pk).number == "INV-2026-0001"
    assert Invoice.objects.get(pk=second.pk).state == InvoiceState.DRAFT
    assert InvoiceItem.objects.filter(expense=expense, claimed=True).count() == 1
    assert list(InvoiceSequence.objects.values_list("year", "last_number")) == [(2026, 1)]
