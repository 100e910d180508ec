"""A Gantt-style timeline as a server-rendered SVG: baseline and current dates of each deliverable.

The same function draws the picture for the browser and for the PDF reports
(WeasyPrint renders inline SVG). Each row has a thin grey bar for the
baseline dates and a coloured bar for the current plan, filled to the
percent complete; a dashed line marks ``today``. Colours carry the status,
and a label after the bar repeats it in words, so grey print still reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape

from apm.dates import as_date, required_date
from apm.formatting import format_date

STATUS_COLOURS = {
    "not_started": "#9aa5b1",
    "in_progress": "#2f6fb3",
    "in_review": "#7a4fb3",
    "awaiting_sign_off": "#c07a12",
    "accepted": "#2e7d32",
    "rejected": "#b3261e",
}
STATUS_WORDS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "in_review": "in review",
    "awaiting_sign_off": "awaiting sign-off",
    "accepted": "accepted",
    "rejected": "rejected",
}


def gantt_svg(
    *, rows: Sequence[dict[str, Any]], today: dt.date | str, width: int = 900, title: str = "Deliverables timeline"
) -> str:
    """An inline ``<svg>`` Gantt chart of ``rows``; "" when there is nothing to draw.

    Each row is a dict: ``name``, ``start`` and ``end`` (current plan; date
    or ISO string; a missing start is drawn as a one-day bar at the end),
    ``baseline_start`` and ``baseline_end`` (or None), ``status`` (a
    DeliverableStatus value) and ``percent`` (0-100). The SVG scales to its
    container (``viewBox``, width 100%); ``width`` is the drawing's width in
    user units. Names are escaped and cut to 34 characters. The accessible
    name (``aria-label`` and the svg's ``<title>``, a PDF figure's ``/Alt``)
    is :func:`gantt_summary`.
    """
    items = []
    for row in rows:
        end = as_date(row.get("end"))
        if end is None:
            continue
        start = as_date(row.get("start")) or end
        b_end = as_date(row.get("baseline_end"))
        b_start = as_date(row.get("baseline_start")) or b_end
        items.append((str(row.get("name", "")), start, end, b_start, b_end, row.get("status", ""), row.get("percent")))
    if not items:
        return ""
    today_date = required_date(today)
    days = [d for item in items for d in (item[1], item[2], item[3], item[4]) if d] + [today_date]
    first, last = min(days), max(days)
    first -= dt.timedelta(days=3)
    last += dt.timedelta(days=3)
    span = max((last - first).days, 1)
    label_w, right_w, row_h, top = 230, 110, 26, 34
    plot_w = width - label_w - right_w
    height = top + row_h * len(items) + 20

    def x_of(day: dt.date) -> float:
        return label_w + plot_w * (day - first).days / span

    accessible_name = escape(gantt_summary(items, today=today_date, title=title))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-gantt" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="{accessible_name}">',
        f"<title>{accessible_name}</title>",
    ]
    # Month ticks along the top.
    month = dt.date(first.year, first.month, 1)
    step = 1 if span <= 400 else 3 if span <= 1200 else 12
    while month <= last:
        if month >= first:
            x = x_of(month)
            parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="#e3e6ea"/>')
            parts.append(f'<text x="{x + 2:.1f}" y="{top - 10}" font-size="10" fill="#555">{month:%b %Y}</text>')
        year, mon = divmod(month.month - 1 + step, 12)
        month = dt.date(month.year + year, mon + 1, 1)
    for index, (name, start, end, b_start, b_end, status, percent) in enumerate(items):
        y = top + index * row_h
        label = name if len(name) <= 34 else name[:33] + "…"
        parts.append(f'<text x="4" y="{y + 16}" font-size="11" fill="#222">{escape(label)}</text>')
        if b_start is not None and b_end is not None:
            bx, bw = x_of(b_start), max(x_of(b_end + dt.timedelta(days=1)) - x_of(b_start), 2)
            parts.append(
                f'<rect x="{bx:.1f}" y="{y + 17}" width="{bw:.1f}" height="5" fill="#b7bec7">'
                f"<title>Baseline {b_start:%d %b %Y} to {b_end:%d %b %Y}</title></rect>"
            )
        colour = STATUS_COLOURS.get(status, "#2f6fb3")
        x, w = x_of(start), max(x_of(end + dt.timedelta(days=1)) - x_of(start), 3)
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="11" rx="2" fill="#fff" stroke="{colour}">'
            f"<title>{escape(name)}: {start:%d %b %Y} to {end:%d %b %Y}</title></rect>"
        )
        pct = max(0, min(100, int(percent or 0)))
        if pct:
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w * pct / 100:.1f}" height="11" rx="2" fill="{colour}"/>'
            )
        days_late = (end - b_end).days if b_end is not None else 0
        late = days_late > 0
        word = STATUS_WORDS.get(status, status)
        note = f"{word} · {pct}%" + (f" · +{days_late}d" if late else "")
        parts.append(
            f'<text x="{width - right_w + 6}" y="{y + 14}" font-size="10" fill="{"#b3261e" if late else "#444"}">'
            f"{escape(note)}</text>"
        )
    tx = x_of(today_date)
    parts.append(
        f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - 6}" stroke="#b3261e" stroke-dasharray="4,3"/>'
    )
    parts.append(
        f'<g font-size="9" fill="#555"><rect x="4" y="{height - 10}" width="14" height="4" fill="#b7bec7"/>'
        f'<text x="22" y="{height - 5}">baseline</text>'
        f'<line x1="80" y1="{height - 8}" x2="94" y2="{height - 8}" stroke="#b3261e" stroke-dasharray="4,3"/>'
        f'<text x="98" y="{height - 5}">today {today_date:%d %b %Y}</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


def gantt_summary(items: Sequence[tuple[Any, ...]], *, today: dt.date, title: str) -> str:
    """The chart in words: ``"Deliverables timeline at 30 Jun 2025: Design: accepted, 100% complete, 6 Jan 2025
    to 28 Feb 2025; Build: in progress, 40% complete, 3 Mar 2025 to 30 Jun 2025, 14 days late"``.

    ``items`` are :func:`gantt_svg`'s rows as it reads them: ``(name, start,
    end, baseline_start, baseline_end, status, percent)``, dates as dates.
    """
    rows = []
    for name, start, end, _b_start, b_end, status, percent in items:
        pct = max(0, min(100, int(percent or 0)))
        late = (end - b_end).days if b_end is not None else 0
        row = f"{name}: {STATUS_WORDS.get(status, status)}, {pct}% complete, {format_date(start)} to {format_date(end)}"
        rows.append(row + (f", {late} days late" if late > 0 else ""))
    return f"{title} at {format_date(today)}: {'; '.join(rows)}"
