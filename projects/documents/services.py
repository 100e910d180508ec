"""Writes of the document register, and of clauses and their change proposals.

One function per state change; each checks who may act (``apm.access``),
checks the transition against ``projects.common.workflow``, runs the
model's own validation (``apm.validation``), writes with
django-simple-history recording who and why, and changes nothing when it
refuses: ``apm.errors.Refused`` with a clear message, also when the user
may not act (``UploadRefused`` and ``TransitionError`` are kinds of it).
A file is checked by its content (``projects.documents.uploads``) before
the first write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apm import access, validation
from apm.errors import Refused
from apm.uploads import CheckedUpload
from projects.common import workflow
from projects.common.history import history_save
from projects.documents.recurring import check_clause_recurrence
from projects.documents.uploads import upload_check
from projects.models import (
    Clause,
    ClauseChangeProposal,
    ClauseKind,
    Deliverable,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    EvidenceKind,
    Project,
    ProposalStatus,
    Visibility,
)
from projects.planning.recurrence import describe

if TYPE_CHECKING:
    from apm.accounts.models import User


#: The refusal of every document, clause and correspondence write by someone who may not edit the project.
NOT_A_MANAGER = "Only the project's manager, its department heads or an administrator may do that."


def _check_dates(*, effective_on: dt.date | None, expires_on: dt.date | None) -> None:
    if effective_on and expires_on and expires_on < effective_on:
        raise Refused("The expiry date is before the effective date.")


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _store_version(
    *, document: Document, number: int, upload: UploadedFile, checked: CheckedUpload, user: User, note: str
) -> DocumentVersion:
    version = DocumentVersion(
        document=document,
        number=number,
        is_current=True,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=_sha256(upload),
        note=note[:300],
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    # The file is stored just below, and only once the row is known to be valid: a refusal leaves no file.
    validation.clean(version, exclude=["file"])
    version.file.save(f"{document.project.code}-doc{document.pk}-v{number}.{checked.extension}", upload, save=False)
    version.save()
    return version


# --- Documents ------------------------------------------------------------------------------


def document_create(
    *,
    project: Project,
    user: User,
    kind: str,
    title: str,
    upload: UploadedFile,
    visibility: str = Visibility.INTERNAL,
    owner: User | None = None,
    signed_on: dt.date | None = None,
    effective_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    note: str = "",
) -> Document:
    """Register a document with its first version (v1, current), status draft.

    Raises ``Refused``: ``UploadRefused`` (content, size), or for someone
    who may not edit the project, reversed dates, an unknown kind or
    visibility, a value the model refuses; nothing is stored then.
    """
    access.edit_project.require(user, project, NOT_A_MANAGER)
    if kind not in DocumentKind.values:
        raise Refused(f"Unknown document kind {kind!r}.")
    if visibility not in Visibility.values:
        raise Refused(f"Unknown visibility {visibility!r}.")
    _check_dates(effective_on=effective_on, expires_on=expires_on)
    checked = upload_check(upload)
    with transaction.atomic():
        document = Document(
            project=project,
            kind=kind,
            title=title.strip()[:300],
            visibility=visibility,
            owner=owner or user,
            signed_on=signed_on,
            effective_on=effective_on,
            expires_on=expires_on,
            created_by=user,
        )
        history_save(document, user=user, reason="Registered")
        _store_version(document=document, number=1, upload=upload, checked=checked, user=user, note=note)
    return document


def document_add_version(*, document: Document, user: User, upload: UploadedFile, note: str = "") -> DocumentVersion:
    """Upload a new version of ``document``: it becomes current, the earlier ones are kept.

    Raises ``Refused`` for a superseded document or someone who may not
    edit the project, ``UploadRefused`` (a Refused) for a bad file; nothing
    is stored then.
    """
    access.edit_project.require(user, document.project, NOT_A_MANAGER)
    if document.status == DocumentStatus.SUPERSEDED:
        raise Refused("This document is superseded: register the new document instead of adding a version.")
    checked = upload_check(upload)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        number = (locked.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        locked.versions.filter(is_current=True).update(is_current=False)
        version = _store_version(document=locked, number=number, upload=upload, checked=checked, user=user, note=note)
        history_save(locked, user=user, reason=f"Version {number} uploaded", fields=["updated_at"])
    return version


def document_update(
    *,
    document: Document,
    user: User,
    title: str,
    owner: User | None,
    visibility: str,
    signed_on: dt.date | None,
    effective_on: dt.date | None,
    expires_on: dt.date | None,
) -> Document:
    """Change a document's title, owner, who may see it and its dates (not its status: see document_set_status).

    Raises ``Refused`` (who may not, an unknown visibility, reversed dates), changing nothing.
    """
    access.edit_project.require(user, document.project, NOT_A_MANAGER)
    if visibility not in Visibility.values:
        raise Refused(f"Unknown visibility {visibility!r}.")
    _check_dates(effective_on=effective_on, expires_on=expires_on)
    document.title = title.strip()[:300]
    document.owner = owner
    document.visibility = visibility
    document.signed_on = signed_on
    document.effective_on = effective_on
    document.expires_on = expires_on
    history_save(document, user=user, reason="Details edited")
    return document


def document_set_status(*, document: Document, user: User, status: str, today: dt.date | None = None) -> Document:
    """Move ``document`` to ``status`` along the workflow table; signing stamps ``signed_on`` (today) if empty.

    Raises ``Refused`` for someone who may not edit the project, a ``TransitionError`` (a Refused) for a
    move the table does not allow, with the allowed moves in the message.
    """
    access.edit_project.require(user, document.project, NOT_A_MANAGER)
    workflow.DOCUMENT.check(what=f"“{document.title}”", current=document.status, target=status)
    fields = ["status", "updated_at"]
    document.status = status
    if status == DocumentStatus.SIGNED and document.signed_on is None:
        document.signed_on = today or timezone.localdate()
        fields.append("signed_on")
    history_save(document, user=user, reason=f"Now {DocumentStatus(status).label.lower()}", fields=fields)
    return document


# --- Clauses and proposals --------------------------------------------------------------------


def _check_evidence(
    *,
    project: Project,
    kind: str,
    evidence: str,
    evidence_document_kind: str,
    evidence_deliverable: Deliverable | None,
    evidence_report_kind: str,
) -> None:
    if evidence and kind != ClauseKind.OBLIGATION:
        raise Refused("Only an obligation names evidence of being met.")
    if evidence == EvidenceKind.DOCUMENT and not evidence_document_kind:
        raise Refused("Say which kind of document shows the obligation is met.")
    if evidence == EvidenceKind.DELIVERABLE:
        if evidence_deliverable is None:
            raise Refused("Say which deliverable shows the obligation is met.")
        if evidence_deliverable.project_id != project.pk:
            raise Refused("The deliverable must be one of this project's.")
    if evidence == EvidenceKind.REPORT and not evidence_report_kind:
        raise Refused("Say which kind of report must be sent.")


def _contract_of(project: Project, contract: Document | None) -> Document | None:
    if contract is not None and contract.project_id != project.pk:
        raise Refused("The contract must be a document of this project.")
    return contract


def clause_create(
    *,
    project: Project,
    user: User,
    number: str,
    title: str,
    text: str,
    kind: str = ClauseKind.OBLIGATION,
    contract: Document | None = None,
    evidence: str = EvidenceKind.NONE,
    evidence_document_kind: str = "",
    evidence_deliverable: Deliverable | None = None,
    evidence_report_kind: str = "",
    deadline: dt.date | None = None,
    recurrence: str = "",
) -> Clause:
    """Add a clause (version 1) to the project's contract; an obligation may repeat (``recurrence``, RRULE text,
    ``projects.documents.recurring``).

    Raises ``Refused`` (who may not, no number or wording, an unknown kind, a
    duplicate number, evidence that does not fit, a number over 20 characters,
    a repeat rule outside the subset, on a clause that is not an obligation or
    without a deadline).
    """
    access.edit_project.require(user, project, NOT_A_MANAGER)
    number = number.strip()
    if not number or not text.strip():
        raise Refused("A clause needs a number and its wording.")
    if kind not in ClauseKind.values:
        raise Refused(f"Unknown clause kind {kind!r}.")
    _check_evidence(
        project=project,
        kind=kind,
        evidence=evidence,
        evidence_document_kind=evidence_document_kind,
        evidence_deliverable=evidence_deliverable,
        evidence_report_kind=evidence_report_kind,
    )
    recurrence = check_clause_recurrence(kind=kind, recurrence_text=recurrence, deadline=deadline)
    if Clause.objects.filter(project=project, number=number).exists():
        raise Refused(f"Clause {number} already exists in this project's contract.")
    clause = Clause(
        project=project,
        contract=_contract_of(project, contract),
        number=number,
        title=title.strip()[:300],
        text=text.strip(),
        kind=kind,
        evidence=evidence,
        evidence_document_kind=evidence_document_kind if evidence == EvidenceKind.DOCUMENT else "",
        evidence_deliverable=evidence_deliverable if evidence == EvidenceKind.DELIVERABLE else None,
        evidence_report_kind=evidence_report_kind if evidence == EvidenceKind.REPORT else "",
        deadline=deadline,
        recurrence=recurrence,
    )
    history_save(clause, user=user, reason="Clause added")
    return clause


def clause_set_evidence(
    *,
    clause: Clause,
    user: User,
    evidence: str,
    evidence_document_kind: str = "",
    evidence_deliverable: Deliverable | None = None,
    evidence_report_kind: str = "",
    deadline: dt.date | None = None,
    recurrence: str | None = None,
) -> Clause:
    """Name what shows an obligation is met, its deadline and, with ``recurrence`` (RRULE text, "" for none; None
    keeps it), how it repeats (the wording changes only by proposal).

    Raises ``Refused`` (who may not, evidence that does not fit the clause, a
    repeat rule outside the subset or without a deadline), changing nothing.
    """
    access.edit_project.require(user, clause.project, NOT_A_MANAGER)
    _check_evidence(
        project=clause.project,
        kind=clause.kind,
        evidence=evidence,
        evidence_document_kind=evidence_document_kind,
        evidence_deliverable=evidence_deliverable,
        evidence_report_kind=evidence_report_kind,
    )
    rule = check_clause_recurrence(
        kind=clause.kind, recurrence_text=clause.recurrence if recurrence is None else recurrence, deadline=deadline
    )
    reason = "Evidence and deadline set"
    if rule != clause.recurrence:
        reason += f"; repeats: {describe(rule).lower() or 'no more'}"
    clause.recurrence = rule
    clause.evidence = evidence
    clause.evidence_document_kind = evidence_document_kind if evidence == EvidenceKind.DOCUMENT else ""
    clause.evidence_deliverable = evidence_deliverable if evidence == EvidenceKind.DELIVERABLE else None
    clause.evidence_report_kind = evidence_report_kind if evidence == EvidenceKind.REPORT else ""
    clause.deadline = deadline
    history_save(clause, user=user, reason=reason)
    return clause


def clause_proposal_create(*, clause: Clause, user: User, text: str, reason: str) -> ClauseChangeProposal:
    """The PM proposes a new wording for ``clause`` with a reason; one pending proposal per clause.

    Raises ``Refused`` (who may not, empty or unchanged wording, one already pending).
    """
    access.edit_project.require(user, clause.project, NOT_A_MANAGER)
    text, reason = text.strip(), reason.strip()
    if not text or not reason:
        raise Refused("A proposal needs the new wording and the reason for it.")
    with transaction.atomic():
        locked = Clause.objects.select_for_update().get(pk=clause.pk)
        if text == locked.text.strip():
            raise Refused("The proposed wording is the same as the current one.")
        if locked.proposals.filter(status=ProposalStatus.PENDING).exists():
            raise Refused(f"Clause {locked.number} already has a proposal waiting for a decision.")
        proposal = ClauseChangeProposal(
            clause=locked,
            proposed_text=text,
            reason=reason,
            base_version=locked.version,
            old_text=locked.text,
            proposed_by=user,
            proposed_at=timezone.now(),
        )
        history_save(proposal, user=user, reason="Proposed")
    return proposal


def clause_proposal_decide(
    *, proposal: ClauseChangeProposal, user: User, approve: bool, comment: str
) -> ClauseChangeProposal:
    """Management approves or rejects a pending proposal with a comment.

    Approval writes the new wording as a new clause version (``version`` + 1);
    the old wording stays in the clause's history and in ``old_text``.
    Rejection changes nothing on the clause. Raises ``Refused`` for anyone
    but an administrator or a head of the project, for the person who
    proposed it, when the comment is missing on a rejection or the clause
    changed since the proposal was made, and (a ``TransitionError``) when it
    is no longer pending.
    """
    clause = proposal.clause
    if not access.decide_as_head.allows(user, clause.project):
        raise Refused("Only a department head of the project or an administrator decides clause proposals.")
    if proposal.proposed_by_id == user.pk:
        raise Refused("Someone other than the proposer must decide this proposal.")
    comment = comment.strip()
    if not approve and not comment:
        raise Refused("Say why the proposal is rejected.")
    target = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    with transaction.atomic():
        locked = ClauseChangeProposal.objects.select_for_update().select_related("clause").get(pk=proposal.pk)
        workflow.PROPOSAL.check(what=f"The proposal for clause {clause.number}", current=locked.status, target=target)
        now = timezone.now()
        if approve:
            current = Clause.objects.select_for_update().get(pk=clause.pk)
            if current.version != locked.base_version:
                raise Refused(
                    f"Clause {current.number} changed since this proposal was made (now version {current.version}); "
                    "reject it and propose again against the current wording."
                )
            current.text = locked.proposed_text
            current.version += 1
            history_save(current, user=user, reason=f"Version {current.version}: proposal approved")
            locked.new_version = current.version
        locked.status = target
        locked.decided_by = user
        locked.decided_at = now
        locked.decision_comment = comment
        history_save(locked, user=user, reason=ProposalStatus(target).label)
    proposal.refresh_from_db()
    clause.refresh_from_db()
    return proposal


def clause_proposal_withdraw(*, proposal: ClauseChangeProposal, user: User) -> ClauseChangeProposal:
    """The proposer (or a manager of the project) withdraws a pending proposal.

    Raises ``Refused`` (a ``TransitionError`` when it is no longer pending).
    """
    access.edit_project.require(user, proposal.clause.project, NOT_A_MANAGER)
    workflow.PROPOSAL.check(
        what=f"The proposal for clause {proposal.clause.number}",
        current=proposal.status,
        target=ProposalStatus.WITHDRAWN,
    )
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    history_save(proposal, user=user, reason="Withdrawn")
    return proposal
