"""Formatting shared by web pages, emails and PDFs: money and dates as readers expect them.

Money: whole units with thousands separators and the currency symbol
(``£1,234,567``); dates: ``31 Mar 2022``. Templates use the ``money`` and
``day`` filters of ``{% load apm_format %}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_money(amount: Decimal | str | None, currency: str) -> str:
    """Whole units with thousands separators and the currency: ``"£1,234,567"``, ``"-£1,200"``.

    ``amount`` is a Decimal or a Decimal string in major units (pounds),
    rounded half-up to whole units. ``None`` or an empty/unparseable string
    gives ``"—"``. Currencies without a symbol read ``"CHF 1,234"``.
    """
    return _money_text(amount, currency, places=0)


def _money_text(amount: Decimal | str | None, currency: str, *, places: int) -> str:
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    if not value.is_finite():
        return "—"
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get((currency or "").upper())
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{(currency or '').upper()} {digits}".strip()


def format_amount(amount: Decimal | str | None, currency: str) -> str:
    """To the penny, as an invoice states it: ``"£1,234.50"``, ``"-£60.00"``, ``"CHF 1,234.00"``; ``"—"`` as
    :func:`format_money` for None or what is no number. Rounded half-up to two places."""
    return _money_text(amount, currency, places=2)


def format_index(value: Decimal | str | float | None) -> str:
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


def format_date(value: str | dt.date | None) -> str:
    """``"2022-03-31"`` or a date -> ``"31 Mar 2022"``; ``"—"`` for None or an unreadable value."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return "—"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_month(value: dt.date | None) -> str:
    """A date -> ``"Mar 2022"``; ``""`` for None."""
    if value is None:
        return ""
    return f"{MONTHS[value.month - 1]} {value.year}"
