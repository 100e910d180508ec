"""Writes of the correspondence log: log a letter, email or call, attach files, move its status.

Each checks who may act (``apm.access``), checks the transition against
``projects.common.workflow``, runs the model's own validation
(``apm.validation``), writes with django-simple-history recording who and
why, and changes nothing when it refuses: ``apm.errors.Refused`` with a
clear message (``UploadRefused`` and ``TransitionError`` are kinds of it).
Attachments are checked by content before anything is written
(``projects.documents.uploads``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.errors import Refused
from apm.uploads import CheckedUpload
from projects.common import workflow
from projects.common.history import history_save
from projects.documents.services import NOT_A_MANAGER
from projects.documents.uploads import upload_check
from projects.models import (
    Clause,
    Correspondence,
    CorrespondenceAttachment,
    CorrespondenceStatus,
    Direction,
    Document,
    Project,
)

if TYPE_CHECKING:
    from apm.accounts.models import User


#: What a correspondence entry or letter concerns: documents or clauses (of its own project).
Concerned = TypeVar("Concerned", Document, Clause)


def correspondence_attachment_store(
    *,
    entry: Correspondence,
    user: User,
    content: File,
    storage_name: str,
    original_name: str,
    content_type: str,
    is_letter: bool = False,
) -> CorrespondenceAttachment:
    """Store ``content`` (already checked) as an attachment of ``entry`` under ``storage_name``.

    For a caller's transaction. Raises ``Refused`` for a value the model refuses, before any file is stored.
    """
    attachment = CorrespondenceAttachment(
        correspondence=entry,
        original_name=original_name,
        content_type=content_type,
        size=content.size,
        is_letter=is_letter,
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    # The file is stored just below, and only once the row is known to be valid: a refusal leaves no file.
    validation.clean(attachment, exclude=["file"])
    attachment.file.save(storage_name, content, save=False)
    attachment.save()
    return attachment


def _attach(
    *, entry: Correspondence, user: User, upload: UploadedFile, checked: CheckedUpload
) -> CorrespondenceAttachment:
    return correspondence_attachment_store(
        entry=entry,
        user=user,
        content=upload,
        storage_name=f"{entry.project.code}-corr{entry.pk}.{checked.extension}",
        original_name=checked.name,
        content_type=checked.content_type,
    )


def _own(project: Project, objects: Iterable[Concerned], what: str) -> list[Concerned]:
    owned = list(objects)
    if any(obj.project_id != project.pk for obj in owned):
        raise Refused(f"The {what} must be this project's.")
    return owned


def correspondence_log(
    *,
    project: Project,
    user: User,
    direction: str,
    channel: str,
    date: dt.date,
    counterpart_kind: str,
    counterpart_organisation: str,
    subject: str,
    counterpart_person: str = "",
    summary: str = "",
    their_reference: str = "",
    our_reference: str = "",
    reply_due_on: dt.date | None = None,
    documents: Iterable[Document] = (),
    clauses: Iterable[Clause] = (),
    uploads: Iterable[UploadedFile] = (),
    reason: str = "Logged",
) -> Correspondence:
    """Log a letter, email or call; with ``reply_due_on`` it waits for a reply (status awaiting reply).
    ``reason`` is the history entry's.

    Attachments are checked by content first. Raises ``Refused`` (who may
    not, an unknown direction, channel or counterpart, a reply due before
    the date, documents or clauses of another project, a value the model
    refuses; ``UploadRefused`` for a bad file) and stores nothing then.
    """
    access.edit_project.require(user, project, NOT_A_MANAGER)
    if direction not in Direction.values:
        raise Refused("Say whether it came in or went out.")
    if reply_due_on is not None and reply_due_on < date:
        raise Refused("The reply cannot be due before the correspondence is dated.")
    documents = _own(project, documents, "permits and filings")
    clauses = _own(project, clauses, "obligations")
    uploads = list(uploads)
    checked = [upload_check(upload) for upload in uploads]
    with transaction.atomic():
        entry = Correspondence(
            project=project,
            direction=direction,
            channel=channel,
            date=date,
            counterpart_kind=counterpart_kind,
            counterpart_organisation=counterpart_organisation.strip()[:300],
            counterpart_person=counterpart_person.strip()[:200],
            subject=subject.strip()[:300],
            summary=summary.strip(),
            their_reference=their_reference.strip()[:100],
            our_reference=our_reference.strip()[:100],
            reply_due_on=reply_due_on,
            status=CorrespondenceStatus.AWAITING_REPLY if reply_due_on else CorrespondenceStatus.OPEN,
            created_by=user,
        )
        history_save(entry, user=user, reason=reason)
        entry.documents.set(documents)
        entry.clauses.set(clauses)
        for upload, check in zip(uploads, checked, strict=True):
            _attach(entry=entry, user=user, upload=upload, checked=check)
    return entry


def correspondence_attach(*, entry: Correspondence, user: User, upload: UploadedFile) -> CorrespondenceAttachment:
    """Attach a file (checked by content) to a logged entry. Raises ``Refused`` (``UploadRefused`` for a bad file)."""
    access.edit_project.require(user, entry.project, NOT_A_MANAGER)
    checked = upload_check(upload)
    with transaction.atomic():
        return _attach(entry=entry, user=user, upload=upload, checked=checked)


def correspondence_set_status(
    *, entry: Correspondence, user: User, status: str, replied_on: dt.date | None = None
) -> Correspondence:
    """Move an entry along its workflow; "replied" stamps ``replied_on`` (today unless given).

    Raises ``Refused`` (a ``TransitionError`` for a move the table does not allow).
    """
    access.edit_project.require(user, entry.project, NOT_A_MANAGER)
    workflow.CORRESPONDENCE.check(what=f"“{entry.subject}”", current=entry.status, target=status)
    fields = ["status", "updated_at"]
    entry.status = status
    if status == CorrespondenceStatus.REPLIED:
        entry.replied_on = replied_on or timezone.localdate()
        fields.append("replied_on")
    history_save(entry, user=user, reason=f"Now {CorrespondenceStatus(status).label.lower()}", fields=fields)
    return entry
