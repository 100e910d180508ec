"""Overdue invoices on the desks: issued, unpaid past their due date, billing a project on the desk; shown to whoever
may see that project's money (the PM, the department's head), linked to the invoice's page only for whoever manages
the client's invoices; never a paid, void, not yet due invoice nor a credit note, nor another project's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from projects.billing.invoice_selectors import overdue_on_desk
from projects.desk.selectors import desk_for, head_desk_for
from projects.models import InvoiceState
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 4)
NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def invoices(world):
    """On ALPHA-1 (Acme): INV-2026-0001 due 1 Apr (overdue), 0002 due 3 May (overdue, a day), 0003 due today (not
    yet), 0004 paid, 0005 void with its credit note; on BETA-1 (Globex): 0006 overdue."""
    alpha, beta = world["alpha_project"], world["beta_project"]
    late = factories.issued_invoice(alpha, sequence=1, due_date=dt.date(2026, 4, 1))
    factories.issued_invoice(alpha, sequence=2, due_date=dt.date(2026, 5, 3))
    factories.issued_invoice(alpha, sequence=3, due_date=TODAY)
    factories.issued_invoice(
        alpha, sequence=4, due_date=dt.date(2026, 4, 1), state=InvoiceState.PAID, paid_on=dt.date(2026, 4, 20)
    )
    void = factories.issued_invoice(alpha, sequence=5, due_date=dt.date(2026, 3, 1), state=InvoiceState.VOID)
    factories.issued_invoice(alpha, sequence=1, due_date=dt.date(2026, 3, 1), credits=void)
    factories.issued_invoice(beta, sequence=6, due_date=dt.date(2026, 4, 1))
    return late


@time_machine.travel(NOW, tick=False)
def test_the_pm_sees_their_projects_overdue_invoices_only(world, users, invoices, client):
    desk = desk_for(user=users["pm"], today=TODAY)
    assert [invoice.number for invoice in desk.invoices_overdue] == ["INV-2026-0001", "INV-2026-0002"]
    assert desk.total == 2
    client.force_login(users["pm"])
    page = client.get(reverse("projects:desk")).content.decode()
    card = page.split('id="desk-invoices"', 1)[1].split("</section>", 1)[0]
    assert "INV-2026-0001" in card
    assert "Acme" in card
    assert "£1,200.00 due 1 Apr 2026" in card
    assert "1\xa0month overdue" in card
    assert "INV-2026-0006" not in page
    # Without the setting a PM does not manage the client's invoices: the number, no link to a page they cannot open.
    assert reverse("projects:invoice", args=[invoices.pk]) not in card
    assert "Every overdue invoice" not in card


@time_machine.travel(NOW, tick=False)
def test_a_pm_who_manages_the_clients_invoices_gets_the_links(world, users, invoices, client, settings):
    settings.APM_INVOICES_BY_PM = True
    client.force_login(users["pm"])
    card = client.get(reverse("projects:desk")).content.decode().split('id="desk-invoices"', 1)[1]
    assert f'href="{reverse("projects:invoice", args=[invoices.pk])}"' in card
    assert f'href="{reverse("projects:invoices")}?state=overdue"' in card
    assert client.get(reverse("projects:invoice", args=[invoices.pk])).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_head_sees_their_departments_overdue_invoices_linked(world, users, invoices, client):
    head = head_desk_for(user=users["head"], today=TODAY)
    assert head is not None
    assert [invoice.number for invoice in head.invoices_overdue] == ["INV-2026-0001", "INV-2026-0002"]
    assert head.total == 0  # not a decision: shown beside them
    client.force_login(users["head"])
    page = client.get(reverse("projects:desk")).content.decode()
    assert f'href="{reverse("projects:invoice", args=[invoices.pk])}"' in page
    assert "INV-2026-0006" not in page


@time_machine.travel(NOW, tick=False)
def test_whoever_may_not_see_the_money_sees_no_invoice(world, users, invoices, django_assert_num_queries):
    project = world["alpha_project"].pk
    # A team member on the project may not see its money: nothing, whatever projects are asked about.
    with django_assert_num_queries(1):
        assert overdue_on_desk(users["member"], frozenset({project}), today=TODAY) == []
    assert overdue_on_desk(users["client_user"], frozenset({project}), today=TODAY) == []
    with django_assert_num_queries(0):
        assert overdue_on_desk(users["pm"], frozenset(), today=TODAY) == []
    assert [i.number for i in overdue_on_desk(users["admin"], frozenset({project}), today=TODAY)] == [
        "INV-2026-0001",
        "INV-2026-0002",
    ]
