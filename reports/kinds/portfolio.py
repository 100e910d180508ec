"""The portfolio report: a row per project of a department, a PM's portfolio or the company, for department heads.

Sent to the internal audience only: it spans several projects, and so
clients, and shows their money. A row per project
(:mod:`reports.kinds.project_rows`, whose internal rows carry each project's
revenue and margin: :mod:`reports.kinds.margins`); the internal snapshot adds the
portfolio's contract compliance (:func:`compliance_section`). Like every
kind of project rows its builder also makes the client version (no money,
no compliance), which no request, schedule or command may send.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, NotRequired

from django.conf import settings
from django.db.models import Q, QuerySet

from apm.reporting import ReportKind
from projects.budget.selectors import portfolio_ratings
from projects.documents.selectors import portfolio_compliance
from projects.models import Project, ToleranceException
from reports.kinds.base import ReportKindSpec, Snapshot, SnapshotRequest, iso, scoped_projects
from reports.kinds.project_rows import rows_snapshot
from reports.models import Audience, Scope
from reports.sections import commentary_rows

#: Rough rows of the projects table per page, and commentary blocks per page (first guess of the length).
ROWS_PER_PAGE = 28
COMMENTARIES_PER_PAGE = 3


def compliance_section(queryset: QuerySet[Project], as_of: dt.date) -> dict[str, Any]:
    """Contract compliance of the portfolio as of ``as_of`` (the period end), for the internal audience.

    Shape: ``{"as_of", "overdue": n, "missing_evidence": n, "missing_documents": n, "expired_documents": n,
    "projects": [{"code", "name", "overdue": [{"number", "title", "deadline"}], "missing_evidence":
    [{"number", "title"}], "missing_documents": ["Permit", ...], "expired_documents": [{"title",
    "expires_on"}]}]}``; only projects with something to report are listed. Obligation states as in
    ``projects.documents.selectors`` (4 queries whatever the number of projects).
    """
    listed = []
    for line in portfolio_compliance(projects=queryset, today=as_of):
        if line.clean:
            continue
        listed.append(
            {
                "code": line.project.code,
                "name": line.project.name,
                "overdue": [
                    {"number": r.clause.number, "title": r.clause.title, "deadline": iso(r.clause.deadline)}
                    for r in line.overdue
                ],
                "missing_evidence": [
                    {"number": r.clause.number, "title": r.clause.title} for r in line.missing_evidence
                ],
                "missing_documents": list(line.missing_documents),
                "expired_documents": [
                    {"title": d.title, "expires_on": iso(d.expires_on)} for d in line.expired_documents
                ],
            }
        )
    return {
        "as_of": iso(as_of),
        "overdue": sum(len(p["overdue"]) for p in listed),
        "missing_evidence": sum(len(p["missing_evidence"]) for p in listed),
        "missing_documents": sum(len(p["missing_documents"]) for p in listed),
        "expired_documents": sum(len(p["expired_documents"]) for p in listed),
        "projects": listed,
    }


def performance_ratings(queryset: QuerySet[Project], as_of: dt.date) -> dict[str, dict[str, Any]]:
    """By project code, the CPI/SPI-derived rating as of ``as_of`` (internal only): ``{"performance_rag":
    "red"|"amber"|"green"|"", "cpi": "0.8333" | None, "spi": ...}`` ("" when there is nothing to rate, as on the
    department's cost page; ``projects.budget.selectors.portfolio_ratings``, two queries at most)."""
    return {
        rating.code: {
            "performance_rag": rating.rag,
            "cpi": None if rating.cpi is None else str(rating.cpi),
            "spi": None if rating.spi is None else str(rating.spi),
        }
        for rating in portfolio_ratings(projects=queryset, as_of=as_of)
    }


def open_exceptions(queryset: QuerySet[Project], as_of: dt.date) -> dict[str, list[dict[str, str]]]:
    """By project code, the tolerance exceptions open at the end of ``as_of`` (in ``settings.TIME_ZONE``): raised by
    then and not closed by then, oldest first: ``[{"kind": "cost"|"time", "summary"}]`` (one query)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day_after = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    found: dict[str, list[dict[str, str]]] = {}
    exceptions = (
        ToleranceException.objects.filter(project__in=queryset.values("pk"), raised_at__lt=day_after)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=day_after))
        .order_by("raised_at", "pk")
        .values_list("project__code", "kind", "summary")
    )
    for code, kind, summary in exceptions:
        found.setdefault(code, []).append({"kind": kind, "summary": summary})
    return found


def attention_reasons(row: dict[str, Any]) -> list[str]:
    """Why a row's project needs attention whatever the last report said: ``"red"`` (its published RAG) and
    ``"tolerance"`` (an open tolerance exception at the period's end, internal only). A RAG changed since the last
    report is the other reason, read from the snapshot's ``changes`` (``reports.sections.attention_codes``): it is
    relative to the period, so it stays out of the row."""
    reasons = []
    if row.get("rag") == "red":
        reasons.append("red")
    if row.get("tolerance_exceptions"):
        reasons.append("tolerance")
    return reasons


class PortfolioSnapshot(Snapshot):
    """A portfolio report's own keys: ``compliance``, internal only (:func:`compliance_section`), and
    ``full_commentary``: the commentary of every project rather than of those that need attention
    (``SnapshotRequest.full_commentary``; ``reports.sections.commentary_rows``)."""

    compliance: NotRequired[dict[str, Any]]
    full_commentary: NotRequired[bool]


def build_snapshot(request: SnapshotRequest) -> PortfolioSnapshot:
    """The portfolio snapshot (shape in ``project_rows``); internally with ``compliance`` (:func:`compliance_section`)
    and, in each row, the CPI/SPI-derived rating beside the published one (:func:`performance_ratings`).

    Each row has ``attention`` (:func:`attention_reasons`) and, internally, ``tolerance_exceptions``
    (:func:`open_exceptions`). The client snapshot is built without the compliance section, the
    indices and the tolerance exceptions, never redacted afterwards.
    """
    snapshot: PortfolioSnapshot = {**rows_snapshot(request)}
    if request.internal:
        performance = performance_ratings(scoped_projects(request), request.period_end)
        exceptions = open_exceptions(scoped_projects(request), request.period_end)
        for row in snapshot["projects"]:
            row.update(performance.get(row["code"], {"performance_rag": "", "cpi": None, "spi": None}))
            row["tolerance_exceptions"] = exceptions.get(row["code"], [])
        snapshot["compliance"] = compliance_section(scoped_projects(request), request.period_end)
    for row in snapshot["projects"]:
        row["attention"] = attention_reasons(row)
    snapshot["full_commentary"] = request.full_commentary
    return snapshot


def _priced(snapshot: Snapshot) -> int:
    """How many rows of the revenue and margin table an internal snapshot has (0 for a client's, or one stored
    before reports showed margin)."""
    if snapshot.get("audience") != Audience.INTERNAL:
        return 0
    return sum(1 for row in snapshot.get("projects") or [] if "revenue" in row)


def toc_entries(snapshot: Snapshot) -> list[tuple[str, str]]:
    """Summary, the projects table, all changes when the first page shows only some, internally revenue and
    margin, the commentary."""
    entries = [("sec-summary", "Summary"), ("sec-projects", "Projects")]
    if len((snapshot.get("changes") or {}).get("lines") or []) > 12:
        entries.append(("sec-all-changes", "All changes since the last report"))
    if _priced(snapshot):
        entries.append(("sec-margins", "Revenue and margin"))
    if commentary_rows(snapshot):
        entries.append(("sec-commentary", "Latest commentary"))
    return entries


def estimated_pages(snapshot: Snapshot) -> float:
    """The summary page, the projects table, internally the revenue and margin table (a page of its own at
    least), and a commentary block per project it shows."""
    projects = len(snapshot.get("projects") or [])
    priced = _priced(snapshot)
    margins = max(1, priced / ROWS_PER_PAGE) if priced else 0
    return 1 + projects / ROWS_PER_PAGE + margins + len(commentary_rows(snapshot)) / COMMENTARIES_PER_PAGE


SPEC = ReportKindSpec(
    kind=ReportKind.PORTFOLIO,
    scopes=(Scope.DEPARTMENT, Scope.PM_PORTFOLIO, Scope.COMPANY),
    audiences=(Audience.INTERNAL,),
    build_snapshot=build_snapshot,
    template="reports/pdf/portfolio.html",
    send_now=True,
    toc_entries=toc_entries,
    estimated_pages=estimated_pages,
    full_commentary=True,
)
