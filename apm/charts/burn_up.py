"""Burn-up chart of planned value, earned value and actual cost as a server-rendered SVG.

No JavaScript and no network: the same markup goes inline into a web page and
into a WeasyPrint PDF. Readable in grey: the three lines differ in dash
pattern and marker as well as colour, and the legend names them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.html import escape

from apm.formatting import CURRENCY_SYMBOLS, MONTHS, format_date, format_money

#: (key, legend word, colour, dash pattern, marker)
SERIES = (
    ("pv", "Planned value (PV)", "#5b6b7a", "6 4", "none"),
    ("ev", "Earned value (EV)", "#1b7a2e", "", "circle"),
    ("ac", "Actual cost (AC)", "#b3261e", "2 3", "square"),
)


def nice_step(span: float, ticks: int = 5) -> float:
    """A 1, 2 or 5 times a power of ten step that cuts ``span`` into about ``ticks`` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def short_money(value: float, currency: str) -> str:
    """Axis label: ``£1.5m``, ``£250k``, ``£900``."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "m"
    elif abs(value) >= 1_000:
        text = f"{value / 1_000:.0f}k"
    else:
        text = f"{value:.0f}"
    return f"{symbol}{text}"


def burn_up_summary(series: Sequence[dict[str, Any]], *, currency: str) -> str:
    """The chart's figures in words, for its accessible name (no full stop).

    ``"planned £120,000, earned £98,000, actual £105,000 at 31 Mar 2025;
    planned £800,000 by 30 Jun 2025"``: the values at the last date where EV
    or AC is known, then the plan's total at the last date when that is
    later. ``series`` as for :func:`burn_up_svg`, whose ``aria-label`` and
    ``<title>`` (a PDF figure's ``/Alt``) are its title and this summary.
    """
    if not series:
        return "no plan or costs yet"

    def amount(value: Decimal | None) -> str:
        return "not known" if value is None else format_money(value, currency)

    known = [point for point in series if point.get("ev") is not None or point.get("ac") is not None]
    now = known[-1] if known else None
    words = []
    if now is not None:
        words.append(
            f"planned {amount(now.get('pv'))}, earned {amount(now.get('ev'))}, actual {amount(now.get('ac'))} "
            f"at {format_date(now['date'])}"
        )
    final = series[-1]
    if final is not now:
        words.append(f"planned {amount(final.get('pv'))} by {format_date(final['date'])}")
    return "; ".join(words)


def burn_up_svg(
    series: Sequence[dict[str, Any]],
    *,
    currency: str,
    title: str = "",
    width: int = 640,
    height: int = 300,
) -> str:
    """An inline ``<svg>`` burn-up chart of cumulative PV, EV and AC over time.

    ``series`` is ``[{"date": date, "pv": Decimal, "ev": Decimal | None,
    "ac": Decimal | None}]`` in date order (money in ``currency``, major
    units; None = not known yet, e.g. after today). The y axis starts at 0
    with rounded ticks labelled in the currency; the x axis shows month
    labels with the full year ("Dec 2026", never "Dec 26"). ``width``/``height`` in CSS px (the SVG scales with its
    container through ``viewBox``; no ``style`` attribute, which the
    Content-Security-Policy would block: the stylesheets cap
    ``.chart-burn-up`` at the default 640 px). Returns a short "no data" SVG for an
    empty series.
    """
    summary = burn_up_summary(series, currency=currency)
    name = title or "Burn-up chart: planned value, earned value and actual cost"
    label = escape(f"{name}. {summary[:1].upper()}{summary[1:]}.")
    open_tag = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-burn-up" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{label}" '
        'font-family="sans-serif">'
    )
    open_tag += f"<title>{label}</title>"
    if not series:
        return (
            f'{open_tag}<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13" fill="#555">'
            "No plan or costs yet.</text></svg>"
        )
    left, right, top, bottom = 64, 14, 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    dates = [point["date"] for point in series]
    first, last = dates[0], dates[-1]
    day_span = max((last - first).days, 1)
    values = [float(point[key]) for point in series for key in ("pv", "ev", "ac") if point.get(key) is not None]
    top_value = max([*values, 0.0])
    step = nice_step(top_value or 1.0)
    y_max = step * max(1, math.ceil((top_value or 1.0) / step))

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - first).days / day_span

    def y_of(value: Decimal | float) -> float:
        return top + plot_h - plot_h * float(value) / y_max

    parts = [open_tag]
    if title:
        parts.append(f'<text x="{left}" y="16" font-size="13" font-weight="bold" fill="#222">{escape(title)}</text>')
    # Legend on one line under the title.
    x: float = left
    for _key, word, colour, dash, _marker in SERIES:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x}" y1="29" x2="{x + 22}" y2="29" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<text x="{x + 27}" y="33" font-size="11" fill="#222">{word}</text>'
        )
        x += 36 + 6.2 * len(word)
    # Horizontal grid lines and y labels.
    ticks = round(y_max / step)
    for i in range(ticks + 1):
        value = step * i
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#444">'
            f"{escape(short_money(value, currency))}</text>"
        )
    # X axis with month labels (at most about 8).
    months = []
    cursor = dt.date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append(cursor)
        cursor = dt.date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    every = max(1, math.ceil(len(months) / 8))
    for month in months[::every]:
        xm = x_of(month)
        parts.append(f'<line x1="{xm:.1f}" y1="{top + plot_h}" x2="{xm:.1f}" y2="{top + plot_h + 4}" stroke="#444"/>')
        parts.append(
            f'<text x="{xm:.1f}" y="{top + plot_h + 16}" font-size="10" text-anchor="middle" fill="#444">'
            f"{MONTHS[month.month - 1]} {month.year}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>'
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="10" text-anchor="middle" fill="#444">Date</text>'
        f'<text x="12" y="{top + plot_h / 2}" font-size="10" text-anchor="middle" fill="#444" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">Cumulative {escape(currency.upper())}</text>'
    )
    # The three lines, each with a marker at its last known point.
    for key, word, colour, dash, marker in SERIES:
        points = [(x_of(p["date"]), y_of(p[key])) for p in series if p.get(key) is not None]
        if not points:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.2"{dash_attr}>'
            f"<title>{word}</title></polyline>"
        )
        px, py = points[-1]
        if marker == "circle":
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
        elif marker == "square":
            parts.append(f'<rect x="{px - 3:.1f}" y="{py - 3:.1f}" width="6" height="6" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)
