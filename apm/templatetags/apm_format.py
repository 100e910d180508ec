"""Template filters for money, dates and indices: ``{{ amount|money:currency }}``, ``{{ date|day }}``,
``{{ date|month }}``, ``{{ cpi|index }}``."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from apm.formatting import format_date, format_money, format_month

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | str | None, currency: str) -> str:
    """``1234567.5|money:"GBP"`` -> ``£1,234,568``; ``—`` for None."""
    return format_money(amount, currency)


@register.filter(name="day")
def day(value: str | dt.date | None) -> str:
    """A date or ISO string -> ``31 Mar 2022``; ``—`` for None."""
    return format_date(value)


@register.filter(name="month")
def month(value: dt.date | None) -> str:
    """A date -> ``Mar 2022``; ``""`` for None (as ``|date:"M Y"`` writes them, without its locale lookups)."""
    return format_month(value)


@register.filter(name="index")
def index(value: Decimal | str | float | None) -> str:
    """A performance index (CPI, SPI, TCPI) to 2 decimals, rounded half up: ``0.8333`` -> ``0.83``, ``1`` ->
    ``1.00``; ``—`` for None, "" or a value that is not a number."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return "—"
    if not number.is_finite():
        return "—"
    return str(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
