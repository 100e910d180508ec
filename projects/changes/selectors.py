"""Reads of change requests, each in a fixed number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.models import Approvers, ApproverSide, ChangeRequest, ChangeStatus, Project

#: The fields of a change request that carry money: their history is shown only with ``access.see_money``
#: (``applied`` holds the budget line and the cost applied).
MONEY_FIELDS = frozenset({"cost_impact", "cost_category", "applied"})


def change_requests_awaiting_client(*, project: Project) -> QuerySet[ChangeRequest]:
    """Submitted change requests of ``project`` that need the client's decision and do not have it yet."""
    return (
        project.change_requests.filter(status=ChangeStatus.SUBMITTED, approvers__in=[Approvers.CLIENT, Approvers.BOTH])
        .exclude(approvals__side=ApproverSide.CLIENT)
        .order_by("number")
    )


def change_request_list(*, project: Project) -> QuerySet[ChangeRequest]:
    """The project's change requests with author and decisions (2 queries)."""
    return project.change_requests.select_related("author", "baseline").prefetch_related("approvals__user")
