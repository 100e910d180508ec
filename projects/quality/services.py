"""Writes of quality standards, quality reviews and non-conformances (one function per state change).

Each refuses with ``apm.errors.Refused`` (a ``TransitionError`` for a move
the workflow table does not allow, an ``UploadRefused`` for a bad file),
changing nothing, and runs the model's own validation before it writes
(``apm.validation``).

Evidence uploads are checked by content (``filetype``), at most
``settings.APM_EVIDENCE_MAX_BYTES``, and stored in private storage under a
generated name; they are served only by a view that checks access.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.errors import Refused
from apm.uploads import UploadPolicy, upload_check
from projects.common import workflow
from projects.common.history import history_save
from projects.models import (
    CheckResult,
    Deliverable,
    DeliverableStatus,
    NonConformance,
    NonConformanceStatus,
    Project,
    QualityCriterion,
    QualityReview,
    QualityStandard,
    ReviewCheck,
    ReviewOutcome,
)
from projects.quality.selectors import applicable_criteria

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from apm.accounts.models import User
    from projects.models import Client

#: Evidence: PDF, images and Office files, by content (not by name).
EVIDENCE_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


def evidence_check(upload: UploadedFile) -> str:
    """The content type of an evidence upload (PDF, image or Office file by its bytes, at most
    ``settings.APM_EVIDENCE_MAX_BYTES``). Raises ``apm.uploads.UploadRefused`` (a Refused)."""
    policy = UploadPolicy(
        what="evidence file",
        accepted=tuple(EVIDENCE_TYPES),
        accepted_text="a PDF, an image (PNG, JPEG, GIF, WebP) or a Word, Excel or PowerPoint file",
        max_bytes=settings.APM_EVIDENCE_MAX_BYTES,
        check_extension=False,
    )
    return upload_check(upload, policy).content_type


# --- Standards ----------------------------------------------------------------------------------


def quality_standard_create(
    *, name: str, criteria: Sequence[str], user: User, client: Client | None = None, description: str = ""
) -> QualityStandard:
    """A new standard (version 1), or the next version of one with that name and client.

    Only administrators (management) write standards. The previous version
    stays (inactive) so reviews keep their criteria. Raises ``Refused`` for
    anyone else, without a name or criteria, or for a value the model
    refuses (a name over 200 characters).
    """
    if not (user.is_authenticated and access.administer.allows(user)):
        raise Refused("Only administrators maintain quality standards.")
    texts = [c.strip() for c in criteria if c and c.strip()]
    if not name.strip() or not texts:
        raise Refused("A standard needs a name and at least one criterion.")
    with transaction.atomic():
        previous = QualityStandard.objects.filter(name=name.strip(), client=client).order_by("-version").first()
        standard = validation.create(
            QualityStandard,
            name=name.strip(),
            client=client,
            description=description,
            version=(previous.version + 1) if previous else 1,
        )
        rows = [QualityCriterion(standard=standard, order=i, text=text[:500]) for i, text in enumerate(texts, start=1)]
        for row in rows:
            validation.clean(row)
        QualityCriterion.objects.bulk_create(rows)
        if previous is not None:
            # Projects on the old version move to the new one; old reviews keep the old criteria.
            standard.projects.set(previous.projects.all())
            previous.projects.clear()
            QualityStandard.objects.filter(name=standard.name, client=client).exclude(pk=standard.pk).update(
                is_active=False
            )
    return standard


def project_standards_set(
    *, project: Project, standards: Iterable[QualityStandard], user: User
) -> list[QualityStandard]:
    """State which standards apply to ``project``: active company-wide ones and its client's.

    Raises ``Refused`` unless ``user`` manages the project, and for another
    client's standard or an inactive version.
    """
    if not access.edit_project.allows(user, project):
        raise Refused("Only the project manager or a head chooses the project's standards.")
    chosen = list(standards)
    for standard in chosen:
        if standard.client_id is not None and standard.client_id != project.client_id:
            raise Refused(f"{standard} is another client's standard.")
        if not standard.is_active:
            raise Refused(f"{standard} is an old version; choose the current one.")
    with transaction.atomic():
        for standard in QualityStandard.objects.filter(projects=project):
            standard.projects.remove(project)
        for standard in chosen:
            standard.projects.add(project)
    return chosen


# --- Reviews ------------------------------------------------------------------------------------


@dataclass
class CheckInput:
    """One criterion's result in a review: ``result`` is passed, failed or na."""

    criterion_id: int
    result: str
    note: str = ""
    evidence_link: str = ""
    evidence_file: UploadedFile | None = None


def _check_valid(item: CheckInput, criterion: QualityCriterion) -> None:
    """Refuse a check that ``ReviewCheck`` would not hold (e.g. a link that is not http or https), naming its
    criterion: checked for every criterion before anything is written, so no review is half recorded."""
    check = ReviewCheck(
        criterion=criterion, result=item.result, note=item.note.strip(), evidence_link=item.evidence_link.strip()
    )
    try:
        validation.clean(check)
    except Refused as exc:
        raise Refused(f"“{criterion.text}”: {exc.message} Nothing was recorded.") from exc


def review_record(
    *, deliverable: Deliverable, reviewer: User, checks: Sequence[CheckInput], summary: str = ""
) -> QualityReview:
    """Record a completed review of a deliverable in review against every applicable criterion.

    Every criterion of the project's standards needs a result; a failed one
    needs a note (what is wrong) and opens a :class:`NonConformance` owned
    by the deliverable's owner. Evidence files are checked first, so a bad
    upload changes nothing. Raises ``Refused`` unless ``reviewer`` works on
    the project, and when the deliverable is not in review, the project has
    no standards, a result is missing or unknown, or a check is one the
    model refuses (an evidence link that is not an http or https address),
    before anything is written; ``UploadRefused`` (a Refused) for a bad
    evidence file.
    """
    project = deliverable.project
    if not access.work_on_project.allows(reviewer, project):
        raise Refused("You may not review this project's deliverables.")
    if deliverable.status != DeliverableStatus.IN_REVIEW:
        raise Refused(f"{deliverable.name} is {deliverable.get_status_display().lower()}; move it to in review first.")
    criteria = {c.pk: c for c in applicable_criteria(project=project)}
    if not criteria:
        raise Refused(f"No quality standard applies to {project.code} yet; choose its standards first.")
    given = {c.criterion_id: c for c in checks}
    missing = [c.text for pk, c in criteria.items() if pk not in given]
    if missing:
        raise Refused(f"Give a result for every criterion; missing: {'; '.join(missing[:5])}.")
    extra = set(given) - set(criteria)
    if extra:
        raise Refused("A result was given for a criterion that does not apply to this project.")
    content_types: dict[int, str] = {}
    for item in checks:
        if item.result not in CheckResult.values:
            raise Refused(f"Unknown result {item.result!r}: passed, failed or na.")
        if item.result == CheckResult.FAILED and not item.note.strip():
            raise Refused(f"Say what is wrong for the failed criterion “{criteria[item.criterion_id].text}”.")
        _check_valid(item, criteria[item.criterion_id])
        if item.evidence_file is not None:
            content_types[item.criterion_id] = evidence_check(item.evidence_file)
    failed = any(item.result == CheckResult.FAILED for item in checks)
    now = timezone.now()
    stored: list[ReviewCheck] = []
    try:
        with transaction.atomic():
            review = QualityReview(
                deliverable=deliverable,
                reviewer=reviewer,
                completed_at=now,
                outcome=ReviewOutcome.FAILED if failed else ReviewOutcome.PASSED,
                summary=summary.strip(),
            )
            history_save(review, user=reviewer, reason="review recorded")
            for item in checks:
                check = ReviewCheck(
                    review=review,
                    criterion=criteria[item.criterion_id],
                    result=item.result,
                    note=item.note.strip(),
                    evidence_link=item.evidence_link.strip(),
                )
                if item.evidence_file is not None:
                    content_type = content_types[item.criterion_id]
                    check.evidence_content_type = content_type
                    check.evidence_name = (item.evidence_file.name or "evidence")[-200:]
                    check.evidence_file.save(f"evidence.{EVIDENCE_TYPES[content_type]}", item.evidence_file, save=False)
                    stored.append(check)
                history_save(check, user=reviewer, reason="checked")
                if item.result == CheckResult.FAILED:
                    nc = NonConformance(
                        deliverable=deliverable,
                        review_check=check,
                        title=check.criterion.text[:500],
                        description=check.note,
                        action_owner=deliverable.owner,
                        opened_at=now,
                    )
                    history_save(nc, user=reviewer, reason="opened by a failed check")
    except Exception:
        for check in stored:
            if check.evidence_file.name:
                check.evidence_file.storage.delete(check.evidence_file.name)
        raise
    return review


def _nc_move(nc: NonConformance, *, to: str, user: User, reason: str, note: str) -> NonConformance:
    """Move ``nc`` to ``to``, stamping when the action was done or who closed it when; the history says
    ``reason``, and ``: note`` when there is one."""
    note = note.strip()
    with transaction.atomic():
        locked = NonConformance.objects.select_for_update().get(pk=nc.pk)
        workflow.NON_CONFORMANCE.check(what=f"Non-conformance {locked.reference}", current=locked.status, target=to)
        locked.status = to
        if to == NonConformanceStatus.ACTION_DONE:
            locked.action_done_at = timezone.now()
        if to == NonConformanceStatus.CLOSED:
            locked.closed_at, locked.verified_by = timezone.now(), user
        history_save(locked, user=user, reason=f"{reason}: {note}" if note else reason)
    nc.refresh_from_db()
    return nc


def non_conformance_plan(
    *, non_conformance: NonConformance, user: User, corrective_action: str, owner: User | None, due: dt.date | None
) -> NonConformance:
    """Set the corrective action, its owner and due date on a non-conformance not yet closed.

    Raises ``Refused`` for someone not on the project, a closed one, or no corrective action.
    """
    if not access.work_on_project.allows(user, non_conformance.deliverable.project):
        raise Refused("You may not plan corrective actions on this project.")
    if non_conformance.status == NonConformanceStatus.CLOSED:
        raise Refused(f"{non_conformance.reference} is closed (verified); it cannot change.")
    if not corrective_action.strip():
        raise Refused("Describe the corrective action.")
    non_conformance.corrective_action = corrective_action.strip()
    non_conformance.action_owner = owner
    non_conformance.action_due = due
    history_save(non_conformance, user=user, reason="corrective action planned")
    return non_conformance


def non_conformance_action_done(*, non_conformance: NonConformance, user: User, note: str = "") -> NonConformance:
    """Open -> corrective action done (awaiting verification); needs a corrective action written.

    Raises ``Refused`` (a ``TransitionError`` when it is not open).
    """
    if not access.work_on_project.allows(user, non_conformance.deliverable.project):
        raise Refused("You may not update this non-conformance.")
    if not non_conformance.corrective_action.strip():
        raise Refused(f"{non_conformance.reference} has no corrective action yet; plan one first.")
    return _nc_move(non_conformance, to=NonConformanceStatus.ACTION_DONE, user=user, reason="action done", note=note)


def non_conformance_verify(
    *, non_conformance: NonConformance, user: User, passed: bool, note: str = ""
) -> NonConformance:
    """Verify a corrective action: passed closes it (stamped who, when); failed reopens it.

    The project manager, a head or an administrator verifies, and not the
    action's owner (nobody checks their own work). Raises ``Refused`` (a
    ``TransitionError`` when it is not awaiting verification).
    """
    if not access.edit_project.allows(user, non_conformance.deliverable.project):
        raise Refused("Only the project manager, a head or an administrator verifies corrective actions.")
    if passed and non_conformance.action_owner_id == user.pk and not access.administer.allows(user):
        raise Refused("The owner of a corrective action cannot verify it; ask someone else.")
    if passed:
        return _nc_move(non_conformance, to=NonConformanceStatus.CLOSED, user=user, reason="verified", note=note)
    if not note.strip():
        raise Refused("Say why the corrective action is not good enough.")
    return _nc_move(non_conformance, to=NonConformanceStatus.OPEN, user=user, reason="not verified", note=note)
