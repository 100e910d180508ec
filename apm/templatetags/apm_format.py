"""Template filters for money, dates and indices: ``{{ amount|money:currency }}`` (whole units),
``{{ amount|amount:currency }}`` (to the penny), ``{{ date|day }}``,
``{{ date|month }}``, ``{{ cpi|index }}``; ``{% rag_chip rag title %}`` (a status RAG with its word)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apm.formatting import format_amount, format_date, format_index, format_money, format_month

register = template.Library()

#: The word of each status RAG a chip shows; anything else is "No RAG".
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}


@register.simple_tag
def rag_chip(rag: str | None, title: str = "") -> SafeString:
    """A RAG chip with its word: ``<span class="rag rag-red" title="…">Red</span>`` (``rag-none``, "No RAG",
    for an empty one). A tag rather than an included template: a desk's fifty chips as includes cost a
    millisecond and a half of its rendering."""
    if title:
        return format_html('<span class="rag rag-{}" title="{}">{}</span>', rag or "none", title, _word(rag))
    return format_html('<span class="rag rag-{}">{}</span>', rag or "none", _word(rag))


def _word(rag: str | None) -> str:
    return RAG_WORDS.get(rag or "", "No RAG")


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
