"""Template filters for money and dates: ``{{ amount|money:currency }}``, ``{{ date|day }}``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from apm.formatting import format_date, format_money

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | str | None, currency: str) -> str:
    """``1234567.5|money:"GBP"`` -> ``£1,234,568``; ``—`` for None."""
    return format_money(amount, currency)


@register.filter(name="day")
def day(value: str | dt.date | None) -> str:
    """A date or ISO string -> ``31 Mar 2022``; ``—`` for None."""
    return format_date(value)
