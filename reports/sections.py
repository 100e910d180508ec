"""A report's document as a sequence of sections, and the chunks a large one is laid out in.

A :class:`Section` is one fragment of print HTML (a template under
``templates/reports/pdf/sections/``) rendered from its own slice of the
snapshot and nothing else. A section that ``starts_page`` begins with a forced
page break (``class="new-page"``), in a single pass as in a chunk, so its pages
depend on nothing laid out before it: a document made of any run of whole
sections gives the same pages for each of them. That is what lets
:func:`reports.rendering.report_render_snapshot` lay a large report out chunk
by chunk (:func:`plan_chunks`) and merge the PDFs (:mod:`apm.pdf_merge`) with
the same text on every page as the single pass. WeasyPrint ignores a forced
break at the very start of a document, so a chunk starting with such a
section gets no blank page.

The portfolio kind is sectioned (:func:`portfolio_sections`): the cover and
summary, the contents (its own page), the projects table in sections of
:data:`TABLE_ROWS` rows (each repeating the table's header), the compliance
and all-changes appendices (following the table on its page), internally the
revenue and margin table in sections of rows like the projects table
(:func:`margin_sections`), the commentary in groups of
:data:`COMMENTARY_PER_SECTION` projects. The commentary covers
only the projects that need attention (:func:`commentary_rows`: red, an open
tolerance exception, a RAG changed since the last report) unless the
snapshot asks for all (``full_commentary``); the summary says which, and the
table lists every project. Which projects those are is decided here, from
the whole snapshot: a commentary section's slice holds its projects' rows
alone, never "changed since the last report", so an unchanged project's
section stays the same from one report to the next.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Rows of the projects table per section, each section on a page of its own: a page holds 21 to 24 rows of
#: the real projects' names and 18 when many wrap, so a section seldom spills onto a second page (a long table
#: of MOD's 67 projects takes the same 4 pages); small enough that the table is spread over the workers.
TABLE_ROWS = 18
#: Projects per commentary section (a page or two): a week's changed commentary lays out again only its own few.
COMMENTARY_PER_SECTION = 5
#: A section's weight is its rough layout cost, counted in projects' commentary (one project's commentary is
#: 1; a row of the table costs about 0.4 of it, measured on the largest real department).
TABLE_ROW_WEIGHT = 0.4
#: A chunk's rough size: sections are added until their weights reach it (about a fifth of a second of
#: layout). Small enough to spread a department's report over two workers and to lay out again only what
#: changed; large enough that a part's fixed costs (the stylesheet's cascade, its task) stay small beside it.
CHUNK_WEIGHT = 8.0
#: At most about this many chunks: a report of thousands of projects takes larger chunks rather than more
#: (every chunk adds a little to the merge, which one worker does alone).
MAX_CHUNKS = 120
#: Stale projects the summary names; more are listed in an appendix after the table.
STALE_IN_SUMMARY = 10
#: Contents entries a page holds (a contents of more entries takes more pages; its length depends on them alone).
CONTENTS_ENTRIES_PER_PAGE = 30


@dataclass(frozen=True)
class Section:
    """One section of a report's document.

    ``id``: unique in the report ("summary", "projects-2", "commentary-7"). ``template``: its fragment.
    ``context``: the slice of the snapshot it is rendered from (with the filters of the print engine, nothing
    else). ``starts_page``: it begins with a forced page break, and so may begin a chunk; a section that does
    not is laid out with the one before it. ``anchors``: ``(anchor, title)`` of the contents entries it holds.
    ``weight``: its rough cost, for cutting chunks.
    """

    id: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    starts_page: bool = True
    anchors: tuple[tuple[str, str], ...] = ()
    weight: float = 1.0


def section_json(section: Section) -> dict[str, Any]:
    """``section`` as plain JSON (what a ReportChunk row stores and its cache key covers)."""
    return {
        "id": section.id,
        "template": section.template,
        "context": dict(section.context),
        "starts_page": section.starts_page,
        "anchors": [list(anchor) for anchor in section.anchors],
        "weight": section.weight,
    }


def section_from_json(data: Mapping[str, Any]) -> Section:
    """The :class:`Section` of :func:`section_json`'s answer."""
    return Section(
        id=data["id"],
        template=data["template"],
        context=data.get("context") or {},
        starts_page=bool(data.get("starts_page", True)),
        anchors=tuple((anchor, title) for anchor, title in data.get("anchors") or ()),
        weight=float(data.get("weight", 1.0)),
    )


#: What a row of the projects table shows: its section's slice holds these keys alone (no period-relative
#: ones, such as ``stale``: the summary and the stale appendix say which projects are stale).
TABLE_KEYS = (
    "code", "name", "rag", "performance_rag", "cpi", "spi", "percent_complete",
    "bac", "budget_period", "forecast_period", "variance", "currency", "end_date",
)  # fmt: skip
#: What a row of the revenue and margin table shows (internal only; its section's slice, likewise): a project's
#: margin changes as time is approved, and only these sections are laid out again for it.
MARGIN_KEYS = (
    "code", "name", "billing", "currency", "revenue", "margin", "margin_percent", "forecast_margin",
    "forecast_margin_percent", "margin_target", "below_target",
)  # fmt: skip
#: What a project's commentary shows (its section's slice, likewise).
COMMENTARY_KEYS = (
    "code", "name", "rag", "as_of", "period_label", "rating_published", "percent_complete", "client",
    "tolerance_exceptions", "rating_note", "commentary_overall", "commentary_schedule", "commentary_budget",
)  # fmt: skip


def _slice(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    return [{key: row[key] for key in keys if key in row} for row in rows]


def plan_chunks(
    sections: Sequence[Section], max_weight: float | None = None, *, min_chunks: int = 1
) -> list[list[Section]]:
    """``sections`` cut into chunks of whole sections, in order, each starting with a section that starts a page.

    The first section (the summary, with the cover) is a chunk of its own: the contents goes after it. Then a
    chunk takes sections until the next one that starts a page would take it over ``max_weight`` (None:
    :data:`CHUNK_WEIGHT`; less for a report that would otherwise have fewer than ``min_chunks``, as far as its
    sections allow; more for one that would have more than :data:`MAX_CHUNKS`); a section that does not start
    a page always stays with the one before it.
    """
    if not sections:
        return []
    if max_weight is None:
        total = sum(section.weight for section in sections[1:])  # the first is a chunk of its own
        # Rounded up to a half: a small change in one section's weight leaves the other chunks where they were
        # (and in the cache).
        smaller = math.ceil(total / max(min_chunks, 1) * 2) / 2
        max_weight = max(min(CHUNK_WEIGHT, smaller), total / MAX_CHUNKS)
    chunks: list[list[Section]] = [[sections[0]]]
    current: list[Section] = []
    weight = 0.0
    for section in sections[1:]:
        if current and section.starts_page and weight + section.weight > max_weight:
            chunks.append(current)
            current, weight = [], 0.0
        current.append(section)
        weight += section.weight
    if current:
        chunks.append(current)
    return chunks


def contents_entries(sections: Sequence[Section]) -> list[tuple[str, str]]:
    """The ``(anchor, title)`` of every contents entry of ``sections``, in order."""
    return [anchor for section in sections for anchor in section.anchors]


def contents_section(entries: Sequence[Mapping[str, Any]]) -> Section:
    """The contents, a page of its own: ``entries`` of ``{"anchor", "title", "page"}`` (``page`` "" to take it
    from the layout, as a single pass does; a number to print it, as the chunked render does)."""
    return Section(id="contents", template="reports/pdf/sections/contents.html", context={"entries": list(entries)})


#: Why a project's commentary is shown, in the words of the summary.
ATTENTION_WORDS = {"red": "red", "tolerance": "broken tolerance", "changed": "changed since the last report"}


def attention_codes(snapshot: Mapping[str, Any]) -> dict[str, list[str]]:
    """By project code, why it needs attention: its row's ``attention`` (``"red"``, ``"tolerance"``; from the RAG
    alone in a snapshot older than that key) and ``"changed"`` when the snapshot's ``changes`` has a RAG move for it.
    Projects that need none are left out."""
    moved = {move.get("code") for move in (snapshot.get("changes") or {}).get("rag_moves") or []}
    found: dict[str, list[str]] = {}
    for row in snapshot.get("projects") or []:
        reasons = (
            list(row.get("attention") or []) if "attention" in row else (["red"] if row.get("rag") == "red" else [])
        )
        if row.get("code") in moved:
            reasons.append("changed")
        if reasons:
            found[row["code"]] = reasons
    return found


def shows_full_commentary(snapshot: Mapping[str, Any]) -> bool:
    """Whether the commentary covers every project: the snapshot's ``full_commentary`` (a snapshot older than the
    key had it all, and a re-render stays the same)."""
    return bool(snapshot.get("full_commentary", True))


def commentary_rows(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows whose commentary the report shows, in the table's order: every row with ``full_commentary``,
    otherwise those that need attention (:func:`attention_codes`)."""
    rows = list(snapshot.get("projects") or [])
    if shows_full_commentary(snapshot):
        return rows
    needing = attention_codes(snapshot)
    return [row for row in rows if row.get("code") in needing]


def commentary_note(snapshot: Mapping[str, Any]) -> str:
    """The summary's line on whose commentary follows, e.g. "Commentary for 12 of 480 projects: red, broken
    tolerance or changed since the last report; the table lists every project." """
    total = len(snapshot.get("projects") or [])
    if not total:
        return ""
    plural = "s" if total != 1 else ""
    if shows_full_commentary(snapshot):
        return f"Commentary for all {total} project{plural}."
    reasons = ["red", "broken tolerance", "changed since the last report"]
    if snapshot.get("audience") != "internal":
        reasons.remove("broken tolerance")
    why = ", ".join(reasons[:-1]) + " or " + reasons[-1]
    shown = len(commentary_rows(snapshot))
    if not shown:
        return f"No project needs attention ({why}): no commentary follows; the table lists every project."
    return f"Commentary for {shown} of {total} project{plural}: {why}; the table lists every project."


def portfolio_sections(snapshot: Mapping[str, Any], summary: Mapping[str, Any]) -> list[Section]:
    """The portfolio report's sections (without the contents, see :func:`contents_section`).

    ``summary``: the context of the cover and summary (the whole report's totals, changes, red and stale
    projects, chart, company and client names: ``reports.rendering``). Every other section is rendered from
    its own rows and the audience alone.
    """
    rows = list(snapshot.get("projects") or [])
    internal = snapshot.get("audience") == "internal"
    sections = [
        Section(
            id="summary",
            template="reports/pdf/sections/summary.html",
            context={**summary, "commentary_note": commentary_note(snapshot)},
            anchors=(("sec-summary", "Summary"),),
            weight=4,
        )
    ]
    for index, start in enumerate(range(0, max(len(rows), 1), TABLE_ROWS)):
        part = rows[start : start + TABLE_ROWS]
        sections.append(
            Section(
                id=f"projects-{index}",
                template="reports/pdf/sections/projects.html",
                context={"rows": _slice(part, TABLE_KEYS), "internal": internal, "first": index == 0},
                anchors=(("sec-projects", "Projects"),) if index == 0 else (),
                weight=1 + TABLE_ROW_WEIGHT * len(part),
            )
        )
    if internal and snapshot.get("compliance"):
        compliance = snapshot["compliance"]
        sections.append(
            Section(
                id="compliance",
                template="reports/pdf/sections/compliance.html",
                context={"c": compliance},
                starts_page=False,
                weight=0.5 + 0.1 * len(compliance.get("projects") or []),
            )
        )
    stale = [row for row in rows if row.get("stale")]
    if len(stale) > STALE_IN_SUMMARY:
        sections.append(
            Section(
                id="stale",
                template="reports/pdf/sections/stale.html",
                context={
                    "rows": _slice(stale, ("code", "name", "rag", "as_of")),
                    "since": (snapshot.get("totals") or {}).get("stale_before") or snapshot.get("period_start"),
                },
                starts_page=False,
                anchors=(("sec-stale", "Stale projects"),),
                weight=0.5 + len(stale) / 40,
            )
        )
    lines = list((snapshot.get("changes") or {}).get("lines") or [])
    if len(lines) > 12:
        sections.append(
            Section(
                id="all-changes",
                template="reports/pdf/sections/all_changes.html",
                context={"lines": lines},
                starts_page=False,
                anchors=(("sec-all-changes", "All changes since the last report"),),
                weight=0.5 + len(lines) / 40,
            )
        )
    sections += margin_sections(rows) if internal else []
    shown = commentary_rows(snapshot)
    for index, start in enumerate(range(0, len(shown), COMMENTARY_PER_SECTION)):
        part = shown[start : start + COMMENTARY_PER_SECTION]
        sections.append(
            Section(
                id=f"commentary-{index}",
                template="reports/pdf/sections/commentary.html",
                context={"rows": _slice(part, COMMENTARY_KEYS), "internal": internal, "first": index == 0},
                anchors=(("sec-commentary", "Latest commentary"),) if index == 0 else (),
                weight=float(len(part)),
            )
        )
    return sections


def margin_sections(rows: Sequence[Mapping[str, Any]]) -> list[Section]:
    """The revenue and margin table of an internal report, in sections of :data:`TABLE_ROWS` rows (each a page of
    its own, the header repeated), rendered from :data:`MARGIN_KEYS` alone; none for a snapshot whose rows have no
    margin (one stored before reports showed it re-renders as it did)."""
    priced = [row for row in rows if "revenue" in row]
    if not priced:
        return []
    return [
        Section(
            id=f"margins-{index}",
            template="reports/pdf/sections/margins.html",
            context={"rows": _slice(priced[start : start + TABLE_ROWS], MARGIN_KEYS), "first": index == 0},
            anchors=(("sec-margins", "Revenue and margin"),) if index == 0 else (),
            weight=1 + TABLE_ROW_WEIGHT * len(priced[start : start + TABLE_ROWS]),
        )
        for index, start in enumerate(range(0, len(priced), TABLE_ROWS))
    ]
