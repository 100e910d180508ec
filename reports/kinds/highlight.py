"""The project highlight report (PRINCE2's periodic progress report): one project, internal or client.

A row per project (:mod:`reports.kinds.project_rows`) with the highlight
details of :func:`highlight_details`: for the client a
``client_view.ClientHighlightDetails`` in JSON form; the internal audience
adds the cost rating, lessons learned, open change requests, the burn-up,
the RAID log and the tolerances.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from apm.reporting import ReportKind
from projects.budget.selectors import burn_up_series
from projects.common import client_view
from projects.models import ChangeRequest, ChangeStatus, Project, ProjectBudget, StatusUpdate
from reports.kinds.base import ReportKindSpec, Snapshot, SnapshotRequest, iso, money
from reports.kinds.project_rows import RAG_WORDS, rows_snapshot
from reports.models import Audience, Scope

#: The ratings of a weekly update in the report's order; the client's are ``client_view.CLIENT_RATINGS``.
RATING_ORDER = ("overall", "time", "cost", "scope", "quality", "risk")
#: Cost tolerance (percent 0-100) when the project has no budget settings of its own.
COST_TOLERANCE_PERCENT = Decimal("10")
#: Deliverables (milestones) due within this many days after the period end are "due next".
DUE_HORIZON_DAYS = 28
#: Change requests still in play: not rejected and not yet implemented (drafts, submitted, approved).
OPEN_CHANGE_STATUSES = (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED, ChangeStatus.APPROVED)


def highlight_details(project: Project, latest: StatusUpdate | None, request: SnapshotRequest) -> dict[str, Any]:
    """The highlight report's extra fields of one project (three queries; internally a few more).

    The client's: a ``client_view.ClientHighlightDetails`` in JSON form
    (contacts who receive reports; ratings ``[{key, label, rag, previous}]``
    of this update against the one before it, without cost; milestones and
    deliverables completed in the period, and open ones overdue or due
    within ``DUE_HORIZON_DAYS``). The internal audience adds the cost rating
    to ``ratings`` and the keys ``lessons_learned``, ``change_requests``,
    ``burn_up``, ``raid`` and ``tolerance`` (period cost variance against
    the project's cost tolerance, ``ProjectBudget.cost_tolerance_percent`` or
    ``COST_TOLERANCE_PERCENT`` without one; overdue milestones; the open
    tolerance exceptions raised by ``projects.budget.services.checks.budget_check``).
    """
    previous = None
    if latest is not None:
        previous = StatusUpdate.objects.filter(project=project, as_of__lt=latest.as_of).order_by("-as_of").first()
    client = project.client
    contacts = client.contacts.filter(opted_in_reports=True).order_by("name", "pk") if client is not None else []
    details: dict[str, Any] = client_view.serialise(
        client_view.client_highlight_details(
            latest=latest,
            previous=previous,
            milestones=project.milestones.all(),
            deliverables=project.deliverables.all(),
            contacts=contacts,
            period_start=request.period_start,
            period_end=request.period_end,
            horizon_days=DUE_HORIZON_DAYS,
        )
    )
    if not request.internal:
        return details
    cost = {
        "key": "cost",
        "label": "Cost",
        "rag": (latest.rag_cost if latest else "") or "",
        "previous": (previous.rag_cost if previous else "") or "",
    }
    details["ratings"] = sorted([*details["ratings"], cost], key=lambda rating: RATING_ORDER.index(rating["key"]))
    details["lessons_learned"] = latest.lessons_learned if latest else ""
    details["change_requests"] = open_change_requests(project)
    details["burn_up"] = burn_up(project, request.period_end)
    # The RAID log is the team's working register: internal reports only.
    details["raid"] = [
        {
            "kind": item.get_kind_display(),
            "title": item.title,
            "status": item.get_status_display(),
            "score": item.score,
            "severity": item.get_severity_display() if item.severity else "",
        }
        for item in project.raid_items.filter(kind__in=["risk", "issue"]).exclude(status="closed").order_by("pk")[:30]
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
        {"kind": exception.kind, "summary": exception.summary, "raised_at": iso(exception.raised_at.date())}
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


def burn_up(project: Project, period_end: dt.date) -> list[dict[str, str | None]]:
    """Cumulative PV, EV and AC (money strings, project currency) for the burn-up chart; [] without a budget.

    From ``projects.budget.selectors.burn_up_series`` (formulas there); the
    SVG is drawn at render time (``apm.charts.burn_up``) from these figures.
    """
    series = burn_up_series(project=project, as_of=period_end)
    if not any(point.get("pv") for point in series):
        return []
    return [
        {"date": iso(point["date"]), "pv": money(point["pv"]), "ev": money(point["ev"]), "ac": money(point["ac"])}
        for point in series
    ]


def open_change_requests(project: Project) -> list[dict[str, str]]:
    """The project's open change requests (``OPEN_CHANGE_STATUSES``), oldest first: ``[{title, status}]``, at most 50.

    ``title`` is "CR-<number> <title>"; ``status`` the status's label.
    """
    changes = ChangeRequest.objects.filter(project=project, status__in=OPEN_CHANGE_STATUSES).order_by("number")
    return [{"title": f"{item.reference} {item.title}", "status": item.get_status_display()} for item in changes[:50]]


def headline(rows: list[dict[str, Any]]) -> list[str]:
    """For one project: its RAG and progress, and its next milestone ([] for several projects)."""
    if len(rows) != 1:
        return []
    row = rows[0]
    status = f"{row['code']} {row['name']}: {RAG_WORDS.get(row['rag'], row['rag'])}"
    if row["percent_complete"] is not None:
        status += f", {Decimal(row['percent_complete']).normalize():f}% complete"
    lines = [status]
    upcoming = [m for m in row["milestones"] if m["state"] != "done"]
    if upcoming:
        lines.append(f"Next milestone: {upcoming[0]['name']} (due {upcoming[0]['due_date']})")
    return lines


def build_snapshot(request: SnapshotRequest) -> Snapshot:
    """The highlight snapshot: a row per project with :func:`highlight_details` (shape in ``project_rows``)."""
    return rows_snapshot(request, details=highlight_details, headline=headline)


def toc_entries(snapshot: Snapshot) -> list[tuple[str, str]]:
    """A section per project."""
    return [
        (f"sec-project-{index}", f"{row.get('code')} — {row.get('name')}")
        for index, row in enumerate(snapshot.get("projects") or [])
    ]


SPEC = ReportKindSpec(
    kind=ReportKind.HIGHLIGHT,
    scopes=(Scope.PROJECT,),
    audiences=(Audience.INTERNAL, Audience.CLIENT),
    build_snapshot=build_snapshot,
    template="reports/pdf/highlight.html",
    send_now=True,
    toc_entries=toc_entries,
)
