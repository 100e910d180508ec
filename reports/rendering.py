"""Render a report snapshot to HTML (the kind's print template in templates/reports/pdf/) and PDF (apm.pdf).

The print templates are rendered by a dedicated Django template engine
(autoescape on; the site's ``money`` and ``day`` filters of
``apm.templatetags.apm_format`` and the filters below built in) so that
they need no ``{% load %}``. Snapshot values are formatted only
here: money with :func:`format_money`, dates like ``31 Mar 2022``, RAG as a
coloured chip with the word.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.template import Engine
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from apm.charts.burn_up import burn_up_svg
from apm.charts.rag import rag_distribution_svg
from apm.charts.timeline import milestone_timeline_svg
from apm.formatting import format_date, format_money
from apm.pdf import document_to_pdf, html_to_pdf_document
from reports.kinds import UnknownReportKind, kind_for
from reports.kinds.base import ReportKindSpec, Snapshot
from reports.kinds.project_rows import rag_count_line

__all__ = ["RenderedReport", "format_date", "format_money", "report_render_html", "report_render_snapshot"]

register = template.Library()

RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}
#: Commentary longer than this (characters) is cut at a word boundary and ends with "…".
COMMENTARY_LIMIT = 1200


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


@register.filter(name="commentary")
def _commentary_filter(text: str | None) -> str:
    return truncate_commentary(text)


@register.filter(name="bar_length")
def _bar_length_filter(value: str | Decimal | None) -> str:
    """A percentage as the length of a bar of 100 units, clamped to 0 to 100: ``"40.00"`` -> ``"40"``."""
    try:
        length = min(max(Decimal(value or 0), Decimal(0)), Decimal(100))
    except InvalidOperation:
        length = Decimal(0)
    return f"{length.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP).normalize():f}"


@register.filter(name="percent")
def _percent_filter(value: str | Decimal | None) -> str:
    """``"40.00"`` -> ``"40%"``; ``"—"`` for None."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
    except InvalidOperation:
        return "—"


@register.filter(name="rag_word")
def _rag_word_filter(rag: str | None) -> str:
    return RAG_WORDS.get(rag or "", "Not rated")


@register.filter(name="rag_chip")
def _rag_chip_filter(rag: str | None) -> SafeString:
    """A coloured chip with the word (readable in grey: the word carries the meaning)."""
    key = rag if rag in RAG_WORDS else "none"
    return format_html('<span class="rag rag-{}">{}</span>', key, RAG_WORDS.get(rag or "", "Not rated"))


@register.filter(name="signed_class")
def _signed_class_filter(amount: Any) -> str:
    """CSS class for a variance: ``over`` (forecast above budget), ``under`` or ``""``."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return "over" if value > 0 else "under" if value < 0 else ""


@register.filter(name="timeline")
def _timeline_filter(milestones: list[dict[str, Any]] | None, today: dt.date | str) -> SafeString:
    """The milestone timeline SVG (apm.charts.timeline) of a row's milestones around ``today``."""
    return mark_safe(milestone_timeline_svg(milestones=milestones or [], today=today))  # noqa: S308 (escaped inside)


@register.filter(name="burn_up")
def _burn_up_filter(series: list[dict[str, Any]] | None, currency: str | None) -> str:
    """The burn-up SVG (apm.charts.burn_up) of a snapshot's stored PV/EV/AC series; "" when empty."""
    if not series:
        return ""
    points = [
        {
            "date": dt.date.fromisoformat(point["date"]),
            **{key: Decimal(point[key]) if point.get(key) is not None else None for key in ("pv", "ev", "ac")},
        }
        for point in series
    ]
    return mark_safe(burn_up_svg(points, currency=currency or "GBP", title="Burn-up: PV, EV and AC"))  # noqa: S308


@register.filter(name="initials")
def _initials_filter(name: object) -> str:
    """Up to two initials of ``name`` for a monogram logo (any script: first letters of the first two words)."""
    words = [word for word in str(name or "").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper() if words[0][:1].isascii() else words[0][:1]
    return (words[0][:1] + words[1][:1]).upper()


#: Reports with more pages than this get a table of contents after the cover.
TOC_MIN_PAGES = 6


def _spec(snapshot: Snapshot) -> ReportKindSpec:
    try:
        return kind_for(snapshot.get("kind", ""))
    except UnknownReportKind as exc:
        raise ValueError(f"Cannot render a report of kind {snapshot.get('kind')!r}: {exc}") from None


@functools.lru_cache(maxsize=1)
def _engine() -> Engine:
    return Engine(
        dirs=[str(settings.BASE_DIR / "templates")],
        app_dirs=False,
        autoescape=True,
        builtins=["apm.templatetags.apm_format", "reports.rendering"],
    )


def report_render_html(snapshot: Snapshot, *, toc: bool | None = None) -> str:
    """The print HTML of ``snapshot`` (from :func:`reports.snapshot.report_build_snapshot`) in its kind's template.

    ``toc``: include the kind's table of contents (None: when the kind's
    first guess of the length reaches ``TOC_MIN_PAGES``;
    :func:`report_render_snapshot` settles it from the page count). Raises
    ValueError for an unknown ``kind``.
    """
    spec = _spec(snapshot)
    if toc is None:
        toc = spec.estimated_pages(snapshot) >= TOC_MIN_PAGES
    projects = snapshot.get("projects", [])
    totals = snapshot.get("totals", {})
    context = {
        "s": snapshot,
        "internal": snapshot.get("audience") == "internal",
        "projects": projects,
        "totals": totals,
        "changes": snapshot.get("changes", {}),
        "red_projects": [row for row in projects if row.get("rag") == "red" and not row.get("stale")],
        "stale_projects": [row for row in projects if row.get("stale")],
        "rag_line": rag_count_line(totals) if "red" in totals else "",
        "static_url": settings.STATIC_URL,
        "company_name": settings.APM_COMPANY_NAME or "APM",
        "client_name": _client_name(snapshot),
        "rag_chart": mark_safe(  # noqa: S308 (the chart escapes its text)
            rag_distribution_svg(
                counts={key: totals.get(key, 0) for key in ("red", "amber", "green", "not_rated")},
                title="RAG distribution",
            )
        ),
        "toc": spec.toc_entries(snapshot) if toc else [],
    }
    return _engine().get_template(spec.template).render(template.Context(context))


def _client_name(snapshot: Snapshot) -> str:
    """The client a report is for: the project's client when every project has the same one, else ""."""
    clients = {row.get("client") or "" for row in snapshot.get("projects") or []}
    return clients.pop() if len(clients) == 1 else ""


def report_render_snapshot(snapshot: Snapshot) -> RenderedReport:
    """Render ``snapshot`` to HTML and PDF (A4, through the static-only URL fetcher; tagged, PDF/UA-1).

    A report of more than ``TOC_MIN_PAGES - 1`` pages has a table of
    contents. The first layout uses a guess from the number of projects;
    only when the page count contradicts the guess is it laid out again with
    the other choice, so the result depends on the snapshot alone (a
    re-render gives the same text). Raises ValueError for an unknown
    ``kind``; WeasyPrint errors propagate.
    """
    guess = _spec(snapshot).estimated_pages(snapshot) >= TOC_MIN_PAGES
    html = report_render_html(snapshot, toc=guess)
    document = html_to_pdf_document(html)
    needs = len(document.pages) >= TOC_MIN_PAGES
    if needs != guess:
        html = report_render_html(snapshot, toc=needs)
        document = html_to_pdf_document(html)
    pdf = document_to_pdf(document)
    return RenderedReport(html=html, pdf=pdf, page_count=len(document.pages))
