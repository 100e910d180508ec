"""Reads of comments: the thread of one anchor as a user sees it, and the client's threads on the portal.

A thread is the comments of one anchor that ``apm.access.see_comment`` lets
the user see (a client contact: only those visible to the client), oldest
first, tombstones included. Its queries do not grow with its length: the
comments with their authors (1), their mentions (1), attachments (1) and the
earlier versions of the edited ones (1), and four questions of the policy
(may comment, may see the anchor, may make it visible to the client, may
delete others' comments): :data:`THREAD_QUERIES`, 4 with no comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q

from apm import access
from projects.common import client_view
from projects.conversation.mentions import body_html
from projects.conversation.services import (
    ANCHOR_WORDS,
    Anchor,
    anchor_name,
    may_comment,
    may_comment_to_client,
)
from projects.models import Comment, CommentAttachment, CommentVisibility

if TYPE_CHECKING:
    import datetime as dt

    from django.utils.safestring import SafeString

    from apm.accounts.models import User
    from projects.models import Project

#: The queries of :func:`comment_thread` with at least one comment (with none: 4).
THREAD_QUERIES = 8


@dataclass
class Version:
    """An earlier text of an edited comment: when it was written and what it said (as HTML)."""

    at: dt.datetime
    html: SafeString


@dataclass
class ThreadComment:
    """A comment as a thread shows it to one reader."""

    comment: Comment
    html: SafeString
    attachments: list[CommentAttachment]
    versions: list[Version] = field(default_factory=list)
    may_edit: bool = False
    may_delete: bool = False


@dataclass
class Thread:
    """The comments of one anchor for one reader, and what the reader may do there."""

    anchor: str
    anchor_pk: int
    what: str
    comments: list[ThreadComment]
    may_comment: bool
    may_client: bool
    #: The usernames a mention may name here with a chance of being read (the mention picker's list).
    people: list[tuple[str, str]]


def _comments(user: User | None, **anchor: Any) -> list[Comment]:
    return list(
        access.see_comment.queryset(user)
        .filter(**anchor)
        .select_related("author", "deleted_by")
        .prefetch_related(
            "mentions",
            Prefetch("attachments", queryset=CommentAttachment.objects.order_by("pk")),
        )
        .order_by("created_at", "pk")
    )


def _versions(comments: list[Comment]) -> dict[int, list[Version]]:
    """The earlier texts of the edited, undeleted ``comments`` (one query): comment id -> oldest first."""
    found: dict[int, list[Version]] = defaultdict(list)
    if not comments:
        return found
    # All the thread's comments, edited or not: one query whichever were edited (the count is pinned).
    records = Comment.history.filter(id__in=[comment.pk for comment in comments]).order_by("history_date", "history_id")
    current = {comment.pk: comment.body for comment in comments if comment.edited_at and not comment.is_deleted}
    for record in records.only("id", "body", "history_date"):
        if record.id not in current:
            continue
        texts = found[record.id]
        if record.body != current[record.id] and (not texts or texts[-1].html != body_html(record.body)):
            texts.append(Version(at=record.history_date, html=body_html(record.body)))
    return found


def comment_thread(*, anchor: Anchor, user: User) -> Thread:
    """The thread of ``anchor`` as ``user`` sees it (:data:`THREAD_QUERIES` queries, 4 with no comment)."""
    name = anchor_name(anchor)
    comments = _comments(user, **{name: anchor})
    versions = _versions(comments)
    may_manage = access.edit_project.allows(user, anchor.project)
    shown = []
    for comment in comments:
        mine = comment.author_id == user.pk
        mentioned = [person.username for person in comment.mentions.all()]
        shown.append(
            ThreadComment(
                comment=comment,
                html=body_html(comment.body, mentioned=mentioned),
                attachments=list(comment.attachments.all()),
                versions=versions.get(comment.pk, []),
                may_edit=mine and not comment.is_deleted,
                may_delete=(mine or may_manage) and not comment.is_deleted,
            )
        )
    may_write = may_comment(user, anchor)
    return Thread(
        anchor=name,
        anchor_pk=anchor.pk,
        what=ANCHOR_WORDS[name],
        comments=shown,
        may_comment=may_write,
        may_client=may_write and may_comment_to_client(user, anchor),
        people=sorted({(c.author.username, str(c.author)) for c in comments if c.author is not None}),
    )


# --- The client's threads on the portal ------------------------------------------------------------


def portal_threads(
    *, project: Project, user: User, deliverables: Iterable[int], change_requests: Iterable[int]
) -> dict[str, dict[int, list[client_view.ClientComment]]]:
    """The client-visible comments on the portal's deliverables and change requests of ``project`` that ``user``
    sees: ``{"deliverable": {id: [...]}, "change_request": {id: [...]}}``, oldest first. Two queries (the
    comments with their authors, their attachments); none when there is nothing on the page."""
    found: dict[str, dict[int, list[client_view.ClientComment]]] = {"deliverable": {}, "change_request": {}}
    deliverable_ids, change_ids = list(deliverables), list(change_requests)
    if not deliverable_ids and not change_ids:
        return found
    comments = (
        access.see_comment.queryset(user)
        .filter(project=project, visibility=CommentVisibility.CLIENT)
        .filter(Q(deliverable__in=deliverable_ids) | Q(change_request__in=change_ids))
        .select_related("author", "deleted_by")
        .prefetch_related(Prefetch("attachments", queryset=CommentAttachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    for comment in comments:
        if comment.deliverable_id is not None:
            found["deliverable"].setdefault(comment.deliverable_id, []).append(client_view.client_comment(comment))
        elif comment.change_request_id is not None:
            found["change_request"].setdefault(comment.change_request_id, []).append(
                client_view.client_comment(comment)
            )
    return found
