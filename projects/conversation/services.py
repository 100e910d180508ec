"""Writing comments: a new comment with its attachments and @mentions, an edit, a deletion (a tombstone).

Who may write: whoever has ``apm.access.comment`` on the project and sees the
anchor: an internal user the project's internal pages, a client contact only
an anchor the client side shows (``apm.access.client_side``), and a contact's
comment is always visible to the client. A comment is made visible to the
client only with ``comment_to_client`` and only on a client-side anchor.

Mentions notify only the people who may see the comment
(``apm.access.see_comment``); the others are named back to the writer
(:class:`Posted`), never told. Everything here raises
:class:`apm.errors.Refused` with a sentence for the user and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import User
from apm.errors import Refused
from projects.chat.services import chat_announce, site_link
from projects.common.history import history_save
from projects.conversation.mentions import mentioned_names
from projects.documents.uploads import upload_check
from projects.models import (
    ChangeRequest,
    ChatEvent,
    Comment,
    CommentAttachment,
    CommentVisibility,
    Correspondence,
    Deliverable,
    Document,
    NotificationKind,
    RaidItem,
    Task,
)
from projects.notifications.services import notifications_create

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from projects.models import Project

#: The longest comment, in characters (the model's column holds as much).
MAX_BODY = 10_000
#: The most files one comment may carry.
MAX_FILES = 5

Anchor = Deliverable | Task | ChangeRequest | RaidItem | Document | Correspondence

#: Each anchor field of a comment and its model, in :data:`projects.models.ANCHORS` order.
ANCHOR_MODELS: dict[str, type[Anchor]] = {
    "deliverable": Deliverable,
    "task": Task,
    "change_request": ChangeRequest,
    "raid_item": RaidItem,
    "document": Document,
    "correspondence": Correspondence,
}

#: How a notification and a refusal name each kind of anchor.
ANCHOR_WORDS = {
    "deliverable": "deliverable",
    "task": "task",
    "change_request": "change request",
    "raid_item": "RAID item",
    "document": "document",
    "correspondence": "correspondence entry",
}


def anchor_name(anchor: Anchor) -> str:
    """The comment field ``anchor`` goes in ("deliverable", "task", ...)."""
    for name, model in ANCHOR_MODELS.items():
        if isinstance(anchor, model):
            return name
    raise TypeError(f"Nothing can be commented on a {type(anchor).__name__}.")


def anchor_label(anchor: Anchor) -> str:
    """The anchor in words: 'task “Agree the plan”', 'change request CR-3: Extra page'."""
    return f"{ANCHOR_WORDS[anchor_name(anchor)]} “{anchor}”"


def anchor_url(anchor: Anchor, *, client: bool = False) -> str:
    """Where ``anchor`` is shown: its internal page, or with ``client`` the client's portal page of its project
    (at the item, for a deliverable or change request)."""
    name = anchor_name(anchor)
    code = anchor.project.code
    if client:
        places = {"deliverable": f"#deliverable-{anchor.pk}", "change_request": f"#change-{anchor.pk}"}
        return reverse("portal:project", args=[code]) + places.get(name, "")
    if name == "change_request":
        return reverse("projects:change", args=[code, anchor.number])  # type: ignore[union-attr]
    url_names = {
        "deliverable": "projects:deliverable",
        "task": "projects:task",
        "raid_item": "projects:raid_item",
        "document": "projects:document",
        "correspondence": "projects:correspondence_entry",
    }
    return reverse(url_names[name], args=[code, anchor.pk])


def comment_url(comment: Comment, *, client: bool = False) -> str:
    """The comment in its thread: the anchor's page at ``#comment-<pk>``."""
    anchor = comment.anchor
    if anchor is None:  # a comment always has one (a check constraint); a page without it is the project's
        return reverse("projects:detail", args=[comment.project.code])
    return anchor_url(anchor, client=client).split("#", 1)[0] + f"#comment-{comment.pk}"  # type: ignore[arg-type]


def may_see_anchor(user: User, anchor: Anchor) -> bool:
    """Whether ``user`` sees ``anchor`` where a comment on it is written: an internal user on the project's
    internal pages, a client contact where the client side shows it."""
    if access.audience_for(user) == access.CLIENT:
        return access.see_project.allows(user, anchor.project) and access.client_side(anchor_name(anchor), anchor)
    return access.see_internal.allows(user, anchor.project)


def may_comment(user: User, anchor: Anchor) -> bool:
    """Whether ``user`` may comment on ``anchor`` (``comment`` on its project, and sees the anchor)."""
    return access.comment.allows(user, anchor.project) and may_see_anchor(user, anchor)


def may_comment_to_client(user: User, anchor: Anchor) -> bool:
    """Whether ``user`` may make a comment on ``anchor`` visible to the client (a contact's always is)."""
    if not access.client_side(anchor_name(anchor), anchor):
        return False
    if access.audience_for(user) == access.CLIENT:
        return True
    return access.comment_to_client.allows(user, anchor.project)


def may_comment_on_portal(user: User, project: Project) -> bool:
    """Whether ``user`` may write on the client portal of ``project``, where every comment is visible to the
    client: a contact who comments there, or whoever makes comments visible to the client."""
    if not access.comment.allows(user, project):
        return False
    return access.audience_for(user) == access.CLIENT or access.comment_to_client.allows(user, project)


def _body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise Refused("Write something: the comment is empty.")
    if len(text) > MAX_BODY:
        raise Refused(f"A comment holds at most {MAX_BODY:,} characters; this one has {len(text):,}.")
    return text


@dataclass
class Posted:
    """What writing a comment did: the ``comment``, the people its mentions ``notified`` (this write's new
    ones), those mentioned who were ``not_notified`` because they may not see it, and ``unknown`` names."""

    comment: Comment
    notified: list[User] = field(default_factory=list)
    not_notified: list[User] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _resolve(names: list[str]) -> tuple[list[User], list[str]]:
    """The active users of ``names`` (case-insensitive usernames), and the names that are no active user."""
    if not names:
        return [], []
    wanted = Q()
    for name in names:
        wanted |= Q(username__iexact=name)
    users = list(User.objects.filter(wanted, is_active=True).order_by("username"))
    known = {user.username.lower() for user in users}
    return users, [name for name in names if name not in known]


def _may_see(users: Iterable[User], comment: Comment) -> tuple[list[User], list[User]]:
    """``users`` split into those who may see ``comment`` and those who may not (one query each)."""
    yes: list[User] = []
    no: list[User] = []
    for user in users:
        (yes if access.see_comment.allows(user, comment) else no).append(user)
    return yes, no


def _followers(comment: Comment, anchor: Anchor) -> list[User]:
    """Who hears of a new comment on ``anchor``: its owner, assignees or author, and the earlier writers of the
    thread."""
    name = anchor_name(anchor)
    people: list[User | None] = []
    if isinstance(anchor, Deliverable | RaidItem | Document):
        people.append(anchor.owner)
    if isinstance(anchor, RaidItem):
        people.append(anchor.raised_by)
    if isinstance(anchor, ChangeRequest):
        people.append(anchor.author)
    if isinstance(anchor, Document | Correspondence):
        people.append(anchor.created_by)
    if isinstance(anchor, Task):
        people += [member.user for member in anchor.assignees.select_related("user")]
    earlier = (
        Comment.objects.filter(**{name: anchor}, deleted_at__isnull=True)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
        .distinct()
    )
    people += list(User.objects.filter(pk__in=earlier, is_active=True))
    if comment.author is not None and access.audience_for(comment.author) == access.CLIENT:
        # What the client writes is the PM's to answer, whoever owns the anchor.
        people.append(anchor.project.project_manager)
    return [person for person in people if person is not None and person.is_active]


def _notify(comment: Comment, *, author: User, mentioned: list[User], anchor: Anchor) -> list[User]:
    """Notify the ``mentioned`` (who may see the comment) and the anchor's followers; the mentioned told now."""
    what = anchor_label(anchor)
    project = anchor.project
    told: list[User] = []
    groups = (
        (NotificationKind.MENTION, f"mention:comment:{comment.pk}", f"{author} mentioned you on {what}", mentioned),
        (
            NotificationKind.COMMENT,
            f"comment:{comment.pk}",
            f"{author} commented on {what}",
            [
                person
                for person in _may_see(_followers(comment, anchor), comment)[0]
                if person.pk not in {user.pk for user in mentioned}
            ],
        ),
    )
    for kind, key, text, recipients in groups:
        others = [person for person in recipients if person.pk != author.pk]
        # A contact's link is the portal; everyone else's the anchor's internal page.
        for client in (False, True):
            audience = [p for p in others if (access.audience_for(p) == access.CLIENT) is client]
            if audience:
                made = notifications_create(
                    recipients=audience,
                    kind=kind,
                    key=key,
                    text=text[:500],
                    url=comment_url(comment, client=client),
                    project=project,
                    actor=author,
                )
                if kind == NotificationKind.MENTION:
                    told += [notification.recipient for notification in made]
    return told


def _mentions(comment: Comment, *, author: User, anchor: Anchor) -> Posted:
    """Resolve the body's mentions, keep those who may see ``comment`` in ``comment.mentions`` and notify."""
    users, unknown = _resolve(mentioned_names(comment.body))
    users = [user for user in users if user.pk != author.pk]
    seeing, not_seeing = _may_see(users, comment)
    comment.mentions.add(*seeing)
    notified = _notify(comment, author=author, mentioned=seeing, anchor=anchor)
    return Posted(comment=comment, notified=notified, not_notified=not_seeing, unknown=unknown)


def _store(comment: Comment, upload: UploadedFile, *, extension: str, name: str, content_type: str) -> None:
    attachment = CommentAttachment(
        comment=comment, original_name=name, content_type=content_type, size=upload.size or 0
    )
    validation.clean(attachment, exclude=["file"])
    attachment.file.save(f"{comment.project.code}-comment{comment.pk}.{extension}", upload, save=False)
    attachment.save()


def comment_create(
    *,
    anchor: Anchor,
    author: User,
    body: str,
    visibility: str = CommentVisibility.INTERNAL,
    files: Iterable[UploadedFile] = (),
) -> Posted:
    """Write a comment by ``author`` on ``anchor`` with ``visibility`` ("internal" or "client") and ``files``.

    The body is stripped, 1 to :data:`MAX_BODY` characters; each file is
    checked by its content as a document upload is (PDF, PNG, JPEG, DOCX,
    XLSX, at most ``APM_DOCUMENT_MAX_BYTES``), at most :data:`MAX_FILES`. A
    client contact's comment is always visible to the client. Mentions and
    followers are notified (``projects.notifications``). Raises ``Refused``
    (nothing is written, no file stored) when the author may not comment
    there, may not make it visible to the client, or the body or a file is
    refused.
    """
    if not may_comment(author, anchor):
        raise Refused(f"You may not comment on this {ANCHOR_WORDS[anchor_name(anchor)]}.")
    if visibility not in CommentVisibility.values:
        raise Refused("Choose who may read the comment: internal or visible to the client.")
    if access.audience_for(author) == access.CLIENT:
        visibility = CommentVisibility.CLIENT
    if visibility == CommentVisibility.CLIENT and not may_comment_to_client(author, anchor):
        if not access.client_side(anchor_name(anchor), anchor):
            raise Refused(
                f"The client never sees this {ANCHOR_WORDS[anchor_name(anchor)]}: a comment on it stays internal."
            )
        raise Refused("Only the project manager or a head of its department makes a comment visible to the client.")
    text = _body(body)
    uploads = list(files)
    if len(uploads) > MAX_FILES:
        raise Refused(f"Attach at most {MAX_FILES} files to one comment.")
    checked = [upload_check(upload) for upload in uploads]
    with transaction.atomic():
        comment = Comment(
            project=anchor.project, author=author, body=text, visibility=visibility, **{anchor_name(anchor): anchor}
        )
        history_save(comment, user=author, reason="Comment written")
        for upload, check in zip(uploads, checked, strict=True):
            _store(comment, upload, extension=check.extension, name=check.name, content_type=check.content_type)
        posted = _mentions(comment, author=author, anchor=anchor)
        if access.audience_for(author) == access.CLIENT:
            _announce_client_comment(comment, author=author, anchor=anchor)
        return posted


#: The most of a client's comment a team channel is shown (the link opens the rest).
ANNOUNCED_CHARACTERS = 300


def _announce_client_comment(comment: Comment, *, author: User, anchor: Anchor) -> None:
    """Tell the project's team channels (``ChatEvent.CLIENT_COMMENT``) what the client wrote: their own words,
    which carry nothing internal, cut to :data:`ANNOUNCED_CHARACTERS`, and a link to the internal page."""
    excerpt = comment.body if len(comment.body) <= ANNOUNCED_CHARACTERS else comment.body[:ANNOUNCED_CHARACTERS] + "…"
    chat_announce(
        project=anchor.project,
        event=ChatEvent.CLIENT_COMMENT,
        title=f"{anchor.project.code}: {author} commented on {anchor_label(anchor)}",
        text=excerpt,
        url=site_link(comment_url(comment)),
        key=f"comment:{comment.pk}:client",
    )


def comment_edit(*, comment: Comment, user: User, body: str) -> Posted:
    """Change the body of ``comment``: its author only, while it is not deleted and they may still comment there.

    The earlier body stays in the comment's history (one entry per edit);
    ``edited_at`` is set. People newly mentioned who may see it are notified
    (those notified before are not told twice). Raises ``Refused``.
    """
    anchor = comment.anchor
    if comment.is_deleted:
        raise Refused("This comment was deleted; it cannot be edited.")
    if comment.author_id != user.pk or anchor is None or not may_comment(user, anchor):  # type: ignore[arg-type]
        raise Refused("Only the person who wrote a comment may edit it.")
    text = _body(body)
    if text == comment.body:
        return Posted(comment=comment)
    with transaction.atomic():
        comment.body = text
        comment.edited_at = timezone.now()
        history_save(comment, user=user, reason="Comment edited", fields=["body", "edited_at"])
        return _mentions(comment, author=user, anchor=anchor)  # type: ignore[arg-type]


def may_delete(user: User, comment: Comment) -> bool:
    """Whether ``user`` may delete ``comment``: its author, or whoever edits the project."""
    return comment.author_id == user.pk or access.edit_project.allows(user, comment.project)


def comment_delete(*, comment: Comment, user: User) -> Comment:
    """Delete ``comment`` as a tombstone: the body emptied, ``deleted_at`` and ``deleted_by`` set, the thread keeps
    its place ("Comment deleted by X on 8 Dec 2026"); the history keeps what it said.

    Its attachments' files are kept but no longer served (the download view
    answers 404 for a deleted comment): the history is the record of what was
    said and sent, and an administrator may need the evidence; deleting the
    files would make the history point at nothing. The author, or whoever has
    ``edit_project``, may delete. Raises ``Refused``.
    """
    if comment.is_deleted:
        raise Refused("This comment is already deleted.")
    if not (access.see_comment.allows(user, comment) and may_delete(user, comment)):
        raise Refused("Only the person who wrote a comment, or who edits the project, may delete it.")
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.deleted_by = user
    history_save(comment, user=user, reason="Comment deleted", fields=["body", "deleted_at", "deleted_by"])
    return comment
