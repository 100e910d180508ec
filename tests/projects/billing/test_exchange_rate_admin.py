"""The exchange-rate admin: an administrator's rate says who entered it; a bad code or rate is refused on the form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import ExchangeRate

ADD = reverse("admin:projects_exchangerate_add")


def test_it_writes_who_entered_a_rate_when_the_source_is_left_blank(client, admin_user):
    client.force_login(admin_user)
    response = client.post(ADD, {"date": "2026-12-04", "currency": "gbp", "rate": "0.8612", "source": ""})
    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.date, rate.currency, rate.rate, rate.source) == (
        dt.date(2026, 12, 4),
        "GBP",
        Decimal("0.8612"),
        "Entered by admin",
    )


def test_it_keeps_a_source_given(client, admin_user):
    client.force_login(admin_user)
    client.post(ADD, {"date": "2026-12-04", "currency": "USD", "rate": "1.055", "source": "Bank statement"})
    assert ExchangeRate.objects.get().source == "Bank statement"


@pytest.mark.parametrize(
    ("currency", "rate", "message"),
    [
        ("EUR", "1", "Rates are quoted against EUR"),
        ("G1P", "1", "A currency is three letters"),
        ("GBP", "0", "A rate is above zero."),
    ],
)
def test_it_refuses_a_bad_code_or_rate_on_the_form(client, admin_user, currency, rate, message):
    client.force_login(admin_user)
    response = client.post(ADD, {"date": "2026-12-04", "currency": currency, "rate": rate, "source": ""})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExchangeRate.objects.exists()
