"""Render a report snapshot to HTML (templates/reports/pdf/) and PDF (reports.pdf.html_to_pdf).

The print templates are rendered by a dedicated Django template engine
(autoescape on, the filters below built in) so that they need no
``{% load %}`` and no template-tag app. Snapshot values are formatted only
here: money with :func:`format_money`, dates like ``31 Mar 2022``, RAG as a
coloured chip with the word.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template import Engine
from django.utils.html import format_html

from apm.formatting import format_date, format_money
from reports.pdf import html_to_pdf

__all__ = ["RenderedReport", "format_date", "format_money", "report_render_html", "report_render_snapshot"]

register = template.Library()

RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}
#: Commentary longer than this (characters) is cut at a word boundary and ends with "…".
COMMENTARY_LIMIT = 1200
TEMPLATES = {"portfolio": "reports/pdf/portfolio.html", "highlight": "reports/pdf/highlight.html"}


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report: the HTML given to WeasyPrint, the PDF bytes and its page count."""

    html: str
    pdf: bytes
    page_count: int


def truncate_commentary(text: str | None, limit: int = COMMENTARY_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with "…" when cut."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


@register.filter(name="money")
def _money_filter(amount, currency):
    return format_money(amount, currency)


@register.filter(name="day")
def _day_filter(value):
    return format_date(value)


@register.filter(name="commentary")
def _commentary_filter(text):
    return truncate_commentary(text)


@register.filter(name="percent")
def _percent_filter(value):
    """``"40.00"`` -> ``"40%"``; ``"—"`` for None."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
    except InvalidOperation:
        return "—"


@register.filter(name="rag_word")
def _rag_word_filter(rag):
    return RAG_WORDS.get(rag or "", "Not rated")


@register.filter(name="rag_chip")
def _rag_chip_filter(rag):
    """A coloured chip with the word (readable in grey: the word carries the meaning)."""
    key = rag if rag in RAG_WORDS else "none"
    return format_html('<span class="rag rag-{}">{}</span>', key, RAG_WORDS.get(rag or "", "Not rated"))


@register.filter(name="signed_class")
def _signed_class_filter(amount):
    """CSS class for a variance: ``over`` (forecast above budget), ``under`` or ``""``."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return "over" if value > 0 else "under" if value < 0 else ""


@functools.lru_cache(maxsize=1)
def _engine() -> Engine:
    return Engine(
        dirs=[str(settings.BASE_DIR / "templates")],
        app_dirs=False,
        autoescape=True,
        builtins=["reports.rendering"],
    )


def report_render_html(snapshot: dict) -> str:
    """The print HTML of ``snapshot`` (from :func:`reports.snapshot.report_build_snapshot`).

    Raises ValueError for an unknown ``kind``.
    """
    kind = snapshot.get("kind")
    if kind not in TEMPLATES:
        raise ValueError(f"Cannot render a report of kind {kind!r}.")
    projects = snapshot.get("projects", [])
    totals = snapshot.get("totals", {})
    context = {
        "s": snapshot,
        "internal": snapshot.get("audience") == "internal",
        "projects": projects,
        "totals": totals,
        "changes": snapshot.get("changes", {}),
        "red_projects": [row for row in projects if row.get("rag") == "red"],
        "static_url": settings.STATIC_URL,
    }
    return _engine().get_template(TEMPLATES[kind]).render(template.Context(context))


def report_render_snapshot(snapshot: dict) -> RenderedReport:
    """Render ``snapshot`` to HTML and PDF (A4, through the static-only URL fetcher).

    Raises ValueError for an unknown ``kind``; WeasyPrint errors propagate.
    """
    html = report_render_html(snapshot)
    pdf, pages = html_to_pdf(html)
    return RenderedReport(html=html, pdf=pdf, page_count=pages)
