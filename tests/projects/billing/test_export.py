"""The invoice list's export: every invoice the list shows with its filters, as CSV and XLSX; the accounting
CSV (``invoice_export``) stays as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Invoice
from tests.exports_support import csv_rows, export_queries, xlsx_rows

pytestmark = pytest.mark.django_db


def _drafts(client_row, count: int) -> None:
    Invoice.objects.bulk_create(
        Invoice(
            client=client_row,
            currency="GBP",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            rates_on=dt.date(2026, 1, 31),
            net_total=Decimal("100.00"),
            tax_total=Decimal("20.00"),
            gross_total=Decimal("120.00"),
        )
        for _ in range(count)
    )


def _url(fmt: str, query: str = "") -> str:
    return reverse("projects:invoice_list_export", kwargs={"fmt": fmt}) + query


def test_a_head_exports_the_filtered_invoice_list(client, world, head):
    _drafts(world["acme"], 2)
    client.force_login(head)
    page = client.get(reverse("projects:invoices") + "?state=draft").content.decode()
    assert _url("xlsx", "?state=draft") in page
    assert reverse("projects:invoice_export") in page
    rows = xlsx_rows(client.get(_url("xlsx", "?state=draft")))
    assert rows[0][:3] == ["Number", "Kind", "Client"]
    assert [(row[0], row[2], row[6]) for row in rows[1:]] == [("Draft", "Acme", 100)] * 2
    assert len(csv_rows(client.get(_url("csv", "?state=paid")))) == 1


def test_those_who_manage_no_invoices_get_404(client, world, pm, member, client_user):
    for user in (pm, member, client_user):  # a PM manages none unless APM_INVOICES_BY_PM
        client.force_login(user)
        assert client.get(_url("xlsx")).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_takes_the_same_queries_for_5_and_200_invoices(client, world, head, fmt):
    _drafts(world["acme"], 5)
    client.force_login(head)
    few = export_queries(client, _url(fmt))
    _drafts(world["acme"], 195)
    assert export_queries(client, _url(fmt)) == few
