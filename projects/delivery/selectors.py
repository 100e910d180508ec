"""Reads of deliverables, each in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from projects.models import (
    Deliverable,
    DeliverableBaseline,
    DeliverableStatus,
    NonConformance,
    NonConformanceStatus,
    Project,
    QualityStandard,
)

#: Said when a deliverable goes to (or waits for) client sign-off with acceptance criteria that no review checked.
QUALITY_UNCHECKED = (
    "No quality standard applies to this deliverable: its acceptance criteria were not checked by a review"
)


def deliverable_list(*, project: Project) -> QuerySet[Deliverable]:
    """The project's deliverables with owner, milestone, dependencies and open NC count (3 queries)."""
    return (
        Deliverable.objects.filter(project=project)
        .select_related("owner", "milestone")
        .prefetch_related(Prefetch("depends_on", queryset=Deliverable.objects.only("id", "name", "project_id")))
        .annotate(open_ncs=Count("non_conformances", filter=~Q(non_conformances__status=NonConformanceStatus.CLOSED)))
        .order_by("due_date", "pk")
    )


def deliverables_awaiting_sign_off(*, project: Project) -> QuerySet[Deliverable]:
    """Deliverables of ``project`` waiting for the client's decision, earliest due first."""
    return (
        Deliverable.objects.filter(project=project, status=DeliverableStatus.AWAITING_SIGN_OFF)
        .select_related("owner", "milestone", "review_document")
        .order_by("due_date", "pk")
    )


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


def deliverable_open_non_conformances(*, deliverable: Deliverable) -> list[NonConformance]:
    """Non-conformances on ``deliverable`` not yet closed (open or awaiting verification)."""
    return list(deliverable.non_conformances.exclude(status=NonConformanceStatus.CLOSED).order_by("pk"))


def deliverable_quality_unchecked(*, deliverable: Deliverable) -> bool:
    """Whether ``deliverable`` has acceptance criteria but no quality standard applies to its project (one query
    when it has criteria).

    The sign-off gate holds a deliverable back only for open non-conformances,
    which come from quality reviews against the project's standards; without
    a standard no review can be recorded, so the gate would pass unseen.
    """
    if not deliverable.acceptance_criteria:
        return False
    return not QualityStandard.objects.filter(projects=deliverable.project_id).exists()
