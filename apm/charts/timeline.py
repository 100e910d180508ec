"""Milestone timeline as a server-rendered SVG: a dated axis with one marker per milestone.

Markers: filled circle = done, hollow circle = upcoming, filled diamond =
overdue (shape carries the state in grey print). A dashed line marks
``today`` (the report's period end).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape

from apm.dates import as_date, required_date
from apm.formatting import format_date


def milestone_timeline_svg(
    *, milestones: Sequence[dict[str, Any]], today: dt.date | str, width: int = 680, max_items: int = 12
) -> str:
    """An inline ``<svg>`` timeline of ``milestones`` around ``today``.

    Each milestone is a dict with ``name``, ``due_date`` (date or ISO
    string), ``completed_on`` (or None) and ``state`` (``done``,
    ``overdue`` or ``upcoming``). At most ``max_items`` are drawn (the
    first ones by date); labels alternate above and below the axis so that
    neighbours do not overlap, and are cut to 28 characters; their dates name
    the year unless every date drawn is in the year of ``today`` (whose label names it). Returns "" for
    no milestones. ``width`` in CSS px; the height follows. The accessible
    name (``aria-label`` and the svg's ``<title>``, a PDF figure's ``/Alt``)
    lists the drawn milestones in words: ``"Milestone timeline at 30 Jun
    2025: Design done 3 Mar 2025; Go-live overdue, due 20 Jun 2025"``.
    """
    items = []
    for item in milestones:
        when = as_date(item.get("completed_on")) or as_date(item.get("due_date"))
        if when is not None:
            items.append((when, str(item.get("name", "")), str(item.get("state", "upcoming"))))
    items.sort(key=lambda entry: entry[0])
    dated = len(items)
    items = items[:max_items]
    if not items:
        return ""
    today_date = required_date(today)
    state_words = {"done": "done", "overdue": "overdue, due"}
    listed = "; ".join(f"{name} {state_words.get(state, 'due')} {format_date(when)}" for when, name, state in items)
    shown = f" ({len(items)} of {dated} shown)" if dated > len(items) else ""
    accessible_name = escape(f"Milestone timeline at {format_date(today_date)}: {listed}{shown}")
    first = min(items[0][0], today_date)
    last = max(items[-1][0], today_date)
    span = max((last - first).days, 1)
    height, axis, margin = 120, 60, 85

    def x_of(day: dt.date) -> float:
        return margin + (width - 2 * margin) * (day - first).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{accessible_name}"><title>{accessible_name}</title>',
        f'<line x1="{margin}" y1="{axis}" x2="{width - margin}" y2="{axis}" stroke="#555" stroke-width="1"/>',
        f'<line x1="{x_of(today_date):.1f}" y1="8" x2="{x_of(today_date):.1f}" y2="{height - 8}" stroke="#888" '
        f'stroke-dasharray="3,2"/>',
        f'<text x="{x_of(today_date):.1f}" y="7" font-size="7.5" text-anchor="middle" fill="#555">'
        f"{today_date.day} {today_date:%b %Y}</text>",
    ]
    # A label's year only when the drawn dates span years (the "today" label at the top names its year).
    one_year = all(when.year == today_date.year for when, _name, _state in items)
    for index, (when, name, state) in enumerate(items):
        x = x_of(when)
        if state == "done":
            parts.append(f'<circle cx="{x:.1f}" cy="{axis}" r="4" fill="#333"/>')
        elif state == "overdue":
            parts.append(f'<path d="M{x:.1f},{axis - 5} l5,5 l-5,5 l-5,-5 z" fill="#a61b1b" stroke="#6d0f0f"/>')
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{axis}" r="4" fill="#fff" stroke="#333" stroke-width="1.2"/>')
        above = index % 2 == 0
        label_y = axis - 14 - (index % 4 // 2) * 11 if above else axis + 20 + (index % 4 // 2) * 11
        label = name if len(name) <= 28 else name[:27] + "…"
        parts.append(
            f'<text x="{x:.1f}" y="{label_y}" font-size="7.5" text-anchor="middle" fill="#222">'
            f"{escape(label)} · {when.day} {when:%b}{'' if one_year else f' {when.year}'}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
