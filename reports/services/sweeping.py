"""The sweeper: a lost broker message or a dead worker must not lose a report."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apm import queueing
from apm.logs import log_ids
from reports.chunk_cache import cache_prune
from reports.models import ChunkStatus, Report, ReportChunk, ReportStatus
from reports.services.chunking import fail_report_for_chunk
from reports.task_names import ASSEMBLE_REPORT, RENDER_REPORT, RENDER_REPORT_CHUNK

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")


def reports_sweep(*, now: dt.datetime | None = None) -> int:
    """Publish the render task again for reports a lost message or a dead worker left behind; likewise the
    parts and assemblies of large reports (``reports.services.chunking``); then prune the chunk cache.

    Picks queued reports that are due and were handed to the broker more
    than ``settings.APM_REQUEUE_AFTER_SECONDS`` ago, and reports in rendering
    for longer than ``settings.APM_STUCK_AFTER_SECONDS``. Returns how many
    were published. (The outbox has its own sweeper, ``outbox_sweep``.)

    One stuck after ``settings.APM_MAX_TRIES`` tries (its worker died each
    time: killed, out of memory) is marked failed instead, with the reason.
    """
    now = now or timezone.now()
    requeue_before = now - dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS)
    stuck_before = now - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    due = Q(status=ReportStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=ReportStatus.RENDERING, render_started_at__lt=stuck_before)
    for pk, tries in Report.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list("pk", "tries"):
        error = f"Its worker was lost during the last of {tries} tries (killed, or out of memory?)"
        if Report.objects.filter(stuck, pk=pk, tries=tries).update(
            status=ReportStatus.FAILED, next_attempt_at=None, last_error=error
        ):
            logger.error("Report %s failed: its worker was lost %s times", pk, tries, extra=log_ids(report_id=pk))
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    ids = list(Report.objects.filter(due | stuck).order_by("pk").values_list("pk", flat=True)[:500])
    if ids:
        Report.objects.filter(pk__in=ids, status=ReportStatus.QUEUED).update(queued_at=now)
    for pk in ids:
        logger.info("Sweeper publishes report %s again", pk, extra=log_ids(report_id=pk))
    published = sum(queueing.publish(RENDER_REPORT, pk) for pk in ids)
    published += _sweep_chunks(now, requeue_before, stuck_before)
    published += _sweep_assemblies(now, requeue_before, stuck_before)
    in_flight = ReportChunk.objects.filter(report__status__in=[ReportStatus.CHUNKING, ReportStatus.ASSEMBLING])
    cache_prune(keep=in_flight.values_list("key", flat=True))
    return published


def _sweep_chunks(now: dt.datetime, requeue_before: dt.datetime, stuck_before: dt.datetime) -> int:
    """Publish again the parts of reports still chunking that a lost message or a dead worker left behind;
    fail a part (and its report) stuck after its last try."""
    live = ReportChunk.objects.filter(report__status=ReportStatus.CHUNKING)
    due = Q(status=ChunkStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=ChunkStatus.RENDERING, started_at__lt=stuck_before)
    for pk, report_id, index, tries in live.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list(
        "pk", "report_id", "index", "tries"
    ):
        with transaction.atomic():
            if ReportChunk.objects.filter(stuck, pk=pk, tries=tries).update(
                status=ChunkStatus.FAILED, next_attempt_at=None, last_error="Its worker was lost on every try"
            ):
                fail_report_for_chunk(report_id, index, f"after {tries} tries: its worker was lost each time")
    # A part failed for good whose report is still chunking (its worker died between the two writes, before
    # they were one transaction): the report fails too.
    for report_id, index, error in live.filter(status=ChunkStatus.FAILED).values_list(
        "report_id", "index", "last_error"
    ):
        fail_report_for_chunk(report_id, index, f"after its last try: {error}")
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    # A few parts per report are enough: whichever worker takes one goes on with the report's next ones.
    per_report: dict[int, int] = {}
    ids = []
    for pk, report_id in live.filter(due | stuck).order_by("report_id", "index").values_list("pk", "report_id"):
        if per_report.get(report_id, 0) < settings.APM_REPORT_PARALLEL_PARTS:
            per_report[report_id] = per_report.get(report_id, 0) + 1
            ids.append(pk)
    if ids:
        ReportChunk.objects.filter(pk__in=ids, status=ChunkStatus.QUEUED).update(queued_at=now)
        logger.info("Sweeper publishes %s report parts again", len(ids))
    return sum(queueing.publish(RENDER_REPORT_CHUNK, pk) for pk in ids)


def _sweep_assemblies(now: dt.datetime, requeue_before: dt.datetime, stuck_before: dt.datetime) -> int:
    """Publish again the assembly of reports whose parts are all done, and of those whose assembling worker
    died; fail one stuck after its last try."""
    undone = ReportChunk.objects.filter(report_id=OuterRef("pk")).exclude(status=ChunkStatus.DONE)
    due = (
        Q(status=ReportStatus.CHUNKING, queued_at__lt=requeue_before)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & ~Exists(undone)
    )
    stuck = Q(status=ReportStatus.ASSEMBLING, render_started_at__lt=stuck_before)
    for pk, tries in Report.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list("pk", "tries"):
        error = f"Its worker was lost while assembling it, on each of {tries} tries (killed, or out of memory?)"
        if Report.objects.filter(stuck, pk=pk, tries=tries).update(
            status=ReportStatus.FAILED, next_attempt_at=None, last_error=error
        ):
            logger.error("Report %s failed: its assembly was lost %s times", pk, tries, extra=log_ids(report_id=pk))
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    ids = list(Report.objects.filter(due | stuck).order_by("pk").values_list("pk", flat=True)[:500])
    if ids:
        Report.objects.filter(pk__in=ids, status=ReportStatus.CHUNKING).update(queued_at=now)
    for pk in ids:
        logger.info("Sweeper publishes the assembly of report %s again", pk, extra=log_ids(report_id=pk))
    return sum(queueing.publish(ASSEMBLE_REPORT, pk) for pk in ids)
