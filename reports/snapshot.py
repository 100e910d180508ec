"""The data snapshot a report is rendered from.

A snapshot is a JSON-serialisable dict (money as Decimal strings in major
units, e.g. pounds; dates ISO ``YYYY-MM-DD``; ``generated_at`` an aware ISO
datetime) holding everything the print templates show. It is stored with the
Report so that a PDF can always be explained and re-rendered.

Redaction happens here: the client snapshot is *built* from the client view
(``projects.common.client_view``: a project row is a ``ClientProject``, a
highlight report's details a ``ClientHighlightDetails``, serialised by its
``serialise``; the client totals hold only RAG counts), never by deleting
internal keys afterwards. The internal audience *adds* to the same row:
the money of :func:`_internal_money` (BAC, period budget and forecast,
variance, whole-life cost, budget commentary, withheld-field notes) and, in
a highlight report, the cost rating, lessons learned, change requests,
burn-up, RAID log and tolerances.

Shape::

    {
      "schema": 1, "kind", "audience", "scope", "title",
      "period_start": "2025-03-01" | None, "period_end": "2025-03-31",
      "generated_at": "2025-04-01T06:00:00+00:00",
      "scope_label": "ALPHA — Alpha Department",
      "projects": [project row, ...],            # ordered by code
      "totals": {"projects", "red", "amber", "green", "not_rated",
                 # internal only:
                 "currency", "bac", "budget_period", "forecast_period", "variance",
                 "money_complete", "money_note", "other_currencies": [...]},
      "changes": {"first_report": bool, "rag_moves": [...], "added": [...],
                  "removed": [...], "lines": ["...", ...]},
      "summary_lines": ["12 projects: 3 red, 5 amber, 4 green, 0 not rated", ...],
    }

A project row: the keys of ``client_view.ClientProject`` in JSON form
(``code, name, client, status, rag ("red"|"amber"|"green"|""),
rating_published, rating_note, percent_complete (0-100 string or None),
start_date, end_date, as_of, period_label, commentary_overall,
commentary_schedule, work_done, work_planned, decisions [], risks_issues [],
author, milestones [{name, due_date, completed_on, state}]``); in a highlight
report also those of ``client_view.ClientHighlightDetails``; and, internal
only, ``currency, bac, budget_period, forecast_period, variance,
whole_life_cost, commentary_budget, withheld`` (and the highlight report's
internal keys, :func:`_highlight_details`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from projects.common import client_view
from projects.models import Milestone, Project, ProjectBudget, StatusUpdate
from reports.rendering import format_money

if TYPE_CHECKING:
    from apm.accounts.models import User
    from teams.models import Department

SCHEMA_VERSION = 1
INTERNAL = "internal"
CLIENT = "client"
KINDS = ("highlight", "portfolio")
SCOPES = ("project", "department", "pm_portfolio", "company")
RAG_ORDER = ("red", "amber", "green", "")
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "": "Not rated"}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _scoped_projects(
    *, scope: str, project: Project | None, department: Department | None, project_manager: User | None
) -> QuerySet:
    """The projects of a scope (unevaluated queryset); ValueError when the scope's object is missing."""
    if scope == "project":
        if project is None:
            raise ValueError("A project-scope report needs a project.")
        return Project.objects.filter(pk=project.pk)
    if scope == "department":
        if department is None:
            raise ValueError("A department-scope report needs a department.")
        return Project.objects.filter(departments=department)
    if scope == "pm_portfolio":
        if project_manager is None:
            raise ValueError("A project manager's portfolio report needs a project manager.")
        return Project.objects.filter(project_manager=project_manager)
    if scope == "company":
        return Project.objects.all()
    raise ValueError(f"Unknown report scope {scope!r}; expected one of {', '.join(SCOPES)}.")


def _scope_label(*, scope: str, project, department, project_manager) -> str:
    if scope == "project":
        return f"{project.code} — {project.name}"
    if scope == "department":
        return str(department)
    if scope == "pm_portfolio":
        name = project_manager.get_full_name() or project_manager.get_username()
        return f"Projects managed by {name}"
    return "All projects"


def _load_projects(queryset: QuerySet, period_end: dt.date) -> list[Project]:
    """Projects with ``latest_updates`` (0 or 1 StatusUpdate as of ``period_end``) and milestones.

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
    return list(
        queryset.select_related("client")
        .prefetch_related(
            Prefetch("status_updates", queryset=latest_updates, to_attr="latest_updates"),
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "pk")),
        )
        .order_by("code")
        .distinct()
    )


def _client_row(project: Project, latest: StatusUpdate | None, period_end: dt.date) -> dict[str, Any]:
    """The client view of a project as of ``period_end`` (a ``ClientProject`` in JSON form): what a client may see."""
    return client_view.serialise(
        client_view.client_project(project, latest=latest, milestones=project.milestones.all(), today=period_end)
    )


#: The ratings of a weekly update in the report's order; the client's are ``client_view.CLIENT_RATINGS``.
RATING_ORDER = ("overall", "time", "cost", "scope", "quality", "risk")
#: Cost tolerance (percent 0-100) when the project has no budget settings of its own.
COST_TOLERANCE_PERCENT = Decimal("10")
#: Deliverables (milestones) due within this many days after the period end are "due next".
DUE_HORIZON_DAYS = 28


def _highlight_details(
    project: Project, latest: StatusUpdate | None, *, audience: str, period_start: dt.date | None, period_end: dt.date
) -> dict[str, Any]:
    """The highlight report's extra fields of one project (three queries).

    The client's: a ``client_view.ClientHighlightDetails`` in JSON form
    (contacts who receive reports; ratings ``[{key, label, rag, previous}]``
    of this update against the one before it, without cost; milestones and
    deliverables completed in the period, and open ones overdue or due
    within ``DUE_HORIZON_DAYS``). The internal audience adds the cost rating
    to ``ratings`` and the keys ``lessons_learned``, ``change_requests``,
    ``burn_up``, ``raid`` and ``tolerance`` (period cost variance against
    the project's cost tolerance, ``ProjectBudget.cost_tolerance_percent`` or
    ``COST_TOLERANCE_PERCENT`` without one; overdue milestones; the open
    tolerance exceptions raised by ``projects.budget.services.budget_check``).
    """
    previous = None
    if latest is not None:
        previous = StatusUpdate.objects.filter(project=project, as_of__lt=latest.as_of).order_by("-as_of").first()
    contacts = project.client.contacts.filter(opted_in_reports=True).order_by("name", "pk") if project.client_id else []
    details: dict[str, Any] = client_view.serialise(
        client_view.client_highlight_details(
            latest=latest,
            previous=previous,
            milestones=project.milestones.all(),
            deliverables=project.deliverables.all(),
            contacts=contacts,
            period_start=period_start,
            period_end=period_end,
            horizon_days=DUE_HORIZON_DAYS,
        )
    )
    if audience == INTERNAL:
        cost = {
            "key": "cost",
            "label": "Cost",
            "rag": (latest.rag_cost if latest else "") or "",
            "previous": (previous.rag_cost if previous else "") or "",
        }
        details["ratings"] = sorted([*details["ratings"], cost], key=lambda rating: RATING_ORDER.index(rating["key"]))
        details["lessons_learned"] = latest.lessons_learned if latest else ""
        details["change_requests"] = _change_requests(project)
        details["burn_up"] = _burn_up(project, period_end)
        # The RAID log is the team's working register: internal reports only.
        details["raid"] = [
            {
                "kind": item.get_kind_display(),
                "title": item.title,
                "status": item.get_status_display(),
                "score": item.score,
                "severity": item.get_severity_display() if item.severity else "",
            }
            for item in project.raid_items.filter(kind__in=["risk", "issue"])
            .exclude(status="closed")
            .order_by("pk")[:30]
        ]
        variance = latest.variance_period if latest else None
        budget = latest.budget_period if latest else None
        percent = None
        if variance is not None and budget:
            percent = (variance * 100 / budget).quantize(Decimal("0.1"))
        overdue = sum(1 for item in details["deliverables_due"] if item["overdue"])
        settings_row = ProjectBudget.objects.filter(project=project).values_list("cost_tolerance_percent", flat=True)
        limit = next(iter(settings_row), None) or COST_TOLERANCE_PERCENT
        open_exceptions = [
            {"kind": exception.kind, "summary": exception.summary, "raised_at": _iso(exception.raised_at.date())}
            for exception in project.tolerance_exceptions.filter(state="open").order_by("kind")
        ]
        details["tolerance"] = {
            "cost_percent": str(percent) if percent is not None else None,
            "cost_limit_percent": format(Decimal(limit).normalize(), "f"),
            "cost_exceeded": (percent is not None and abs(percent) > limit)
            or any(e["kind"] == "cost" for e in open_exceptions),
            "overdue_milestones": overdue,
            "time_exceeded": overdue > 0 or any(e["kind"] == "time" for e in open_exceptions),
            "open_exceptions": open_exceptions,
        }
    return details


def _burn_up(project: Project, period_end: dt.date) -> list[dict[str, str | None]]:
    """Cumulative PV, EV and AC (money strings, project currency) for the burn-up chart; [] without a budget.

    From ``projects.budget.selectors.burn_up_series`` (formulas there); the
    SVG is drawn at render time (``apm.charts.burn_up``) from these figures.
    """
    from projects.budget.selectors import burn_up_series

    series = burn_up_series(project=project, as_of=period_end)
    if not any(point.get("pv") for point in series):
        return []
    return [
        {"date": _iso(point["date"]), "pv": _money(point["pv"]), "ev": _money(point["ev"]), "ac": _money(point["ac"])}
        for point in series
    ]


def _change_requests(project: Project) -> list[dict[str, str]]:
    """Open change requests of ``project`` when APM tracks them (``projects.ChangeRequest``), else []."""
    from django.apps import apps

    try:
        model = apps.get_model("projects", "ChangeRequest")
    except LookupError:
        return []
    rows = []
    for item in model.objects.filter(project=project).order_by("pk")[:50]:
        title = getattr(item, "title", "") or getattr(item, "name", "") or str(item)
        if getattr(item, "number", None):
            title = f"CR-{item.number} {title}"
        status = item.get_status_display() if hasattr(item, "get_status_display") else ""
        rows.append({"title": str(title), "status": str(status)})
    return rows


def _internal_money(project: Project, latest: StatusUpdate | None) -> dict[str, Any]:
    """Internal-only figures of a project. BAC falls back to the latest whole-life cost."""
    bac = project.bac
    if bac is None and latest is not None:
        bac = latest.whole_life_cost
    return {
        "currency": project.currency,
        "bac": _money(bac),
        "budget_period": _money(latest.budget_period) if latest else None,
        "forecast_period": _money(latest.forecast_period) if latest else None,
        "variance": _money(latest.variance_period) if latest else None,
        "whole_life_cost": _money(latest.whole_life_cost) if latest else None,
        "commentary_budget": latest.commentary_budget if latest else "",
        "withheld": dict(latest.withheld) if latest and latest.withheld else {},
    }


def _rag_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(row["rag"] or "" for row in rows)
    return {
        "projects": len(rows),
        "red": counts["red"],
        "amber": counts["amber"],
        "green": counts["green"],
        "not_rated": counts[""],
    }


def _money_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
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

        def total(field: str, group=group) -> Decimal | None:
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
                "bac": _money(total("bac")),
                "budget_period": _money(total("budget_period")),
                "forecast_period": _money(total("forecast_period")),
                "variance": _money(total("variance")),
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


def snapshot_changes(*, projects: list[dict[str, Any]], previous_snapshot: dict | None) -> dict[str, Any]:
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
            f"{move['code']} {move['name']}: {RAG_WORDS.get(move['from'], move['from'])} → "
            f"{RAG_WORDS.get(move['to'], move['to'])}"
        )
    for code, row in now.items():
        old_ratings = {r.get("key"): r.get("rag") or "" for r in before.get(code, {}).get("ratings") or []}
        for rating in row.get("ratings") or []:
            if rating["key"] == "overall" or rating["key"] not in old_ratings:
                continue
            if old_ratings[rating["key"]] != rating["rag"]:
                lines.append(
                    f"{rating['label']}: {RAG_WORDS.get(old_ratings[rating['key']], '')} → "
                    f"{RAG_WORDS.get(rating['rag'], '')}"
                )
        old_pct, new_pct = before.get(code, {}).get("percent_complete"), row.get("percent_complete")
        if code in before and old_pct is not None and new_pct is not None and Decimal(old_pct) != Decimal(new_pct):
            lines.append(f"{code}: {Decimal(old_pct).normalize():f}% → {Decimal(new_pct).normalize():f}% complete")
    added = [{"code": code, "name": now[code]["name"]} for code in now if code not in before]
    removed = [{"code": code, "name": str(before[code].get("name", ""))} for code in before if code not in now]
    lines.extend(f"New in this report: {item['code']} {item['name']}" for item in added)
    lines.extend(f"No longer in this report: {item['code']} {item['name']}" for item in removed)
    if not lines:
        since = previous_snapshot.get("period_end")
        lines.append(f"No RAG changes since the last report{f' (to {since})' if since else ''}.")
    return {"first_report": False, "rag_moves": rag_moves, "added": added, "removed": removed, "lines": lines}


def _summary_lines(
    *, kind: str, audience: str, rows: list[dict[str, Any]], totals: dict[str, Any], changes: dict[str, Any]
) -> list[str]:
    """3-6 short plain-text lines for the email body; money only for the internal audience."""
    n = totals["projects"]
    lines = [
        f"{n} project{'s' if n != 1 else ''}: {totals['red']} red, {totals['amber']} amber, "
        f"{totals['green']} green, {totals['not_rated']} not rated"
    ]
    if kind == "highlight" and len(rows) == 1:
        row = rows[0]
        status = f"{rows[0]['code']} {row['name']}: {RAG_WORDS.get(row['rag'], row['rag'])}"
        if row["percent_complete"] is not None:
            status += f", {Decimal(row['percent_complete']).normalize():f}% complete"
        lines[0] = status
        upcoming = [m for m in row["milestones"] if m["state"] != "done"]
        if upcoming:
            lines.append(f"Next milestone: {upcoming[0]['name']} (due {upcoming[0]['due_date']})")
    if audience == INTERNAL:
        currency = totals["currency"]
        lines.append(
            f"Budget this period {format_money(totals['budget_period'], currency)}, "
            f"forecast {format_money(totals['forecast_period'], currency)}, "
            f"variance {format_money(totals['variance'], currency)}"
        )
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


def report_build_snapshot(
    *,
    kind: str,
    audience: str,
    scope: str,
    project: Project | None = None,
    department: Department | None = None,
    project_manager: User | None = None,
    period_start: dt.date | None,
    period_end: dt.date,
    title: str,
    previous_snapshot: dict | None = None,
    tolerance_exception_id: int | None = None,
) -> dict:
    """Build the JSON-serialisable snapshot of a report (shape in the module docstring).

    Each project's rating, commentary and period money come from its latest
    StatusUpdate dated on or before ``period_end`` (its ``rag``; with no
    update the project's own ``rag``). Runs a fixed number of queries
    whatever the number of projects. Raises ValueError for an unknown kind,
    audience or scope, or when the scope's object is missing.
    """
    if kind == "exception":
        from reports.exception import exception_snapshot

        return exception_snapshot(exception_id=tolerance_exception_id, audience=audience, title=title)
    if kind == "quality":
        from reports.quality import quality_projects, quality_snapshot

        return quality_snapshot(
            projects=quality_projects(scope=scope, project=project, department=department),
            audience=audience,
            scope=scope,
            scope_label=_scope_label(scope=scope, project=project, department=department, project_manager=None),
            title=title,
            period_start=period_start,
            period_end=period_end,
        )
    if kind not in KINDS:
        raise ValueError(f"Unknown report kind {kind!r}; expected one of {', '.join(KINDS)}.")
    if audience not in (INTERNAL, CLIENT):
        raise ValueError(f"Unknown audience {audience!r}; expected internal or client.")
    queryset = _scoped_projects(scope=scope, project=project, department=department, project_manager=project_manager)
    projects = _load_projects(queryset, period_end)

    rows = []
    for item in projects:
        latest = item.latest_updates[0] if item.latest_updates else None
        row = _client_row(item, latest, period_end)
        if audience == INTERNAL:
            row.update(_internal_money(item, latest))
        if kind == "highlight":
            row.update(
                _highlight_details(item, latest, audience=audience, period_start=period_start, period_end=period_end)
            )
        rows.append(row)

    totals: dict[str, Any] = _rag_counts(rows)
    if audience == INTERNAL:
        totals.update(_money_totals(rows))
    changes = snapshot_changes(projects=rows, previous_snapshot=previous_snapshot)
    snapshot = {
        "schema": SCHEMA_VERSION,
        "kind": kind,
        "audience": audience,
        "scope": scope,
        "title": title,
        "scope_label": _scope_label(
            scope=scope, project=project, department=department, project_manager=project_manager
        ),
        "period_start": _iso(period_start),
        "period_end": _iso(period_end),
        "generated_at": timezone.now().isoformat(),
        "projects": rows,
        "totals": totals,
        "changes": changes,
        "summary_lines": _summary_lines(kind=kind, audience=audience, rows=rows, totals=totals, changes=changes),
    }
    if kind == "portfolio" and audience == INTERNAL:
        # Internal only: the client snapshot is built without it, never redacted afterwards.
        snapshot["compliance"] = _compliance_section(queryset, period_end)
    return snapshot


def _compliance_section(queryset: QuerySet, as_of: dt.date) -> dict[str, Any]:
    """Contract compliance of the portfolio as of ``as_of`` (the period end), for the internal audience.

    Shape: ``{"as_of", "overdue": n, "missing_evidence": n, "missing_documents": n, "expired_documents": n,
    "projects": [{"code", "name", "overdue": [{"number", "title", "deadline"}], "missing_evidence":
    [{"number", "title"}], "missing_documents": ["Permit", ...], "expired_documents": [{"title",
    "expires_on"}]}]}``; only projects with something to report are listed. Obligation states as in
    ``projects.documents.selectors`` (5 queries whatever the number of projects).
    """
    from projects.documents.selectors import portfolio_compliance

    listed = []
    for line in portfolio_compliance(projects=queryset, today=as_of):
        if line.clean:
            continue
        listed.append(
            {
                "code": line.project.code,
                "name": line.project.name,
                "overdue": [
                    {"number": r.clause.number, "title": r.clause.title, "deadline": _iso(r.clause.deadline)}
                    for r in line.overdue
                ],
                "missing_evidence": [
                    {"number": r.clause.number, "title": r.clause.title} for r in line.missing_evidence
                ],
                "missing_documents": list(line.missing_documents),
                "expired_documents": [
                    {"title": d.title, "expires_on": _iso(d.expires_on)} for d in line.expired_documents
                ],
            }
        )
    return {
        "as_of": _iso(as_of),
        "overdue": sum(len(p["overdue"]) for p in listed),
        "missing_evidence": sum(len(p["missing_evidence"]) for p in listed),
        "missing_documents": sum(len(p["missing_documents"]) for p in listed),
        "expired_documents": sum(len(p["expired_documents"]) for p in listed),
        "projects": listed,
    }
