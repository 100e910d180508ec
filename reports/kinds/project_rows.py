"""The snapshot of the kinds that show one row per project (portfolio and highlight reports).

Redaction happens here: the client snapshot is *built* from the client view
(``projects.common.client_view``: a project row is a ``ClientProject``,
serialised by its ``serialise``; the client totals hold only RAG counts),
never by deleting internal keys afterwards. The internal audience *adds* to
the same row the money of :func:`internal_money` (BAC, period budget and
forecast, variance, whole-life cost, budget commentary, withheld-field
notes) and the revenue and margin of ``reports.kinds.margins``, and to the
totals those of :func:`money_totals` and the margins per currency. A kind adds its own
keys to each row (``details``) and may word the first summary lines itself
(``headline``).

Shape::

    {
      "schema": 1, "kind", "audience", "scope", "title",
      "period_start": "2025-03-01" | None, "period_end": "2025-03-31",
      "generated_at": "2025-04-01T06:00:00+00:00",
      "scope_label": "ALPHA — Alpha Department",
      "projects": [project row, ...],            # ordered by code
      "totals": {"projects", "red", "amber", "green", "not_rated", "stale", "stale_before" (ISO date or None: is_stale),
                 # internal only:
                 "currency", "bac", "budget_period", "forecast_period", "variance",
                 "money_complete", "money_note", "other_currencies": [...],
                 "margins": [...] (reports.kinds.margins)},
      "changes": {"first_report": bool, "rag_moves": [...], "added": [...],
                  "removed": [...], "lines": ["...", ...]},
      "summary_lines": ["12 projects: 3 red, 5 amber, 4 green, 0 not rated; 2 stale, not counted", ...],
    }

A project row: the keys of ``client_view.ClientProject`` in JSON form
(``code, name, client, status, rag ("red"|"amber"|"green"|""),
rating_published, rating_note, percent_complete (0-100 string or None),
start_date, end_date, as_of, period_label, commentary_overall,
commentary_schedule, work_done, work_planned, decisions [], risks_issues [],
author, milestones [{name, due_date, completed_on, state}]``) and ``stale``
(:func:`is_stale`: its rating predates the period, so the RAG counts leave
it out and count it under ``stale``); internal
only, ``currency, bac, budget_period, forecast_period, variance,
whole_life_cost, commentary_budget, withheld`` and the margin keys of
``reports.kinds.margins``; and the kind's details.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from apm.formatting import format_money
from projects.common import client_view
from projects.models import Milestone, Project, StatusUpdate
from reports.kinds.base import SCHEMA_VERSION, Snapshot, SnapshotRequest, iso, money, scope_label, scoped_projects
from reports.kinds.margins import margin_figures, margin_line

RAG_ORDER = ("red", "amber", "green", "")
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "": "Not rated"}

#: A kind's extra keys of one project row: ``details(project, latest status update, request)``.
Details = Callable[[Project, StatusUpdate | None, SnapshotRequest], dict[str, Any]]
#: A kind's own first summary lines from the rows, or [] for the RAG count.
Headline = Callable[[list[dict[str, Any]]], list[str]]


def load_projects(queryset: QuerySet[Project], period_end: dt.date) -> list[tuple[Project, StatusUpdate | None]]:
    """The projects of ``queryset`` by code (with client and milestones), each with its latest StatusUpdate as of
    ``period_end`` (None without one).

    Three queries whatever the number of projects: projects (with client),
    the latest status update per project (a correlated subquery picks its
    date), and milestones.
    """
    latest_date = (
        StatusUpdate.objects.filter(project=OuterRef("project"), as_of__lte=period_end)
        .order_by("-as_of")
        .values("as_of")[:1]
    )
    latest_updates = StatusUpdate.objects.filter(as_of__lte=period_end, as_of=Subquery(latest_date)).select_related(
        "author"
    )
    projects = (
        queryset.select_related("client")
        .prefetch_related(
            Prefetch("status_updates", queryset=latest_updates, to_attr="latest_updates"),
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "pk")),
        )
        .order_by("code")
        .distinct()
    )
    return [(project, project.latest_updates[0] if project.latest_updates else None) for project in projects]


def client_row(project: Project, latest: StatusUpdate | None, period_end: dt.date) -> dict[str, Any]:
    """The client view of a project as of ``period_end`` (a ``ClientProject`` in JSON form): what a client may see.

    Rated as of the period's end: a project with no status update by then is not rated (its own ``rag`` may
    come from a later update, which a report of an earlier period must not count).
    """
    row = client_view.serialise(
        client_view.client_project(project, latest=latest, milestones=project.milestones.all(), today=period_end)
    )
    if latest is None:
        row["rag"] = ""
    return row


def internal_money(project: Project, latest: StatusUpdate | None) -> dict[str, Any]:
    """Internal-only figures of a project. BAC falls back to the latest whole-life cost."""
    bac = project.bac
    if bac is None and latest is not None:
        bac = latest.whole_life_cost
    return {
        "currency": project.currency,
        "bac": money(bac),
        "budget_period": money(latest.budget_period) if latest else None,
        "forecast_period": money(latest.forecast_period) if latest else None,
        "variance": money(latest.variance_period) if latest else None,
        "whole_life_cost": money(latest.whole_life_cost) if latest else None,
        "commentary_budget": latest.commentary_budget if latest else "",
        "withheld": dict(latest.withheld) if latest and latest.withheld else {},
    }


#: Status updates are weekly: a report's period shorter than this still takes an update of the last week as
#: current (a daily report does not call Monday's update stale on Wednesday).
UPDATE_CADENCE = dt.timedelta(days=7)


def is_stale(latest: StatusUpdate | None, period_start: dt.date | None, period_end: dt.date | None = None) -> bool:
    """Whether a project's latest status update is too old for the report (so its RAG is not today's).

    Stale when dated before the period, or, for a period shorter than the weekly cadence of updates, before
    the week that ends with the period (``UPDATE_CADENCE``). A project with no update, or a report without a
    period start, is never stale.
    """
    since = stale_before(period_start, period_end)
    return latest is not None and since is not None and latest.as_of < since


def stale_before(period_start: dt.date | None, period_end: dt.date | None = None) -> dt.date | None:
    """The date a latest status update must not predate to count as current (:func:`is_stale`); None without a
    period start."""
    if period_start is None or period_end is None:
        return period_start
    return min(period_start, period_end - UPDATE_CADENCE + dt.timedelta(days=1))


def rag_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Red, amber, green and not rated among the rows that are not stale; the stale ones counted apart."""
    counts = Counter(row["rag"] or "" for row in rows if not row.get("stale"))
    return {
        "projects": len(rows),
        "red": counts["red"],
        "amber": counts["amber"],
        "green": counts["green"],
        "not_rated": counts[""],
        "stale": sum(1 for row in rows if row.get("stale")),
    }


def rag_count_line(totals: dict[str, Any]) -> str:
    """The RAG count in words, e.g. ``3 red, 2 amber, 1 green, 0 not rated; 12 stale, not counted``.

    The stale part only when some ratings predate the period.
    """
    line = f"{totals['red']} red, {totals['amber']} amber, {totals['green']} green, {totals['not_rated']} not rated"
    stale = totals.get("stale") or 0
    return f"{line}; {stale} stale, not counted" if stale else line


def money_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Money totals in the currency most projects use; the others are listed apart, never mixed.

    ``bac``, ``budget_period`` and ``forecast_period`` sum the projects that
    have the figure; ``variance`` (forecast - budget, positive = overspend)
    sums the projects that have both, so it equals forecast - budget when
    ``money_complete`` is true.
    """
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], []).append(row)
    ordered = sorted(by_currency.items(), key=lambda item: (-len(item[1]), item[0]))
    totals = []
    for currency, group in ordered:

        def total(field: str, group: list[dict[str, Any]] = group) -> Decimal | None:
            values = [Decimal(row[field]) for row in group if row[field] is not None]
            return sum(values, Decimal("0")) if values else None

        missing_budget = sum(1 for row in group if row["budget_period"] is None)
        missing_forecast = sum(1 for row in group if row["forecast_period"] is None)
        missing_bac = sum(1 for row in group if row["bac"] is None)
        notes = []
        if missing_bac:
            notes.append(f"whole-life budget missing for {missing_bac}")
        if missing_budget:
            notes.append(f"period budget missing for {missing_budget}")
        if missing_forecast:
            notes.append(f"period forecast missing for {missing_forecast}")
        totals.append(
            {
                "currency": currency,
                "projects": len(group),
                "bac": money(total("bac")),
                "budget_period": money(total("budget_period")),
                "forecast_period": money(total("forecast_period")),
                "variance": money(total("variance")),
                "money_complete": not notes,
                "money_note": ("Of these projects: " + "; ".join(notes) + ".") if notes else "",
            }
        )
    if not totals:
        return {
            "currency": "GBP",
            "bac": None,
            "budget_period": None,
            "forecast_period": None,
            "variance": None,
            "money_complete": True,
            "money_note": "",
            "other_currencies": [],
        }
    main = totals[0]
    return {
        "currency": main["currency"],
        "bac": main["bac"],
        "budget_period": main["budget_period"],
        "forecast_period": main["forecast_period"],
        "variance": main["variance"],
        "money_complete": main["money_complete"],
        "money_note": main["money_note"],
        "other_currencies": totals[1:],
    }


def snapshot_changes(*, projects: list[dict[str, Any]], previous_snapshot: Snapshot | None) -> dict[str, Any]:
    """What changed since ``previous_snapshot``: RAG moves per project, projects added and removed.

    Returns ``{"first_report", "rag_moves": [{code, name, from, to}], "added": [{code, name}],
    "removed": [{code, name}], "lines": [plain-text sentences]}``. Reads only codes, names and
    RAG from the previous snapshot, so nothing internal leaks between audiences.
    """
    if not previous_snapshot or not isinstance(previous_snapshot.get("projects"), list):
        return {
            "first_report": True,
            "rag_moves": [],
            "added": [],
            "removed": [],
            "lines": ["First report in this series: nothing to compare with yet."],
        }
    before = {row.get("code"): row for row in previous_snapshot["projects"] if isinstance(row, dict)}
    now = {row["code"]: row for row in projects}
    rag_moves, lines = [], []
    for code, row in now.items():
        if code in before and (before[code].get("rag") or "") != (row["rag"] or ""):
            old, new = before[code].get("rag") or "", row["rag"] or ""
            rag_moves.append({"code": code, "name": row["name"], "from": old, "to": new})
    # Worst news first: moves to red, then amber, then the rest.
    rag_moves.sort(key=lambda move: (RAG_ORDER.index(move["to"]) if move["to"] in RAG_ORDER else 9, move["code"]))
    for move in rag_moves:
        lines.append(
            f"{move['code']} {move['name']}: {RAG_WORDS.get(move['from'], move['from'])} to "
            f"{RAG_WORDS.get(move['to'], move['to'])}"
        )
    for code, row in now.items():
        old_ratings = {r.get("key"): r.get("rag") or "" for r in before.get(code, {}).get("ratings") or []}
        for rating in row.get("ratings") or []:
            if rating["key"] == "overall" or rating["key"] not in old_ratings:
                continue
            if old_ratings[rating["key"]] != rating["rag"]:
                lines.append(
                    f"{rating['label']}: {RAG_WORDS.get(old_ratings[rating['key']], '')} to "
                    f"{RAG_WORDS.get(rating['rag'], '')}"
                )
        old_pct, new_pct = before.get(code, {}).get("percent_complete"), row.get("percent_complete")
        if code in before and old_pct is not None and new_pct is not None and Decimal(old_pct) != Decimal(new_pct):
            lines.append(f"{code}: {Decimal(old_pct).normalize():f}% to {Decimal(new_pct).normalize():f}% complete")
    added = [{"code": code, "name": now[code]["name"]} for code in now if code not in before]
    removed = [{"code": code, "name": str(before[code].get("name", ""))} for code in before if code not in now]
    lines.extend(f"New in this report: {item['code']} {item['name']}" for item in added)
    lines.extend(f"No longer in this report: {item['code']} {item['name']}" for item in removed)
    if not lines:
        since = previous_snapshot.get("period_end")
        lines.append(f"No RAG changes since the last report{f' (to {since})' if since else ''}.")
    return {"first_report": False, "rag_moves": rag_moves, "added": added, "removed": removed, "lines": lines}


def summary_lines(
    *, internal: bool, headline: list[str], totals: dict[str, Any], changes: dict[str, Any], margin: str = ""
) -> list[str]:
    """3-6 short plain-text lines for the email body; money only for the internal audience.

    ``headline``: the kind's own first lines; without them the RAG count of the projects. ``margin``: the
    internal line on margin (``reports.kinds.margins.margin_line``), after the budget's.
    """
    n = totals["projects"]
    lines = list(headline) or [f"{n} project{'s' if n != 1 else ''}: {rag_count_line(totals)}"]
    if internal:
        currency = totals["currency"]
        lines.append(
            f"Budget this period {format_money(totals['budget_period'], currency)}, "
            f"forecast {format_money(totals['forecast_period'], currency)}, "
            f"variance {format_money(totals['variance'], currency)}"
        )
        if margin:
            lines.append(margin)
    change_lines = changes["lines"]
    if changes["first_report"]:
        lines.append("First report in this series.")
    else:
        moves = len(changes["rag_moves"])
        if moves:
            lines.append(f"{moves} RAG change{'s' if moves != 1 else ''} since the last report: {change_lines[0]}")
        else:
            lines.append(change_lines[0])
    return lines[:6]


def rows_snapshot(
    request: SnapshotRequest, *, details: Details | None = None, headline: Headline | None = None
) -> Snapshot:
    """The snapshot of ``request`` with one row per project of its scope (shape in the module docstring).

    Each project's rating, commentary and period money come from its latest
    StatusUpdate dated on or before ``period_end`` (its ``rag``; with no
    update the project's own ``rag``); a project whose update predates the
    period is marked ``stale`` and counted apart. Three queries whatever the number of
    projects (internally, those of ``project_margins`` besides: six at most), plus those of
    ``details``. Raises ValueError for an unknown scope, or when the scope's object is missing.
    """
    rows = []
    margins: dict[str, dict[str, Any]] = {}
    margin_sums: list[dict[str, Any]] = []
    if request.internal:
        margins, margin_sums = margin_figures(scoped_projects(request), request.period_end)
    for item, latest in load_projects(scoped_projects(request), request.period_end):
        row = client_row(item, latest, request.period_end)
        row["stale"] = is_stale(latest, request.period_start, request.period_end)
        if request.internal:
            row.update(internal_money(item, latest))
            row.update(margins.get(item.code) or {})
        if details is not None:
            row.update(details(item, latest, request))
        rows.append(row)

    totals: dict[str, Any] = rag_counts(rows)
    totals["stale_before"] = iso(stale_before(request.period_start, request.period_end))
    if request.internal:
        totals.update(money_totals(rows))
        totals["margins"] = margin_sums
    changes = snapshot_changes(projects=rows, previous_snapshot=request.previous_snapshot)
    return {
        "schema": SCHEMA_VERSION,
        "kind": request.kind,
        "audience": request.audience,
        "scope": request.scope,
        "title": request.title,
        "scope_label": scope_label(request),
        "period_start": iso(request.period_start),
        "period_end": request.period_end.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "projects": rows,
        "totals": totals,
        "changes": changes,
        "summary_lines": summary_lines(
            internal=request.internal,
            headline=headline(rows) if headline else [],
            totals=totals,
            changes=changes,
            margin=margin_line(margin_sums),
        ),
    }
