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
and all-changes appendices (following the table on its page), the commentary
in groups of :data:`COMMENTARY_PER_SECTION` projects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Rows of the projects table per section (about two pages).
TABLE_ROWS = 50
#: Projects per commentary section (about three pages).
COMMENTARY_PER_SECTION = 10
#: A chunk's rough size: sections are added until their weights reach it (about 20 to 30 pages).
CHUNK_WEIGHT = 40.0
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


def plan_chunks(sections: Sequence[Section], max_weight: float = CHUNK_WEIGHT) -> list[list[Section]]:
    """``sections`` cut into chunks of whole sections, in order, each starting with a section that starts a page.

    The first section (the summary, with the cover) is a chunk of its own: the contents goes after it. Then a
    chunk takes sections until the next one that starts a page would take it over ``max_weight``; a section
    that does not start a page always stays with the one before it.
    """
    if not sections:
        return []
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
            context=summary,
            anchors=(("sec-summary", "Summary"),),
            weight=2,
        )
    ]
    for index, start in enumerate(range(0, max(len(rows), 1), TABLE_ROWS)):
        part = rows[start : start + TABLE_ROWS]
        sections.append(
            Section(
                id=f"projects-{index}",
                template="reports/pdf/sections/projects.html",
                context={"rows": part, "internal": internal, "first": index == 0},
                anchors=(("sec-projects", "Projects"),) if index == 0 else (),
                weight=1 + 0.15 * len(part),
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
    for index, start in enumerate(range(0, len(rows), COMMENTARY_PER_SECTION)):
        part = rows[start : start + COMMENTARY_PER_SECTION]
        sections.append(
            Section(
                id=f"commentary-{index}",
                template="reports/pdf/sections/commentary.html",
                context={"rows": part, "internal": internal, "first": index == 0},
                anchors=(("sec-commentary", "Latest commentary"),) if index == 0 else (),
                weight=float(len(part)),
            )
        )
    return sections
