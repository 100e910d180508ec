"""The date filters the list pages use write what Django's ``date`` filter writes, without its locale lookups; money
in whole units or to the penny."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template import Context, Template

from apm.formatting import format_amount, format_money


def _render(text: str, value: dt.date | None) -> str:
    return Template("{% load apm_format %}" + text).render(Context({"d": value}))


def test_it_writes_months_and_days_as_the_date_filter_does():
    for day in (dt.date(2025, month, 1 + month) for month in range(1, 13)):
        assert _render("{{ d|month }}", day) == _render('{{ d|date:"M Y" }}', day)
        assert _render("{{ d|day }}", day) == _render('{{ d|date:"j M Y"|default:"—" }}', day)


def test_it_writes_nothing_for_no_month_and_a_dash_for_no_day():
    assert _render("{{ d|month }}", None) == _render('{{ d|date:"M Y" }}', None) == ""
    assert _render("{{ d|day }}", None) == _render('{{ d|date:"j M Y"|default:"—" }}', None) == "—"


def test_it_writes_money_in_whole_units_or_to_the_penny():
    assert format_money(Decimal("1234567.5"), "GBP") == "£1,234,568"
    assert format_amount(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert format_amount(Decimal("-60"), "EUR") == "-€60.00"
    assert format_amount(Decimal("0.005"), "CHF") == "CHF 0.01"
    assert format_amount(None, "GBP") == format_amount("NaN", "GBP") == format_amount("x", "GBP") == "—"
