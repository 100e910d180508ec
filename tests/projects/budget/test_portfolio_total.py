"""The department budget table's total in a reporting currency: the rates it used, the gaps it shows, its queries.

Rates are test figures (1 EUR = 0.8612 GBP on Fri 4 Dec 2026), not the ECB's.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.models import ExchangeRate
from tests import factories

D = Decimal
FRI = dt.date(2026, 12, 4)
URL = reverse("projects:department_budget", args=["ALPHA"])


@pytest.fixture
def mixed(world):
    """ALPHA-1 (GBP, BAC 1,000,000), an EUR project (BAC 50,000) and three USD projects; GBP quoted on Friday,
    USD not at all."""
    factories.ProjectFactory(code="ALPHA-EUR", departments=[world["alpha"]], currency="EUR", bac=D("50000"))
    for n in range(3):
        factories.ProjectFactory(code=f"ALPHA-USD{n}", departments=[world["alpha"]], currency="USD", bac=D("10000"))
    ExchangeRate.objects.create(date=FRI, currency="GBP", rate=D("0.8612"), source="test figures")
    return world


def _footer(body: str) -> str:
    return re.sub(r"\s+", " ", body.split("<tfoot>")[1].split("</tfoot>")[0])


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))


def test_it_totals_the_table_in_gbp_at_fridays_rate_on_a_sunday_and_shows_the_usd_gap(client, head, mixed):
    client.force_login(head)
    response = client.get(URL, {"currency": "GBP", "on": "2026-12-06", "as_of": "2026-12-06"})
    assert response.status_code == 200
    body = response.content.decode()
    # BAC: 1,000,000 GBP + 50,000 EUR * 0.8612 GBP per EUR = 1,043,060 GBP; nothing spent, so EAC = BAC
    footer = _footer(body)
    assert "Total in GBP" in footer
    assert "without USD" in footer
    assert footer.count('<td class="num">£1,043,060</td>') == 2  # BAC and EAC
    text = _text(body)
    assert "Total in GBP at the exchange rates of Sun 6 Dec 2026" in text
    assert "EUR at 0.8612 of Fri 4 Dec 2026" in text
    assert "No USD rate within 5 days before 6 Dec 2026: 3 USD projects are not in this total." in text
    assert "currency=GBP&amp;on=2026-12-06" in body  # the table's links keep the choice


@pytest.mark.parametrize("usd_projects", [0, 40])
def test_it_totals_in_a_fixed_number_of_queries(client, head, mixed, usd_projects, django_assert_num_queries):
    for n in range(usd_projects):
        factories.ProjectFactory(code=f"MORE-{n:02d}", departments=[mixed["alpha"]], currency="USD", bac=D("1"))
    client.force_login(head)
    # The table's 9 (session, user, department, statuses, figures, the figures added up as their stored ones
    # were written after the day asked, milestones, the page's projects, the department list), the 2 of the
    # page's margins (approved time and billable expenses by month) and one for every rate the total needs.
    with django_assert_num_queries(12):
        response = client.get(URL, {"currency": "GBP", "on": "2026-12-06", "as_of": "2026-12-06"})
    assert f"{3 + usd_projects} USD projects are not in this total" in _text(response.content.decode())


def test_it_needs_no_rate_when_every_project_is_in_the_reporting_currency(client, head, world):
    client.force_login(head)
    text = _text(client.get(URL, {"as_of": "2026-12-06"}).content.decode())
    assert "every project is in GBP, no rate needed" in text
    assert "No GBP rate" not in text


@time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=zoneinfo.ZoneInfo("Europe/London")), tick=False)
def test_it_defaults_to_the_most_common_currency_and_todays_rates(client, head, world):
    for n in range(2):
        factories.ProjectFactory(code=f"ALPHA-EUR{n}", departments=[world["alpha"]], currency="EUR", bac=D("1000"))
    ExchangeRate.objects.create(date=FRI, currency="GBP", rate=D("0.8612"), source="test figures")
    client.force_login(head)
    body = client.get(URL).content.decode()
    text = _text(body)
    # Mon 7 Dec has no rate yet: Friday's. 1,000,000 GBP / 0.8612 = 1,161,170.46 EUR, + 2,000 EUR
    assert "Total in EUR at the exchange rates of Mon 7 Dec 2026" in text
    assert "GBP at 1.16117 of Fri 4 Dec 2026" in text
    assert '<td class="num">€1,163,170</td>' in _footer(body)
    assert "<option selected>EUR</option>" in body


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"currency": "xyz"}, "“XYZ” is not a currency this table totals in; the total is in GBP."),
        ({"currency": "<b>GBP</b>"}, "“&lt;B&gt;GBP&lt;/B&gt;” is not a currency"),
        ({"on": "2026-02-30"}, "“2026-02-30” is not a date (YYYY-MM-DD, 1900 to 2200); the rates are today&#x27;s."),
        ({"on": "0001-01-01"}, "“0001-01-01” is not a date"),
    ],
)
def test_it_answers_a_bad_currency_or_date_with_a_message_and_the_defaults(client, head, world, query, note):
    client.force_login(head)
    response = client.get(URL, {"as_of": "2026-12-06", **query})
    assert response.status_code == 200
    body = response.content.decode()
    assert note in body
    assert "Total in GBP" in _footer(body)
