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
import gc
import math
from collections.abc import Callable, Mapping, Sequence
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
from apm.pdf import (
    PRINT_CSS_PATH,
    Chunk,
    document_to_pdf,
    gc_paused,
    html_to_chunk,
    html_to_pdf_document,
    outline_tree,
    page_number_kit,
    render_static_furniture,
)
from apm.pdf_merge import merge_tagged
from reports.chunk_cache import chunk_key, files_digest, layout_key
from reports.kinds import UnknownReportKind, kind_for
from reports.kinds.base import ReportKindSpec, Snapshot
from reports.kinds.project_rows import rag_count_line
from reports.sections import (
    CONTENTS_ENTRIES_PER_PAGE,
    Section,
    contents_entries,
    contents_section,
    plan_chunks,
    portfolio_sections,
    section_from_json,
    section_json,
)

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


@register.filter(name="rag_chart")
def _rag_chart_filter(totals: Mapping[str, Any] | None) -> SafeString:
    """The RAG distribution SVG (apm.charts.rag) of a snapshot's totals."""
    totals = totals or {}
    counts = {key: totals.get(key, 0) for key in ("red", "amber", "green", "not_rated")}
    return mark_safe(rag_distribution_svg(counts=counts, title="RAG distribution"))  # noqa: S308 (escaped inside)


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


#: The kinds whose document is a sequence of sections (reports/sections.py), which may be laid out in chunks.
SECTIONED: dict[str, Any] = {"portfolio": portfolio_sections}
#: The running footer's audience line (the cover says the same: templates/reports/pdf/_cover.html).
AUDIENCE_LINES = {True: "Internal: contains cost figures", False: "Prepared for the client"}


def _context(snapshot: Snapshot, spec: ReportKindSpec, *, toc: bool) -> dict[str, Any]:
    projects = snapshot.get("projects", [])
    totals = snapshot.get("totals", {})
    return {
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
        "toc": spec.toc_entries(snapshot) if toc else [],
    }


def summary_slice(snapshot: Snapshot) -> dict[str, Any]:
    """What the cover and summary of a sectioned report show, as plain JSON: the title, scope and period, the
    totals, the changes, the red and stale projects (code, name, rating, date), the company and client, the
    audience. Its section is rendered from this alone (and cached under it)."""
    projects = snapshot.get("projects") or []
    totals = snapshot.get("totals") or {}
    red = [row for row in projects if row.get("rag") == "red" and not row.get("stale")]
    stale = [row for row in projects if row.get("stale")]
    return {
        "s": {key: snapshot.get(key) for key in ("title", "scope_label", "period_start", "period_end", "totals")},
        "internal": snapshot.get("audience") == "internal",
        "totals": totals,
        "changes": {"lines": list((snapshot.get("changes") or {}).get("lines") or [])},
        "red_projects": [{"code": row.get("code"), "name": row.get("name")} for row in red],
        "stale_projects": [
            {"code": row.get("code"), "rag": row.get("rag"), "as_of": row.get("as_of")} for row in stale
        ],
        "rag_line": rag_count_line(totals) if "red" in totals else "",
        "company_name": settings.APM_COMPANY_NAME or "APM",
        "client_name": _client_name(snapshot),
    }


def report_sections(snapshot: Snapshot) -> list[Section] | None:
    """The sections of ``snapshot``'s document without the contents (None for a kind that is not sectioned)."""
    build = SECTIONED.get(snapshot.get("kind", ""))
    if build is None:
        return None
    _spec(snapshot)
    return list(build(snapshot, summary_slice(snapshot)))


def _render_sections(sections: Sequence[Section]) -> SafeString:
    """The HTML of ``sections``, each rendered from its own context alone."""
    engine = _engine()
    html = "".join(
        engine.get_template(section.template).render(template.Context(dict(section.context))) for section in sections
    )
    return mark_safe(html)  # noqa: S308 (autoescaped templates)


def _wrapper(kind: str, audience: str, title: str) -> dict[str, Any]:
    """The context of a sectioned kind's document around its sections: the title (the PDF's, on the first
    chunk only), kind and audience (the body's classes) and nothing else."""
    return {"s": {"title": title, "kind": kind, "audience": audience}, "static_url": settings.STATIC_URL}


def _document_html(kind: str, audience: str, title: str, sections: Sequence[Section]) -> str:
    """A complete print document (the kind's template) whose body is ``sections``."""
    spec = kind_for(kind)
    context = {**_wrapper(kind, audience, title), "body": _render_sections(sections)}
    return _engine().get_template(spec.template).render(template.Context(context))


def report_render_html(snapshot: Snapshot, *, toc: bool | None = None) -> str:
    """The print HTML of ``snapshot`` (from :func:`reports.snapshot.report_build_snapshot`) in its kind's template.

    ``toc``: include the kind's table of contents (None: when the kind's
    first guess of the length reaches ``TOC_MIN_PAGES``;
    :func:`report_render_snapshot` settles it from the page count). A
    sectioned kind's document is all its sections, the contents a page of its
    own after the first. Raises ValueError for an unknown ``kind``.
    """
    spec = _spec(snapshot)
    if toc is None:
        toc = spec.estimated_pages(snapshot) >= TOC_MIN_PAGES
    sections = report_sections(snapshot)
    if sections is None:
        return _engine().get_template(spec.template).render(template.Context(_context(snapshot, spec, toc=toc)))
    if toc:
        entries = [{"anchor": anchor, "title": title, "page": ""} for anchor, title in contents_entries(sections)]
        sections = [sections[0], contents_section(entries), *sections[1:]]
    return _document_html(snapshot["kind"], snapshot.get("audience", ""), str(snapshot.get("title") or ""), sections)


def _client_name(snapshot: Snapshot) -> str:
    """The client a report is for: the project's client when every project has the same one, else ""."""
    clients = {row.get("client") or "" for row in snapshot.get("projects") or []}
    return clients.pop() if len(clients) == 1 else ""


def report_render_snapshot(snapshot: Snapshot, *, chunked: bool | None = None) -> RenderedReport:
    """Render ``snapshot`` to HTML and PDF (A4, through the static-only URL fetcher; tagged, PDF/UA-1).

    A report of more than ``TOC_MIN_PAGES - 1`` pages has a table of
    contents. The first layout uses a guess from the number of projects;
    only when the page count contradicts the guess is it laid out again with
    the other choice, so the result depends on the snapshot alone (a
    re-render gives the same text). Raises ValueError for an unknown
    ``kind``; WeasyPrint errors propagate.

    ``chunked``: lay a sectioned kind out chunk by chunk and merge
    (:func:`_render_chunked`: same text on every page, same contents and
    page numbers, bounded memory); None: when the report has more projects
    than the setting ``APM_REPORT_CHUNK_ABOVE`` (40 unless the environment
    says otherwise). ValueError for ``chunked=True`` on a kind that is
    not sectioned.
    """
    spec = _spec(snapshot)
    if chunked is None:
        chunked = wants_chunks(snapshot)
    if chunked:
        return _render_chunked(snapshot)
    guess = spec.estimated_pages(snapshot) >= TOC_MIN_PAGES
    with gc_paused():  # a fifth of a first render's time in a new process went to the garbage collector
        html = report_render_html(snapshot, toc=guess)
        document = html_to_pdf_document(html)
        needs = len(document.pages) >= TOC_MIN_PAGES
        if needs != guess:
            html = report_render_html(snapshot, toc=needs)
            document = html_to_pdf_document(html)
        pdf = document_to_pdf(document)
    return RenderedReport(html=html, pdf=pdf, page_count=len(document.pages))


def wants_chunks(snapshot: Snapshot) -> bool:
    """Whether ``snapshot``'s report is laid out in parts: a sectioned kind with more projects than the setting
    ``APM_REPORT_CHUNK_ABOVE``."""
    return snapshot.get("kind") in SECTIONED and len(snapshot.get("projects") or []) > settings.APM_REPORT_CHUNK_ABOVE


def furniture_strings(snapshot: Snapshot) -> dict[str, str]:
    """The running header and footer a single pass takes from the cover (``string-set`` in print.css)."""
    return {
        "title": " ".join(str(snapshot.get("title") or "").split()),
        "date": format_date(snapshot.get("period_end")),
        "audience": AUDIENCE_LINES[snapshot.get("audience") == "internal"],
    }


@dataclass(frozen=True)
class ChunkPlan:
    """One chunk of a sectioned report: what its layout takes, and nothing else.

    ``title``: the document's title, given to the first chunk alone (the merged PDF takes its title from it).
    ``sections``: its sections as JSON (:func:`reports.sections.section_json`). ``key``: the cache key of its
    layout (:func:`reports.chunk_cache.chunk_key`).
    """

    kind: str
    audience: str
    title: str
    sections: list[dict[str, Any]]
    key: str


def plan_report_chunks(snapshot: Snapshot) -> list[ChunkPlan]:
    """The chunks ``snapshot``'s report is laid out in (:func:`reports.sections.plan_chunks`, at least
    ``APM_REPORT_MIN_PARTS`` of them as far as its sections allow), with their keys.

    ValueError for a kind that is not sectioned.
    """
    sections = report_sections(snapshot)
    if sections is None:
        raise ValueError(f"A report of kind {snapshot.get('kind')!r} is not laid out in sections: no chunks.")
    kind, audience = snapshot["kind"], snapshot.get("audience", "")
    files = files_digest()
    plans = []
    for index, group in enumerate(plan_chunks(sections, min_chunks=settings.APM_REPORT_MIN_PARTS)):
        title = str(snapshot.get("title") or "") if index == 0 else ""
        data = [section_json(section) for section in group]
        plans.append(ChunkPlan(kind, audience, title, data, chunk_key(kind, audience, title, data, files=files)))
    return plans


def contents_plan(kind: str, audience: str, entries: Sequence[Mapping[str, Any]]) -> ChunkPlan:
    """The contents as a chunk of its own (laid out last, its entries' pages given)."""
    data = [section_json(contents_section(entries))]
    return ChunkPlan(kind, audience, "", data, chunk_key(kind, audience, "", data))


def lay_out_chunk(plan: ChunkPlan) -> Chunk:
    """Lay ``plan`` out alone (:func:`apm.pdf.html_to_chunk`): from its sections, kind, audience and title; its
    element IDs begin with its key's first 16 digits (the key differs from every other part's of a report, as
    its sections do)."""
    sections = [section_from_json(data) for data in plan.sections]
    return html_to_chunk(_document_html(plan.kind, plan.audience, plan.title, sections), id_prefix=f"{plan.key[:16]}-")


#: Keeps a layout under its key: ``remember(key, make)`` gives the layout stored under ``key``, or ``make()``'s
#: (and may store it). The chunk cache's in the workers (``reports.services.chunking``); none in one process.
Remember = Callable[[str, Callable[[], Chunk]], Chunk]


def _uncached(_key: str, make: Callable[[], Chunk]) -> Chunk:
    chunk = make()
    gc.collect()
    return chunk


def _render_chunked(snapshot: Snapshot) -> RenderedReport:
    """The report laid out chunk by chunk in this process, one after another, nothing cached
    (:func:`plan_report_chunks`), then :func:`assemble_chunks`."""
    plans = plan_report_chunks(snapshot)
    chunks = [_uncached(plan.key, functools.partial(lay_out_chunk, plan)) for plan in plans]
    pdf, total, needs = assemble_chunks(snapshot, plans, chunks)
    return RenderedReport(html=report_render_html(snapshot, toc=needs), pdf=pdf, page_count=total)


def assemble_chunks(
    snapshot: Snapshot,
    plans: Sequence[ChunkPlan],
    chunks: Sequence[Chunk],
    *,
    remember: Remember = _uncached,
) -> tuple[bytes, int, bool]:
    """The laid-out ``chunks`` of ``plans`` as one PDF: the contents laid out last from the chunks' anchors, the
    page furniture (the running header laid out once, the footer from the number kit), all merged
    (:func:`apm.pdf_merge.merge_tagged`; in a process of its own above ``APM_REPORT_MERGE_APART_PAGES``
    pages); each layout through ``remember`` (a cache). Returns ``(pdf, pages, with_contents)``.

    The contents decision is the single pass's: laid out with the first guess, kept when the page count
    agrees, else the other choice; so both give the same pages.
    """
    spec = _spec(snapshot)
    guess = spec.estimated_pages(snapshot) >= TOC_MIN_PAGES
    entries = [
        (anchor, title) for plan in plans for section in plan.sections for anchor, title in section.get("anchors") or ()
    ]
    body = sum(chunk.pages for chunk in chunks)
    contents = (
        _contents_chunk(snapshot["kind"], snapshot.get("audience", ""), entries, chunks, remember)
        if guess or body >= TOC_MIN_PAGES
        else None
    )
    needs = body + (contents.pages if guess and contents else 0) >= TOC_MIN_PAGES
    ordered = [chunks[0], contents, *chunks[1:]] if needs and contents else list(chunks)
    total = sum(chunk.pages for chunk in ordered)
    strings = furniture_strings(snapshot)
    header = {"title": strings["title"], "date": strings["date"]}
    running = remember(
        layout_key({"furniture": "running", "strings": header}),
        lambda: Chunk(pdf=render_static_furniture(header), pages=1),
    )
    pdf = merge_tagged(
        ordered,
        contents=1 if needs and contents else None,
        static=running.pdf,
        numbers=page_number_kit(tuple(AUDIENCE_LINES.values())),
        audience=strings["audience"],
        outline=outline_tree(ordered),
        apart=total > settings.APM_REPORT_MERGE_APART_PAGES,
        timeout=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    )
    return pdf, total, bool(needs and contents)


def renderer_warm_up() -> None:
    """Parse print.css, load its fonts and lay out the page-number kit: what the first layout in a process pays
    (a few tenths of a second) and every later one does not. A worker process does it when it starts
    (``reports.tasks``)."""
    page = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Warm-up</title>'
        f'<link rel="stylesheet" href="{settings.STATIC_URL}{PRINT_CSS_PATH}"></head><body>'
        "<h1>Warm-up</h1><h2>Projects</h2><p><strong>Bold</strong> <em>italic</em> text.</p>"
        "<table><thead><tr><th>Code</th><th>Name</th></tr></thead><tbody><tr><td>A-1</td><td>Alpha</td></tr>"
        "</tbody></table></body></html>"
    )
    html_to_chunk(page, id_prefix="warm-up-")
    page_number_kit(tuple(AUDIENCE_LINES.values()))


def _contents_chunk(
    kind: str,
    audience: str,
    entries: Sequence[tuple[str, str]],
    chunks: Sequence[Chunk],
    remember: Remember,
) -> Chunk:
    """The contents laid out alone, after the first chunk, each entry's page from the chunks' anchors."""
    pages = max(1, math.ceil(len(entries) / CONTENTS_ENTRIES_PER_PAGE))
    for _attempt in range(3):
        where: dict[str, int] = {}
        start = 0
        for index, chunk in enumerate(chunks):
            for anchor, page in chunk.anchors.items():
                where.setdefault(anchor, start + page + 1)
            start += chunk.pages + (pages if index == 0 else 0)
        missing = [anchor for anchor, _title in entries if anchor not in where]
        if missing:
            raise RuntimeError(f"Contents entries without a heading in any chunk: {', '.join(missing)}.")
        plan = contents_plan(
            kind, audience, [{"anchor": anchor, "title": title, "page": where[anchor]} for anchor, title in entries]
        )
        laid_out = remember(plan.key, functools.partial(lay_out_chunk, plan))
        if laid_out.pages == pages:
            return laid_out
        pages = laid_out.pages
    raise RuntimeError("The contents' page count does not settle.")
