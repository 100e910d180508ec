"""A large report laid out in parts by all the workers, each part exactly once, then assembled once.

No chords and no result backend (there is none, and the laptop's broker is
a folder): the database keeps the state and every step claims its row with
a conditional UPDATE, as reports and emails do.

1. The render task (``reports.services.delivery.report_render``) builds the
   snapshot; for a large sectioned report (``reports.rendering.wants_chunks``)
   :func:`report_plan_chunks` writes one :class:`~reports.models.ReportChunk`
   per part (``reports.rendering.plan_report_chunks``) with its cache key,
   stores the snapshot and sets the report "chunking". A part whose layout is
   already in the chunk cache (``reports.chunk_cache``) is done at once;
   the render task lays out the heaviest other part itself, and every other
   part's task is published after commit (queue ``settings.APM_BULK_QUEUE``,
   below emails and small reports).
2. :func:`report_chunk_render` claims a part (queued -> rendering), takes its
   layout from the cache or lays it out and stores it there, and marks it
   done. Its transaction locks the report row first, so the parts finishing
   at the same time are counted one after another: the one that finds no
   part left undone publishes the assembly after commit.
3. :func:`report_assemble` claims the report (chunking with every part done
   -> assembling), reads the parts from the cache (a part missing or corrupt
   there is laid out again: back to step 2), lays out the contents (cached
   too) and the page furniture, merges, and finishes as a single render does
   (``store_and_deliver``: the PDF stored and the emails queued once).

The sweeper (``reports.services.sweeping``) publishes again a part or an
assembly whose message was lost or whose worker died, and fails one after
``settings.APM_MAX_TRIES`` tries.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apm import queueing
from apm.logs import log_ids
from apm.outbox.services import backoff_seconds
from apm.pdf import Chunk
from apm.queueing import Claim
from reports.chunk_cache import cache_get, cache_get_many, cache_put, chunk_key, files_digest
from reports.kinds.base import Snapshot
from reports.models import ChunkStatus, RenderedChunk, Report, ReportChunk, ReportStatus
from reports.rendering import ChunkPlan, assemble_chunks, lay_out_chunk, plan_report_chunks
from reports.services.finishing import record_failure, store_and_deliver
from reports.task_names import ASSEMBLE_REPORT, RENDER_REPORT_CHUNK

logger = logging.getLogger("reports.services")

#: The order parts are taken in: the heaviest first (longest-processing-time first), then in document order.
HEAVIEST_FIRST = ("-weight", "index")

_claim_chunk = Claim(ReportChunk, queued=ChunkStatus.QUEUED, working=ChunkStatus.RENDERING, started_field="started_at")


def cached_lay_out(plan: ChunkPlan) -> tuple[Chunk, bool]:
    """``plan``'s layout from the cache, or laid out now and stored there; and whether it came from the cache."""
    found = cache_get(plan.key)
    if found is not None:
        return found, True
    chunk = lay_out_chunk(plan)
    cache_put(plan.key, chunk)
    return chunk, False


def remember(key: str, make: Callable[[], Chunk]) -> Chunk:
    """The layout stored under ``key`` in the chunk cache, or ``make()``'s, stored there."""
    found = cache_get(key)
    if found is not None:
        return found
    made = make()
    cache_put(key, made)
    return made


def report_plan_chunks(report: Report, *, snapshot: Snapshot, claimed_at: dt.datetime) -> bool:
    """Hand ``report`` (rendering since ``claimed_at``) to the workers in parts; False when it is no longer
    this render's (taken over). Parts already in the cache are done at once; when every part is, the assembly
    is published instead."""
    plans = plan_report_chunks(snapshot)
    keys = [plan.key for plan in plans]
    cached = set(RenderedChunk.objects.filter(key__in=keys).values_list("key", flat=True))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Report.objects.select_for_update()
            .filter(pk=report.pk, status=ReportStatus.RENDERING, render_started_at=claimed_at)
            .only("pk")
            .first()
        )
        if locked is None:
            return False
        ReportChunk.objects.filter(report=report).delete()
        rows = ReportChunk.objects.bulk_create(
            ReportChunk(
                report=report,
                index=index,
                key=plan.key,
                title=plan.title,
                sections=plan.sections,
                weight=sum(float(section.get("weight", 1.0)) for section in plan.sections),
                status=ChunkStatus.DONE if plan.key in cached else ChunkStatus.QUEUED,
                queued_at=now,
                done_at=now if plan.key in cached else None,
                cached=plan.key in cached,
            )
            for index, plan in enumerate(plans)
        )
        Report.objects.filter(pk=report.pk).update(
            snapshot=snapshot,
            status=ReportStatus.CHUNKING,
            tries=0,
            queued_at=now,
            next_attempt_at=None,
            last_error="",
        )
        todo = list(
            ReportChunk.objects.filter(report=report, status=ChunkStatus.QUEUED)
            .order_by(*HEAVIEST_FIRST)
            .values_list("pk", flat=True)
        )
        # This worker lays out the heaviest part itself (no hand-over to wait for); a task each for as many
        # other parts as may be laid out at once, heaviest first, and each task goes on with the next queued
        # part when it is done: the longest parts start first, so none is left alone at the end.
        for pk in todo[1 : settings.APM_REPORT_PARALLEL_PARTS]:
            queueing.publish_on_commit(RENDER_REPORT_CHUNK, pk)
        if not todo:
            queueing.publish_on_commit(ASSEMBLE_REPORT, report.pk)
    logger.info(
        "Report %s: %s parts, %s from the cache",
        report.pk,
        len(rows),
        len(rows) - len(todo),
        extra=log_ids(report_id=report.pk, schedule_id=report.schedule_id),
    )
    if todo:
        report_chunk_render(chunk_id=todo[0])
    return True


def _plan_of(row: ReportChunk) -> ChunkPlan:
    """The row's plan, its key computed afresh (a template or a library changed since it was planned: the
    layout is stored under what it now depends on)."""
    report = row.report
    return ChunkPlan(
        report.kind,
        report.audience,
        row.title,
        row.sections,
        chunk_key(report.kind, report.audience, row.title, row.sections),
    )


def report_chunk_render(*, chunk_id: int) -> ReportChunk | None:
    """Lay out part ``chunk_id`` once (from the cache when it is there), then the report's next parts; safe to
    call any number of times. Returns the part (None when it no longer exists: its report was planned again).

    Claims the part (queued and due -> rendering, ``tries`` + 1; or rendering for longer than
    ``APM_STUCK_AFTER_SECONDS``). A failure puts it back with a backoff and publishes its task for then, or
    after ``APM_MAX_TRIES`` tries fails it and its report.

    Then, taken or not, while the report still has queued parts it claims the next one and lays it out too:
    a worker that is free goes on with the report rather than wait for a message (so only
    ``APM_REPORT_PARALLEL_PARTS`` tasks are published per report). After ``APM_REPORT_PART_SECONDS`` it
    hands the next part over as a message and returns, so that the queues are looked at again (emails
    first). The part that leaves none undone publishes the assembly after commit, and this worker then
    assembles the report itself (:func:`report_assemble`; the message finds it taken). The claims keep every
    part laid out once; the sweeper publishes a queued part that no task took (``APM_REQUEUE_AFTER_SECONDS``).
    """
    row = ReportChunk.objects.filter(pk=chunk_id).first()
    if row is None:
        return None
    claimed_at = timezone.now()
    last = False
    if _claim_chunk(chunk_id, claimed_at):
        ok, last = _render_claimed(_part(chunk_id), claimed_at)
    else:
        ok = True  # its part was taken by a worker going on with the report: go on with the next one
    until = time.monotonic() + settings.APM_REPORT_PART_SECONDS
    while ok and not last:
        following = _next_queued(row.report_id)
        if following is None:
            break
        if time.monotonic() > until:
            # Back to the broker now and then, so that emails and small reports are not held up: the next
            # part goes as a message of its own (to this worker or another).
            queueing.publish(RENDER_REPORT_CHUNK, following)
            break
        now = timezone.now()
        if not _claim_chunk(following, now):
            continue
        ok, last = _render_claimed(_part(following), now)
    if last:
        # The assembly's message is on its way (the durable hand-over); this worker is free, so it takes the
        # assembly at once (its claim makes the message a no-op).
        report_assemble(report_id=row.report_id)
    return ReportChunk.objects.filter(pk=chunk_id).first()


def _part(chunk_id: int) -> ReportChunk:
    """Part ``chunk_id`` with its report, but not the report's snapshot (megabytes of JSON at thousands of
    projects, which a part never reads: its sections are its own)."""
    return ReportChunk.objects.select_related("report").defer("report__snapshot").get(pk=chunk_id)


def _next_queued(report_id: int) -> int | None:
    """The heaviest queued part of report ``report_id`` (still chunking) that is due, or None."""
    now = timezone.now()
    return (
        ReportChunk.objects.filter(report_id=report_id, status=ChunkStatus.QUEUED, report__status=ReportStatus.CHUNKING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by(*HEAVIEST_FIRST)
        .values_list("pk", flat=True)
        .first()
    )


def _render_claimed(row: ReportChunk, claimed_at: dt.datetime) -> tuple[bool, bool]:
    """Lay out the part ``row`` this worker claimed at ``claimed_at`` and mark it done (the last part done
    publishes the assembly). Returns (laid out, it was the last): (False, False) when it failed (recorded:
    back with a backoff, or failed)."""
    report_id = row.report_id
    last = False
    if row.report.status != ReportStatus.CHUNKING:  # failed meanwhile (another part): nothing to lay out for it
        return False, False
    try:
        plan = _plan_of(row)
        _chunk, from_cache = cached_lay_out(plan)
        now = timezone.now()
        with transaction.atomic():
            # The report's row first: parts finishing together are counted one after another.
            report = Report.objects.select_for_update().filter(pk=report_id).only("pk", "status").first()
            done = ReportChunk.objects.filter(pk=row.pk, status=ChunkStatus.RENDERING, started_at=claimed_at).update(
                status=ChunkStatus.DONE, done_at=now, key=plan.key, cached=from_cache, last_error=""
            )
            if done and report is not None and report.status == ReportStatus.CHUNKING:
                undone = ReportChunk.objects.filter(report_id=report_id).exclude(status=ChunkStatus.DONE)
                if not undone.exists():
                    Report.objects.filter(pk=report_id).update(queued_at=now)
                    queueing.publish_on_commit(ASSEMBLE_REPORT, report_id)
                    last = True
    except Exception as exc:  # template, WeasyPrint or database: record and retry
        logger.exception(
            "Laying out part %s of report %s failed", row.index + 1, report_id, extra=log_ids(report_id=report_id)
        )
        _record_chunk_failure(row, claimed_at, f"{type(exc).__name__}: {exc}"[:2000])
        return False, False
    return True, last


def _record_chunk_failure(row: ReportChunk, claimed_at: dt.datetime, error: str) -> None:
    """A failed try of part ``row``: back to the queue with a backoff, its task published for then (the
    sweeper publishes it again if that message is lost); or, after the last try, the part and its report
    failed together."""
    ours = ReportChunk.objects.filter(pk=row.pk, status=ChunkStatus.RENDERING, started_at=claimed_at)
    tries = ReportChunk.objects.filter(pk=row.pk).values_list("tries", flat=True).first() or 0
    if tries >= settings.APM_MAX_TRIES:
        with transaction.atomic():
            if ours.update(status=ChunkStatus.FAILED, last_error=error, next_attempt_at=None):
                fail_report_for_chunk(row.report_id, row.index, f"after {tries} tries: {error}")
        return
    now = timezone.now()
    delay = backoff_seconds(tries)
    if ours.update(
        status=ChunkStatus.QUEUED,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        queued_at=now,
    ):
        queueing.publish(RENDER_REPORT_CHUNK, row.pk, countdown=delay)


def fail_report_for_chunk(report_id: int, index: int, why: str) -> None:
    """Fail report ``report_id`` (still chunking) because its part ``index`` (0-based) failed ``why``."""
    error = f"Part {index + 1} of the report could not be laid out {why}"[:2000]
    if Report.objects.filter(pk=report_id, status=ReportStatus.CHUNKING).update(
        status=ReportStatus.FAILED, last_error=error, next_attempt_at=None
    ):
        logger.error("Report %s failed: %s", report_id, error, extra=log_ids(report_id=report_id))


def _claim_assembly(report_id: int, now: dt.datetime) -> bool:
    """Take report ``report_id`` for its assembly: chunking, due, with every part done; or assembling for
    longer than ``APM_STUCK_AFTER_SECONDS`` (its worker died) with tries left. One conditional UPDATE."""
    stuck_before = now - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    undone = ReportChunk.objects.filter(report_id=OuterRef("pk")).exclude(status=ChunkStatus.DONE)
    due = (
        Q(status=ReportStatus.CHUNKING)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & ~Exists(undone)
    )
    stuck = Q(status=ReportStatus.ASSEMBLING, tries__lt=settings.APM_MAX_TRIES, render_started_at__lt=stuck_before)
    taken = Report.objects.filter(due | stuck, pk=report_id).update(
        status=ReportStatus.ASSEMBLING, tries=F("tries") + 1, render_started_at=now
    )
    return taken == 1


def report_assemble(*, report_id: int) -> Report:
    """Assemble report ``report_id`` from its parts and queue its emails, once; safe to call any number of times.

    A part the cache no longer holds (pruned, or corrupt), or one laid out by other code (stored under a key
    its sections no longer give), is queued again and the report goes back to chunking. A failure puts the
    report back to chunking with a backoff, or fails it after ``APM_MAX_TRIES`` tries.
    """
    claimed_at = timezone.now()
    if not _claim_assembly(report_id, claimed_at):
        return Report.objects.get(pk=report_id)
    report = Report.objects.select_related("schedule", "project__client", "department", "project_manager").get(
        pk=report_id
    )
    try:
        rows = list(ReportChunk.objects.filter(report=report).order_by("index"))
        # A part laid out by other code (a deploy between its layout and this assembly) is stored under a key
        # this code no longer gives it: laid out again like a lost one, never merged with parts it may not fit.
        files = files_digest()
        stored = cache_get_many([row.key for row in rows])
        found = [
            stored.get(row.key)
            if chunk_key(report.kind, report.audience, row.title, row.sections, files=files) == row.key
            else None
            for row in rows
        ]
        missing = [row.pk for row, chunk in zip(rows, found, strict=True) if chunk is None]
        if not rows:  # never: the parts are written with the report's state, in one transaction
            raise RuntimeError("The report has no parts to assemble.")
        if missing:
            _lay_out_again(report, claimed_at, missing)
            return Report.objects.get(pk=report_id)
        plans = [ChunkPlan(report.kind, report.audience, row.title, row.sections, row.key) for row in rows]
        chunks = [chunk for chunk in found if chunk is not None]
        snapshot = cast("Snapshot", report.snapshot)  # stored by report_plan_chunks with the parts
        pdf, pages, _contents = assemble_chunks(snapshot, plans, chunks, remember=remember)
        delivered = store_and_deliver(
            report,
            claimed_at=claimed_at,
            working=ReportStatus.ASSEMBLING,
            snapshot=snapshot,
            pdf=pdf,
            page_count=pages,
            snapshot_stored=True,  # by report_plan_chunks, with the parts
        )
        if delivered is None:
            return Report.objects.get(pk=report_id)
    except Exception as exc:  # merge, contents, furniture, storage or database: record and retry
        logger.exception(
            "Assembling report %s failed", report_id, extra=log_ids(report_id=report_id, schedule_id=report.schedule_id)
        )
        record_failure(
            report_id,
            claimed_at,
            f"{type(exc).__name__}: {exc}"[:2000],
            working=ReportStatus.ASSEMBLING,
            back_to=ReportStatus.CHUNKING,
        )
        return Report.objects.get(pk=report_id)
    logger.info(
        "Report %s assembled from %s parts (try %s): %s pages, %s new deliveries",
        report_id,
        len(rows),
        report.tries,
        pages,
        delivered,
        extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
    )
    return Report.objects.get(pk=report_id)


def _lay_out_again(report: Report, claimed_at: dt.datetime, chunk_ids: list[int]) -> None:
    """Parts whose layout the cache lost: queued again, the report back to chunking (this try not counted)."""
    now = timezone.now()
    with transaction.atomic():
        if not Report.objects.filter(pk=report.pk, status=ReportStatus.ASSEMBLING, render_started_at=claimed_at).update(
            status=ReportStatus.CHUNKING, tries=F("tries") - 1, queued_at=now
        ):
            return
        ReportChunk.objects.filter(pk__in=chunk_ids).update(
            status=ChunkStatus.QUEUED, tries=0, next_attempt_at=None, queued_at=now
        )
        for pk in chunk_ids:
            queueing.publish_on_commit(RENDER_REPORT_CHUNK, pk)
    logger.warning(
        "Report %s: %s parts no longer in the cache, laid out again",
        report.pk,
        len(chunk_ids),
        extra=log_ids(report_id=report.pk),
    )
