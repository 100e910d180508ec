"""Reads of deliverables, reviews, change requests and the RAID log, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet

from apm import access
from projects.models import (
    Approvers,
    ApproverSide,
    ChangeStatus,
    Deliverable,
    DeliverableBaseline,
    DeliverableStatus,
    NonConformance,
    NonConformanceStatus,
    Project,
    RaidItem,
    RaidKind,
    RaidStatus,
    Severity,
)

if TYPE_CHECKING:
    from apm.accounts.models import User


def deliverable_list(*, project: Project) -> QuerySet:
    """The project's deliverables with owner, milestone, dependencies and open NC count (3 queries)."""
    return (
        Deliverable.objects.filter(project=project)
        .select_related("owner", "milestone")
        .prefetch_related(Prefetch("depends_on", queryset=Deliverable.objects.only("id", "name", "project_id")))
        .annotate(open_ncs=Count("non_conformances", filter=~Q(non_conformances__status=NonConformanceStatus.CLOSED)))
        .order_by("due_date", "pk")
    )


def deliverables_awaiting_sign_off(*, project: Project) -> QuerySet:
    """Deliverables of ``project`` waiting for the client's decision, earliest due first."""
    return (
        Deliverable.objects.filter(project=project, status=DeliverableStatus.AWAITING_SIGN_OFF)
        .select_related("owner", "milestone")
        .order_by("due_date", "pk")
    )


def change_requests_awaiting_client(*, project: Project) -> QuerySet:
    """Submitted change requests of ``project`` that need the client's decision and do not have it yet."""
    return (
        project.change_requests.filter(status=ChangeStatus.SUBMITTED, approvers__in=[Approvers.CLIENT, Approvers.BOTH])
        .exclude(approvals__side=ApproverSide.CLIENT)
        .order_by("number")
    )


def change_request_list(*, project: Project) -> QuerySet:
    """The project's change requests with author and decisions (2 queries)."""
    return project.change_requests.select_related("author", "baseline").prefetch_related("approvals__user")


def gantt_rows(*, project: Project) -> list[dict[str, Any]]:
    """Rows for :func:`apm.charts.gantt.gantt_svg`: current and baseline dates of each deliverable (2 queries).

    The baseline is the project's current Baseline's recorded deliverable dates.
    """
    baseline_dates = {
        row.deliverable_id: row
        for row in DeliverableBaseline.objects.filter(baseline__project=project, baseline__is_current=True)
    }
    rows = []
    for item in Deliverable.objects.filter(project=project).order_by("due_date", "pk"):
        base = baseline_dates.get(item.pk)
        rows.append(
            {
                "name": item.name,
                "start": item.start_date,
                "end": item.due_date,
                "baseline_start": base.start_date if base else None,
                "baseline_end": base.due_date if base else None,
                "status": item.status,
                "percent": item.percent_complete,
            }
        )
    return rows


def raid_log(*, project: Project, kind: str | None = None) -> QuerySet:
    """The project's RAID items (optionally one kind), open first, with owner (1 query)."""
    queryset = RaidItem.objects.filter(project=project).select_related("owner", "acknowledged_by")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("status", "kind", "-raised_at", "-pk")


def risk_heat_map(*, project: Project) -> list[list[int]]:
    """Counts of open risks by impact (rows, 5 down to 1) and probability (columns 1-5) (1 query)."""
    grid = [[0] * 5 for _ in range(5)]
    rows = (
        RaidItem.objects.filter(project=project, kind=RaidKind.RISK)
        .exclude(status=RaidStatus.CLOSED)
        .values_list("probability", "impact")
    )
    for probability, impact in rows:
        if probability and impact:
            grid[5 - impact][probability - 1] += 1
    return grid


def critical_issues_for(*, user: User) -> QuerySet:
    """Open critical issues on the projects ``user`` may see (for the top of the PM's desk), newest first."""
    return (
        RaidItem.objects.filter(
            project__in=access.see_internal.queryset(user), kind=RaidKind.ISSUE, severity=Severity.CRITICAL
        )
        .exclude(status=RaidStatus.CLOSED)
        .select_related("project", "acknowledged_by")
        .order_by("-raised_at")
    )


def open_non_conformances(*, project: Project) -> QuerySet:
    """Non-conformances of ``project`` not yet closed, oldest first, with their deliverable and owner."""
    return (
        NonConformance.objects.filter(deliverable__project=project)
        .exclude(status=NonConformanceStatus.CLOSED)
        .select_related("deliverable", "action_owner")
        .order_by("opened_at", "pk")
    )


def age_days(opened_at: dt.datetime, today: dt.date) -> int:
    """Whole days from ``opened_at`` (aware) to ``today`` in the current time zone."""
    from django.utils import timezone

    return (today - timezone.localdate(opened_at)).days
