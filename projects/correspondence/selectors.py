"""Reads of the correspondence log; a fixed number of queries."""

from __future__ import annotations

from projects.models import Correspondence, CorrespondenceStatus, Project


def correspondence_list(
    *, project: Project, counterpart_kind: str = "", pending_only: bool = False
) -> list[Correspondence]:
    """The project's correspondence, newest first, with attachments, documents and clauses; 4 queries."""
    entries = Correspondence.objects.filter(project=project)
    if counterpart_kind:
        entries = entries.filter(counterpart_kind=counterpart_kind)
    if pending_only:
        entries = entries.filter(
            reply_due_on__isnull=False, status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY]
        )
    return list(entries.prefetch_related("attachments", "documents", "clauses").order_by("-date", "-pk"))
