"""Template filters for money, dates and indices: ``{{ amount|money:currency }}`` (whole units),
``{{ amount|amount:currency }}`` (to the penny), ``{{ date|day }}``,
``{{ date|month }}``, ``{{ cpi|index }}``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from apm.formatting import format_amount, format_date, format_index, format_money, format_month

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | str | None, currency: str) -> str:
    """``1234567.5|money:"GBP"`` -> ``£1,234,568``; ``—`` for None."""
    return format_money(amount, currency)


@register.filter(name="amount")
def amount(value: Decimal | str | None, currency: str) -> str:
    """``1234.5|amount:"GBP"`` -> ``£1,234.50``; ``—`` for None."""
    return format_amount(value, currency)


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
    """A performance index to 2 decimals (``apm.formatting.format_index``)."""
    return format_index(value)
