"""Import jobs: a file imported in the browser, in three steps that each change nothing until the last.

1. ``job_upload``: the file is checked (size; an Excel workbook by its content) and stored privately.
2. ``job_check``: the user's mapping is saved on the job (and as a preset when asked) and a worker runs the
   import as a dry run (``portfolio_import(dry_run=True)``): every row read and checked, nothing written.
3. ``job_confirm``: after a check, a worker runs the same import for real.

Workers run ``job_run`` (``projects.tasks.run_import_job``), published after the transaction commits
(``apm.queueing``): a request never waits on the broker, and ``jobs_sweep`` publishes again what a lost
message or a dead worker left behind. A run that raises is retried with backoff, then marked failed with
the reason. Progress is written to a small file next to the upload (the import's own transaction hides
database writes until it ends), which the progress page reads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone

from apm import access, queueing, tabular, uploads
from apm.errors import Refused
from apm.outbox.services import backoff_seconds
from projects.importers.mapping import Mapping, MappingError
from projects.importers.presets import preset_save
from projects.importers.services import ImportSummary, portfolio_import
from projects.models import ImportJob, ImportJobStatus, ImportPhase

if TYPE_CHECKING:
    from apm.accounts.models import User

logger = logging.getLogger(__name__)

RUN_IMPORT_JOB = "projects.tasks.run_import_job"
SWEEP_IMPORT_JOBS = "projects.tasks.sweep_import_jobs"
#: Refused rows kept on a job for the page (the summary counts them all).
MAX_ROWS_SHOWN = 1000
PREVIEW_ROWS = 8

_claim = queueing.Claim(
    model=ImportJob, queued=ImportJobStatus.QUEUED, working=ImportJobStatus.WORKING, started_field="started_at"
)
_LOST = "Its worker was lost on every try (killed, or out of memory?)"


def _policy() -> uploads.UploadPolicy:
    return uploads.UploadPolicy(
        what="file",
        accepted=(uploads.XLSX,),
        accepted_text="an Excel workbook (.xlsx)",
        max_bytes=settings.APM_IMPORT_MAX_BYTES,
    )


def job_upload(*, user: User, upload: UploadedFile) -> ImportJob:
    """Store ``upload`` as a new job of ``user``'s, waiting for its mapping. Raises Refused (nothing stored)
    when the user may not import, the file is empty or too large, or a ZIP file is not an Excel workbook.
    A text file's encoding and layout are read on the mapping page, which names any problem."""
    access.import_data.require(user, "Only administrators and department heads may import files.")
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] or "file"
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK"):
        uploads.upload_check(upload, _policy())
    elif size > settings.APM_IMPORT_MAX_BYTES:
        raise uploads.UploadRefused(
            f"The file “{name}” is {size / 1048576:.1f} MB; the limit is "
            f"{settings.APM_IMPORT_MAX_BYTES / 1048576:.0f} MB. Nothing was stored."
        )
    elif size == 0:
        raise uploads.UploadRefused(f"The file “{name}” is empty. Nothing was stored.")
    job = ImportJob(owner=user, original_name=name, size=size)
    # Stored under a short name of our own (the user's may be long or odd); the page shows theirs.
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    safe = extension if extension.isascii() and extension.isalnum() and len(extension) <= 5 else "dat"
    job.file.save(f"upload.{safe}", upload, save=False)
    job.save()
    return job


@dataclass(frozen=True)
class Preview:
    """The first rows of a job's file as read: header, rows (each ``(line, cells)``), encoding, row count;
    or ``error`` saying why the file cannot be read."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = ""
    total: int = 0
    error: str = ""


def job_preview(job: ImportJob, *, encoding: str | None = None) -> Preview:
    """What the mapping page shows of the file."""
    try:
        table = tabular.read_table(job.file.path, encoding=encoding or None)
    except tabular.TableError as exc:
        return Preview(header=[], rows=[], error=str(exc).replace(job.file.path, job.original_name))
    rows = [(row.line, row.cells) for row in table.rows[:PREVIEW_ROWS]]
    return Preview(header=table.header, rows=rows, encoding=table.encoding, total=len(table.rows))


def _queue(job: ImportJob, phase: str, now: dt.datetime) -> None:
    job.phase, job.status = phase, ImportJobStatus.QUEUED
    job.tries, job.next_attempt_at, job.queued_at, job.started_at, job.finished_at = 0, None, now, None, None
    job.last_error, job.result = "", {}
    job.save()
    _progress_path(job).unlink(missing_ok=True)
    queueing.publish_on_commit(RUN_IMPORT_JOB, job.pk)


def job_check(*, job: ImportJob, user: User, mapping: Mapping, save_preset: bool = False) -> ImportJob:
    """Save ``mapping`` on the job and queue the dry run. Raises Refused for a mapping that cannot be used
    (saying why) or a job that is running."""
    access.run_import.require(user, job, "This import is not yours.")
    if job.status in (ImportJobStatus.QUEUED, ImportJobStatus.WORKING):
        raise Refused("This file is being checked or imported; wait for it to finish.")
    if job.phase == ImportPhase.IMPORT and job.status == ImportJobStatus.FINISHED:
        raise Refused("This file has been imported; upload it again to import it again.")
    try:
        mapping = mapping.checked()
        if save_preset:
            preset_save(mapping, user=user)
    except MappingError as exc:
        raise Refused(f"The mapping cannot be used: {exc}.") from exc
    job.mapping = mapping.to_dict()
    _queue(job, ImportPhase.CHECK, timezone.now())
    return job


def job_confirm(*, job: ImportJob, user: User) -> ImportJob:
    """Queue the import itself, after a finished check."""
    access.run_import.require(user, job, "This import is not yours.")
    if not (job.phase == ImportPhase.CHECK and job.status == ImportJobStatus.FINISHED):
        raise Refused("Check the file with its mapping first; then confirm the import.")
    _queue(job, ImportPhase.IMPORT, timezone.now())
    return job


def job_mapping(job: ImportJob) -> Mapping:
    return Mapping.from_dict(job.mapping)


def _progress_path(job: ImportJob) -> Path:
    return Path(job.file.path + ".progress")


def job_progress(job: ImportJob) -> tuple[int, int]:
    """``(rows done, rows in all)`` of the job's current run, as its worker last wrote them; ``(0, 0)`` before."""
    try:
        done, total = (int(n) for n in _progress_path(job).read_text().split())
    except (OSError, ValueError):
        return 0, 0
    return done, total


def _write_progress(path: Path, done: int, total: int) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(f"{done} {total}")
    partial.replace(path)


def summary_result(summary: ImportSummary, *, display_name: str, path: str) -> dict[str, Any]:
    """What a job keeps of a run's summary (JSON), with the stored file's path replaced by the file's name."""

    def named(text: str) -> str:
        return text.replace(path, display_name)

    return {
        "rows": summary.rows,
        "imported": 0 if summary.stopped else summary.rows - len(summary.skipped),
        "encoding": summary.encodings.get(path, ""),
        "ignored_columns": summary.ignored_columns.get(path, []),
        "refused_files": [named(refused.reason) for refused in summary.refused_files],
        "skipped_count": len(summary.skipped),
        "skipped": [[row.line, named(row.reason)] for row in summary.skipped[:MAX_ROWS_SHOWN]],
        "projects_created": summary.projects_created,
        "projects_updated": summary.projects_updated,
        "projects_unchanged": summary.projects_unchanged,
        "updates_created": summary.updates_created,
        "updates_updated": summary.updates_updated,
        "updates_unchanged": summary.updates_unchanged,
        "departments_created": summary.departments_created,
        "clients_created": summary.clients_created,
    }


def job_run(*, job_id: int, now: dt.datetime | None = None) -> ImportJob | None:
    """Run job ``job_id``'s queued step (check or import) if this call can claim it; None when it cannot."""
    now = now or timezone.now()
    if not _claim(job_id, now):
        return None
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    progress_path = _progress_path(job)

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:  # a hundred writes at most
            _write_progress(progress_path, done, total)

    try:
        if not access.import_data.allows(job.owner):
            raise Refused("its owner may no longer import files")
        mapping = job_mapping(job)
        summary = portfolio_import(
            paths=[job.file.path],
            mapping=mapping,
            user=job.owner,
            progress=progress,
            dry_run=job.phase == ImportPhase.CHECK,
        )
    except (Refused, MappingError) as exc:
        job.status, job.last_error, job.finished_at = ImportJobStatus.FAILED, str(exc), timezone.now()
        job.save(update_fields=["status", "last_error", "finished_at"])
        return job
    except Exception as exc:  # retried with backoff, then failed: nothing is lost silently
        logger.exception("Import job %s failed (try %s)", job.pk, job.tries)
        job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.tries >= settings.APM_MAX_TRIES:
            job.status, job.finished_at = ImportJobStatus.FAILED, timezone.now()
        else:
            job.status = ImportJobStatus.QUEUED
            job.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(job.tries))
        job.save(update_fields=["status", "last_error", "finished_at", "next_attempt_at"])
        if job.status == ImportJobStatus.QUEUED:
            queueing.publish(RUN_IMPORT_JOB, job.pk, countdown=backoff_seconds(job.tries))
        return job
    job.result = summary_result(summary, display_name=job.original_name, path=job.file.path)
    job.status, job.finished_at, job.last_error = ImportJobStatus.FINISHED, timezone.now(), ""
    job.save(update_fields=["result", "status", "finished_at", "last_error"])
    _write_progress(progress_path, summary.rows, summary.rows)
    return job


def jobs_sweep(*, now: dt.datetime | None = None) -> int:
    """Publish again the jobs a lost broker message or a dead worker left behind; fail those that died on
    every try. Returns how many were published."""
    now = now or timezone.now()
    requeue_before = now - dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS)
    stuck_before = now - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    due = Q(status=ImportJobStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=ImportJobStatus.WORKING, started_at__lt=stuck_before)
    ImportJob.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).update(
        status=ImportJobStatus.FAILED, finished_at=now, last_error=_LOST
    )
    again = due | (stuck & Q(tries__lt=settings.APM_MAX_TRIES))
    ids = list(ImportJob.objects.filter(again).values_list("pk", flat=True)[:100])
    if ids:
        ImportJob.objects.filter(pk__in=ids, status=ImportJobStatus.QUEUED).update(queued_at=now)
    return sum(queueing.publish(RUN_IMPORT_JOB, pk) for pk in ids)


def job_json(job: ImportJob) -> str:
    """The progress page's poll answer."""
    done, total = job_progress(job)
    return json.dumps({"phase": job.phase, "status": job.status, "done": done, "total": total})
