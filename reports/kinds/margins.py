"""Revenue and margin in the internal reports: each project's money loop as of the period's end, and its totals.

Internal only (``access.see_margin``: the people an internal report goes to
may see it; a client never): :func:`margin_figures` is called by the internal
branch of ``reports.kinds.project_rows.rows_snapshot`` alone, so the client
snapshot never holds a key of it. The figures come from
``projects.billing.margin.project_margins`` (a fixed number of queries
whatever the number of projects), as of the report's period end.

A row's keys (money as Decimal strings in the project's currency, percentages
as strings to one place, None where there is nothing to show)::

    "billing": "Fixed price",           # the billing model's label
    "contract_value",                    # price, not-to-exceed or budget, a retainer's fees (None: open)
    "revenue",                           # recognised to date
    "cost_to_date",                      # actual cost (AC) to date
    "margin", "margin_percent",          # revenue - cost to date, and its share of revenue
    "eac",                               # forecast cost at completion
    "forecast_margin", "forecast_margin_percent",   # contract value - EAC (None without a contract value)
    "margin_target",                     # the client's target margin % (None: no target)
    "below_target": bool,                # the forecast % is under the target
    "unpriced_hours", "written_off",     # approved billable hours with no rate ("0": none); past the cap (None: none)
    "retainer": None | {"month", "fee", "allowance", "rolled_in", "used", "overage_hours", "overage", "balance"}
                                         # this month of a retainer (hours as "12.5")

The totals (``totals["margins"]``), one entry per currency, the currency of
most projects first, never mixed: ``{"currency", "projects", "revenue",
"cost_to_date", "margin", "margin_percent", "forecast_revenue", "eac",
"forecast_margin", "forecast_margin_percent", "below_target": n}``
(``projects.billing.margin.totals``: a project without a contract value adds
its revenue to date to the forecast).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from apm.formatting import format_money
from projects.billing.margin import ProjectMargin, project_margins, totals
from projects.models import Project
from reports.kinds.base import iso, money


def percent(value: Decimal | None) -> str | None:
    """A margin percentage as the snapshot stores it (one place, e.g. ``"39.8"``), or None."""
    return None if value is None else str(value)


def hours(value: Decimal) -> str:
    """Hours as the snapshot stores them, without trailing zeros: ``"12.5"``, ``"0"``."""
    return format(value.normalize(), "f") if value else "0"


def margin_row(figures: ProjectMargin) -> dict[str, Any]:
    """The keys a project's row gets (shape in the module docstring)."""
    forecast = figures.forecast
    month = figures.retainer
    return {
        "billing": figures.model_label,
        "contract_value": money(figures.contract_value),
        "revenue": money(figures.revenue.total),
        "cost_to_date": money(figures.to_date.cost),
        "margin": money(figures.to_date.margin),
        "margin_percent": percent(figures.to_date.percent),
        "eac": money(figures.eac),
        "forecast_margin": money(forecast.margin) if forecast is not None else None,
        "forecast_margin_percent": percent(forecast.percent) if forecast is not None else None,
        "margin_target": None if figures.target is None else format(figures.target.normalize(), "f"),
        "below_target": figures.below_target,
        "unpriced_hours": hours(figures.revenue.unpriced_hours + figures.revenue.overage_unpriced_hours),
        "written_off": money(figures.revenue.written_off) if figures.revenue.written_off else None,
        "retainer": None
        if month is None
        else {
            "month": iso(month.month),
            "fee": money(month.fee),
            "allowance": hours(month.allowance),
            "rolled_in": hours(month.rolled_in),
            "used": hours(month.used),
            "overage_hours": hours(month.overage_hours),
            "overage": money(month.overage),
            "balance": hours(month.balance),
        },
    }


def margin_figures(
    queryset: QuerySet[Project], as_of: dt.date
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """By project code, the margin keys of each project of ``queryset`` as of ``as_of`` (:func:`margin_row`), and the
    totals per currency (shape in the module docstring). The queries of ``project_margins``: six at most, whatever
    the number of projects."""
    margins = project_margins(projects=queryset, as_of=as_of)
    rows = {item.project.code: margin_row(item) for item in margins}
    below = Counter(item.project.currency for item in margins if item.below_target)
    counted = Counter(item.project.currency for item in margins)
    summed = []
    for total in totals(margins):
        summed.append(
            {
                "currency": total.currency,
                "projects": total.projects,
                "revenue": money(total.to_date.revenue),
                "cost_to_date": money(total.to_date.cost),
                "margin": money(total.to_date.margin),
                "margin_percent": percent(total.to_date.percent),
                "forecast_revenue": money(total.forecast.revenue),
                "eac": money(total.forecast.cost),
                "forecast_margin": money(total.forecast.margin),
                "forecast_margin_percent": percent(total.forecast.percent),
                "below_target": below[total.currency],
            }
        )
    summed.sort(key=lambda entry: (-counted[str(entry["currency"])], str(entry["currency"])))
    return rows, summed


def margin_line(margin_totals: list[dict[str, Any]]) -> str:
    """The email's line on margin, in the main currency, e.g. "Margin to date £640 (39.8%), forecast £2,000
    (16.7%); 1 project forecast below its client's target"; "" without projects."""
    if not margin_totals:
        return ""
    main = margin_totals[0]
    currency = main["currency"]

    def share(value: str | None) -> str:
        return f" ({value}%)" if value is not None else ""

    line = (
        f"Margin to date {format_money(main['margin'], currency)}{share(main['margin_percent'])}, "
        f"forecast {format_money(main['forecast_margin'], currency)}{share(main['forecast_margin_percent'])}"
    )
    below = sum(entry["below_target"] for entry in margin_totals)
    if below == 1:
        line += "; 1 project forecast below its client's target"
    elif below:
        line += f"; {below} projects forecast below their client's target"
    return line
