"""Reads of the RAID log: the log, the risk heat map and the open critical issues, each in one query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apm import access
from projects.models import Project, RaidItem, RaidKind, RaidStatus, Severity

if TYPE_CHECKING:
    from apm.accounts.models import User


def raid_log(*, project: Project, kind: str | None = None) -> QuerySet[RaidItem]:
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


def critical_issues_for(*, user: User) -> QuerySet[RaidItem]:
    """Open critical issues on the projects ``user`` may see (for the top of the PM's desk), newest first."""
    return (
        RaidItem.objects.filter(
            project__in=access.see_internal.queryset(user), kind=RaidKind.ISSUE, severity=Severity.CRITICAL
        )
        .exclude(status=RaidStatus.CLOSED)
        .select_related("project", "acknowledged_by")
        .order_by("-raised_at")
    )
