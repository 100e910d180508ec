"""Reads of the weekly update page: the values carried over from the last update, and what APM already knows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from projects.models import Milestone, Project, StatusUpdate

#: Carried over from the previous update as a starting point: the six RAG ratings, progress and money, risks.
CARRIED_FIELDS = (
    "rag",
    "rag_time",
    "rag_cost",
    "rag_scope",
    "rag_quality",
    "rag_risk",
    "percent_complete",
    "budget_period",
    "forecast_period",
    "whole_life_cost",
    "risks_issues",
)


def status_update_initial(*, project: Project, today: dt.date) -> dict[str, Any]:
    """Initial form values: today's date and the fields carried over from the latest update."""
    initial: dict[str, Any] = {"as_of": today}
    previous = StatusUpdate.objects.filter(project=project, as_of__lte=today).order_by("-as_of").first()
    if previous is not None:
        for name in CARRIED_FIELDS:
            initial[name] = getattr(previous, name)
    elif project.rag:
        initial["rag"] = project.rag
    return initial


def status_update_known_facts(*, project: Project, today: dt.date, weeks: int = 4) -> dict[str, Any]:
    """What APM knows that the PM need not type: milestones overdue and due in ``weeks`` weeks, the last update.

    Returns ``{"overdue": [Milestone], "due": [Milestone], "deliverables": [Deliverable] (not accepted,
    due by then), "risks": [RaidItem] (open risks and issues), "changes": [ChangeRequest] (newest 10),
    "previous": StatusUpdate | None}``. The highlight report shows these itself.
    """
    open_milestones = Milestone.objects.filter(project=project, completed_on__isnull=True).order_by("due_date", "pk")
    horizon = today + dt.timedelta(weeks=weeks)
    return {
        "overdue": list(open_milestones.filter(due_date__lt=today)),
        "due": list(open_milestones.filter(due_date__gte=today, due_date__lte=horizon)),
        "deliverables": list(
            project.deliverables.exclude(status="accepted").filter(due_date__lte=horizon).order_by("due_date", "pk")
        ),
        "risks": list(
            project.raid_items.filter(kind__in=["risk", "issue"]).exclude(status="closed").order_by("pk")[:10]
        ),
        "changes": list(project.change_requests.order_by("-pk")[:10]),
        "previous": StatusUpdate.objects.filter(project=project, as_of__lt=today).order_by("-as_of").first(),
    }
