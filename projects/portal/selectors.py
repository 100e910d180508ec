"""Reads for the client portal. Everything a status page shows is built here from a whitelist.

The portal never shows internal figures (BAC, budgets, forecasts, costs,
rates, margins, budget commentary): :func:`portal_status` reads only the
fields a client may see, the same ones the client report snapshot uses
(``reports/snapshot.py``, ``_public_project_row``), and nothing is removed
afterwards. Projects come from ``apm.access.visible_projects`` and reports
from ``apm.access.visible_reports``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone

from apm.access import CLIENT, visible_projects
from projects.models import Milestone, Project, StatusUpdate

if TYPE_CHECKING:
    from apm.accounts.models import User

TREND_POINTS = 8
HIGHLIGHTS = 3
REPORTS = 24
RAG_RANK = {"red": 0, "amber": 1, "green": 2}


def quality_api() -> SimpleNamespace | None:
    """The deliverables and change-request functions of issue 5, or None while they do not exist.

    A namespace with ``deliverable_sign_off``, ``change_request_decide``
    (``projects.delivery.services``), ``deliverables_awaiting_sign_off`` and
    ``change_requests_awaiting_client`` (``projects.delivery.selectors``).
    Without them the portal leaves those two sections out.
    """
    names = {
        "deliverable_sign_off": "projects.delivery.services",
        "change_request_decide": "projects.delivery.services",
        "deliverables_awaiting_sign_off": "projects.delivery.selectors",
        "change_requests_awaiting_client": "projects.delivery.selectors",
    }
    found = {}
    for attr, module_name in names.items():
        try:
            found[attr] = getattr(import_module(module_name), attr)
        except (ImportError, AttributeError):
            return None
    return SimpleNamespace(**found)


def portal_projects(*, user: User) -> QuerySet[Project]:
    """The projects ``user`` sees in the portal (their client's, for a client contact), by code."""
    return visible_projects(user).select_related("client").order_by("code")


@dataclass
class MilestoneRow:
    name: str
    due_date: dt.date
    completed_on: dt.date | None
    state: str  # "done", "late" or "upcoming"


@dataclass
class Highlight:
    as_of: dt.date
    period_label: str
    rag: str
    commentary: str
    work_done: str
    work_planned: str
    decisions: list[str]


@dataclass
class PortalStatus:
    """What a client may see of one project (no money, no rates, no budget commentary).

    ``trend`` is oldest-first ``[(as_of, rag)]``; ``direction`` is
    ``"improving"``, ``"worsening"``, ``"steady"`` or ``""`` (fewer than two
    rated updates); ``percent_complete`` is 0-100 or None.
    """

    project: Project
    rag: str
    rating_published: str
    as_of: dt.date | None
    percent_complete: Decimal | None
    trend: list[tuple[dt.date, str]]
    direction: str
    milestones: list[MilestoneRow]
    highlights: list[Highlight]
    deliverables: list[Any] = field(default_factory=list)
    change_requests: list[Any] = field(default_factory=list)
    quality_available: bool = False


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]


def _direction(trend: list[tuple[dt.date, str]]) -> str:
    rated = [rag for _, rag in trend if rag in RAG_RANK]
    if len(rated) < 2:
        return ""
    delta = RAG_RANK[rated[-1]] - RAG_RANK[rated[-2]]
    return "improving" if delta > 0 else "worsening" if delta < 0 else "steady"


def portal_status(*, project: Project, today: dt.date | None = None) -> PortalStatus:
    """The client-audience status of ``project`` (3 queries, plus 2 when the quality services exist)."""
    today = today or timezone.localdate()
    updates = list(
        StatusUpdate.objects.filter(project=project)
        .order_by("-as_of")
        .only(
            "as_of",
            "period_label",
            "rag",
            "rating_published",
            "percent_complete",
            "commentary_overall",
            "work_done",
            "work_planned",
            "decisions_needed",
            "project_id",
        )[:TREND_POINTS]
    )
    latest = updates[0] if updates else None
    trend = [(u.as_of, u.rag or "") for u in reversed(updates)]
    milestones = [
        MilestoneRow(
            name=m.name,
            due_date=m.due_date,
            completed_on=m.completed_on,
            state="done" if m.completed_on else ("late" if m.due_date < today else "upcoming"),
        )
        for m in Milestone.objects.filter(project=project)
        .order_by("due_date", "pk")
        .only("name", "due_date", "completed_on", "project_id")
    ]
    highlights = [
        Highlight(
            as_of=u.as_of,
            period_label=u.period_label,
            rag=u.rag or "",
            commentary=u.commentary_overall,
            work_done=u.work_done,
            work_planned=u.work_planned,
            decisions=_lines(u.decisions_needed),
        )
        for u in updates[:HIGHLIGHTS]
        if u.commentary_overall or u.work_done or u.work_planned or u.decisions_needed
    ]
    status = PortalStatus(
        project=project,
        rag=(latest.rag if latest and latest.rag else project.rag) or "",
        rating_published=latest.rating_published if latest else "",
        as_of=latest.as_of if latest else None,
        percent_complete=latest.percent_complete if latest else None,
        trend=trend,
        direction=_direction(trend),
        milestones=milestones,
        highlights=highlights,
    )
    api = quality_api()
    if api is not None:
        status.quality_available = True
        status.deliverables = list(api.deliverables_awaiting_sign_off(project=project))
        status.change_requests = list(api.change_requests_awaiting_client(project=project))
    return status


def portal_reports(*, user: User | None, project: Project) -> QuerySet:
    """Rendered client-audience reports of ``project``, newest first (at most 24).

    ``user`` None means an anonymous share-link visitor who may see the
    project's client reports; otherwise the reports come from
    ``apm.access.visible_reports``.
    """
    report = apps.get_model("reports", "Report")
    if user is None:
        reports = report.objects.all()
    else:
        from apm.access import visible_reports

        reports = visible_reports(user)
    return (
        reports.filter(project=project, audience=CLIENT, status="rendered")
        .exclude(pdf="")
        .only("pk", "title", "kind", "period_start", "period_end", "rendered_at", "page_count", "project_id")
        .order_by("-period_end", "-pk")[:REPORTS]
    )
