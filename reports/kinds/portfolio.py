"""The portfolio report: a row per project of a department, a PM's portfolio or the company, for department heads.

Sent to the internal audience only: it spans several projects, and so
clients, and shows their money. A row per project
(:mod:`reports.kinds.project_rows`); the internal snapshot adds the
portfolio's contract compliance (:func:`compliance_section`). Like every
kind of project rows its builder also makes the client version (no money,
no compliance), which no request, schedule or command may send.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NotRequired

from django.db.models import QuerySet

from apm.reporting import ReportKind
from projects.budget.selectors import portfolio_ratings
from projects.documents.selectors import portfolio_compliance
from projects.models import Project
from reports.kinds.base import ReportKindSpec, Snapshot, SnapshotRequest, iso, scoped_projects
from reports.kinds.project_rows import rows_snapshot
from reports.models import Audience, Scope

#: Rough rows of the projects table per page, and commentary blocks per page (first guess of the length).
ROWS_PER_PAGE = 28
COMMENTARIES_PER_PAGE = 3


def compliance_section(queryset: QuerySet[Project], as_of: dt.date) -> dict[str, Any]:
    """Contract compliance of the portfolio as of ``as_of`` (the period end), for the internal audience.

    Shape: ``{"as_of", "overdue": n, "missing_evidence": n, "missing_documents": n, "expired_documents": n,
    "projects": [{"code", "name", "overdue": [{"number", "title", "deadline"}], "missing_evidence":
    [{"number", "title"}], "missing_documents": ["Permit", ...], "expired_documents": [{"title",
    "expires_on"}]}]}``; only projects with something to report are listed. Obligation states as in
    ``projects.documents.selectors`` (5 queries whatever the number of projects).
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
    department's cost page; ``projects.budget.selectors.portfolio_ratings``, three queries)."""
    return {
        rating.code: {
            "performance_rag": rating.rag,
            "cpi": None if rating.cpi is None else str(rating.cpi),
            "spi": None if rating.spi is None else str(rating.spi),
        }
        for rating in portfolio_ratings(projects=queryset, as_of=as_of)
    }


class PortfolioSnapshot(Snapshot):
    """A portfolio report's own key, ``compliance``: internal only (:func:`compliance_section`)."""

    compliance: NotRequired[dict[str, Any]]


def build_snapshot(request: SnapshotRequest) -> PortfolioSnapshot:
    """The portfolio snapshot (shape in ``project_rows``); internally with ``compliance`` (:func:`compliance_section`)
    and, in each row, the CPI/SPI-derived rating beside the published one (:func:`performance_ratings`).

    The client snapshot is built without the compliance section and the
    indices, never redacted afterwards.
    """
    snapshot: PortfolioSnapshot = {**rows_snapshot(request)}
    if request.internal:
        performance = performance_ratings(scoped_projects(request), request.period_end)
        for row in snapshot["projects"]:
            row.update(performance.get(row["code"], {"performance_rag": "", "cpi": None, "spi": None}))
        snapshot["compliance"] = compliance_section(scoped_projects(request), request.period_end)
    return snapshot


def toc_entries(snapshot: Snapshot) -> list[tuple[str, str]]:
    """Summary, the projects table, all changes when the first page shows only some, the commentary."""
    entries = [("sec-summary", "Summary"), ("sec-projects", "Projects")]
    if len((snapshot.get("changes") or {}).get("lines") or []) > 12:
        entries.append(("sec-all-changes", "All changes since the last report"))
    if snapshot.get("projects"):
        entries.append(("sec-commentary", "Latest commentary"))
    return entries


def estimated_pages(snapshot: Snapshot) -> float:
    """The summary page, the projects table and a commentary block per project."""
    projects = len(snapshot.get("projects") or [])
    return 1 + projects / ROWS_PER_PAGE + projects / COMMENTARIES_PER_PAGE


SPEC = ReportKindSpec(
    kind=ReportKind.PORTFOLIO,
    scopes=(Scope.DEPARTMENT, Scope.PM_PORTFOLIO, Scope.COMPANY),
    audiences=(Audience.INTERNAL,),
    build_snapshot=build_snapshot,
    template="reports/pdf/portfolio.html",
    send_now=True,
    toc_entries=toc_entries,
    estimated_pages=estimated_pages,
)
