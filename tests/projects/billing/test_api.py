"""The billing API (read only): rate cards to those who keep them, people's rates to those who see them,
invoices with their lines to those who manage the client's invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Invoice, InvoiceLine
from teams.services import member_rate_set
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _invoice(client, project=None, lines=1):
    invoice = Invoice.objects.create(
        client=client,
        currency="GBP",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        rates_on=dt.date(2026, 3, 31),
        net_total=D("100.00") * lines,
        tax_total=D("20.00") * lines,
        gross_total=D("120.00") * lines,
    )
    for position in range(1, lines + 1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            project=project,
            description=f"Work {position}",
            quantity=D("1"),
            unit="hours",
            unit_price=D("100.00"),
            net=D("100.00"),
            tax_rate=D("20"),
            tax=D("20.00"),
            currency="GBP",
        )
    return invoice


@pytest.fixture
def rates(world):
    developer = factories.JobRoleFactory(title="Developer")
    factories.BillRateFactory(job_role=developer, rate=D("95.00"), currency="GBP")
    factories.BillRateFactory(job_role=developer, rate=D("90.00"), currency="GBP", project=world["alpha_project"])
    return developer


def test_rate_cards_are_for_those_who_keep_them(rates, admin_user, pm, head, member, api_as):
    rows = _results(api_as(admin_user).get("/api/v1/rate-cards/"))
    assert sorted((row["applies_to"], row["project"], row["money"]["rate"]) for row in rows) == [
        ("card", None, "95.00"),
        ("project", "ALPHA-1", "90.00"),
    ]
    assert rows[0]["job_role_title"] == "Developer"
    for who in (pm, head, member):
        assert _results(api_as(who).get("/api/v1/rate-cards/")) == []
    _problem(api_as(pm).get(f"/api/v1/rate-cards/{rows[0]['id']}/"), 404)
    assert len(_results(api_as(admin_user).get("/api/v1/rate-cards/?applies_to=project"))) == 1


def test_a_client_token_gets_a_403_on_billing(world, client_user, api_as):
    client = api_as(client_user)
    for url in ("/api/v1/rate-cards/", "/api/v1/member-rates/", "/api/v1/invoices/"):
        _problem(client.get(url), 403)


def test_member_rates_are_for_admins_and_the_heads_of_the_persons_department(
    world, admin_user, head, outside_head, pm, member, api_as
):
    mo = world["alpha_project"].team_members.get()
    member_rate_set(member=mo, cost_rate=D("55.00"), bill_rate=D("95.00"), valid_from=dt.date(2024, 1, 1))
    for who in (admin_user, head):
        rows = _results(api_as(who).get("/api/v1/member-rates/"))
        assert [(row["person_name"], row["money"]["cost_rate"]) for row in rows] == [("Mo Member", "55.00")]
    for who in (outside_head, pm, member):
        assert _results(api_as(who).get("/api/v1/member-rates/")) == []


def test_invoices_are_for_those_who_manage_the_clients_invoices(world, admin_user, head, pm, member, api_as):
    invoice = _invoice(world["acme"], world["alpha_project"], lines=2)
    _invoice(world["globex"])
    rows = _results(api_as(head).get("/api/v1/invoices/"))
    assert [row["id"] for row in rows] == [invoice.pk]
    body = rows[0]
    assert (body["state"], body["client_name"], body["money"]["gross_total"]) == ("draft", "Acme", "240.00")
    assert [(line["position"], line["project"], line["money"]["net"]) for line in body["lines"]] == [
        (1, "ALPHA-1", "100.00"),
        (2, "ALPHA-1", "100.00"),
    ]
    assert body["download_url"].endswith(f"/invoices/{invoice.pk}/pdf/")
    assert len(_results(api_as(admin_user).get("/api/v1/invoices/"))) == 2
    # A PM (invoices by PM off) and a team member see none.
    for who in (pm, member):
        assert _results(api_as(who).get("/api/v1/invoices/")) == []
        _problem(api_as(who).get(f"/api/v1/invoices/{invoice.pk}/"), 404)
    assert _results(api_as(head).get("/api/v1/invoices/?project=BETA-1")) == []
    assert len(_results(api_as(head).get("/api/v1/invoices/?project=ALPHA-1&state=draft"))) == 1
    _problem(api_as(head).get("/api/v1/invoices/?state=lost"), 400)


def test_a_token_limited_to_projects_sees_the_invoices_billing_them(world, admin_user, api_as):
    alpha = _invoice(world["acme"], world["alpha_project"])
    _invoice(world["globex"], world["beta_project"])
    limited = api_as(admin_user, projects=[world["alpha_project"]])
    assert [row["id"] for row in _results(limited.get("/api/v1/invoices/"))] == [alpha.pk]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_the_invoice_list_takes_the_same_queries_for_5_and_200_invoices(world, head, api_as):
    for _ in range(5):
        _invoice(world["acme"], world["alpha_project"], lines=2)
    few = _count(api_as(head), "/api/v1/invoices/?page_size=200")
    for _ in range(195):
        _invoice(world["acme"], world["alpha_project"], lines=2)
    many = _count(api_as(head), "/api/v1/invoices/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_the_rate_card_list_takes_the_same_queries_for_5_and_200_rates(world, admin_user, api_as):
    def make(count, start):
        for number in range(start, start + count):
            role = factories.JobRoleFactory(title=f"Role {number}")
            factories.BillRateFactory(job_role=role, rate=D("50.00"), currency="GBP", client=world["acme"])

    make(5, 0)
    few = _count(api_as(admin_user), "/api/v1/rate-cards/?page_size=200")
    make(195, 5)
    many = _count(api_as(admin_user), "/api/v1/rate-cards/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_the_member_rate_list_takes_the_same_queries_for_5_and_200_rates(world, admin_user, api_as):
    def make(count):
        for _ in range(count):
            person = factories.TeamMemberFactory(department=world["alpha"])
            member_rate_set(member=person, cost_rate=D("40.00"), bill_rate=D("80.00"), valid_from=dt.date(2024, 1, 1))

    make(5)
    few = _count(api_as(admin_user), "/api/v1/member-rates/?page_size=200")
    make(195)
    many = _count(api_as(admin_user), "/api/v1/member-rates/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_the_overdue_filter_reads_the_lists_mark(world, head, api_as):
    _invoice(world["acme"], world["alpha_project"])
    client = api_as(head)
    assert _results(client.get("/api/v1/invoices/?overdue=true")) == []
    assert [row["overdue"] for row in _results(client.get("/api/v1/invoices/?overdue=false"))] == [False]
    _problem(client.get("/api/v1/invoices/?client=99999999999999999999999"), 400)
    _problem(client.get("/api/v1/invoices/1.5e9/"), 404)
