"""Capabilities about comments: who sees a comment, and which anchors the client side shows.

A comment is internal unless made visible to the client. Internal comments
are seen by whoever sees the project's internal pages (:data:`see_internal`;
on a document, :data:`see_internal_documents`, the same people). A
client-visible comment is also seen by the contacts of the project's client,
but only where the client side shows its anchor (:func:`client_side`): a
deliverable of their project (they sign deliverables off and read them in
their reports), a change request the client decides (approvers "client" or
"both"), a document shared with the client (:data:`SHARED_WITH_CLIENT`).
Tasks, RAID items and correspondence are never client-side, so a comment on
them is never client-visible. A deleted comment (a tombstone) stays in the
queryset: those who saw it see that it was deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from apm.access.base import CLIENT, CONTACT, Capability, is_active, is_contact, projects_by, rows
from apm.access.projects import see_internal, shared_with_client

if TYPE_CHECKING:
    from apm.access.base import AnyUser

#: The approvers of a change request that the client decides (``projects.Approvers``), so the client side shows it.
CLIENT_CHANGE_APPROVERS = ("client", "both")

#: The anchors of a comment the client side may show (``projects.models.conversation.ANCHORS``, in part).
CLIENT_SIDE_ANCHORS = ("deliverable", "change_request", "document")


def client_side(anchor_name: str, anchor: Any) -> bool:
    """Whether the client side shows ``anchor`` (an object of the comment field ``anchor_name``): any
    deliverable, a change request the client decides, a document shared with the client; never a task, RAID
    item or correspondence entry. For one object already loaded (no query)."""
    if anchor_name == "deliverable":
        return anchor is not None
    if anchor_name == "change_request":
        return anchor is not None and anchor.approvers in CLIENT_CHANGE_APPROVERS
    if anchor_name == "document":
        return shared_with_client(anchor)
    return False


#: The same as :func:`client_side`, as a condition on comments.
CLIENT_SIDE_COMMENT = (
    Q(deliverable__isnull=False)
    | Q(change_request__approvers__in=CLIENT_CHANGE_APPROVERS)
    | (Q(document__visibility=CLIENT) & ~Q(document__status__in=("draft", "superseded")))
)


def _see_comment(user: AnyUser | None) -> QuerySet[Any]:
    comments = rows("projects.Comment")
    if not is_active(user):
        return comments.none()
    if is_contact(user):
        return comments.filter(Q(project__in=projects_by(user, CONTACT)) & Q(visibility=CLIENT) & CLIENT_SIDE_COMMENT)
    # see_internal and see_internal_documents are granted to the same people: one condition serves every anchor.
    return comments.filter(project__in=see_internal.queryset(user))


see_comment = Capability(
    "see_comment",
    subject="comment",
    rule=_see_comment,
    doc="See a comment and download its attachments: an internal comment, whoever sees the project's internal "
    "pages; a comment visible to the client, also the contacts of the project's client where the client side "
    "shows what it is on (a deliverable, a change request the client decides, a document shared with them). "
    "A deleted comment stays visible as deleted.",
)
