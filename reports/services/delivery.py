"""Rendering a queued report and delivering it: :func:`report_render`, run by the render task.

It claims the report (queued -> rendering), builds the snapshot with its
kind's builder, renders the PDF, stores it, and in the same transaction
writes one :class:`~reports.models.Delivery` and one outbox email per
recipient (:mod:`~reports.services.finishing`; a scheduled report's with its
recipient's one-click unsubscribe link, :mod:`~reports.services.unsubscribing`).
The outbox sends the emails (and has its own sweeper). A large sectioned
report is handed to the workers in parts instead
(:mod:`~reports.services.chunking`).
"""

from __future__ import annotations

import logging

from django.utils import timezone

from apm.logs import log_ids
from apm.queueing import Claim
from reports.kinds.base import Snapshot
from reports.models import Report, ReportStatus
from reports.rendering import report_render_snapshot, wants_chunks
from reports.selectors import previous_snapshot
from reports.services.chunking import report_plan_chunks
from reports.services.finishing import record_failure, store_and_deliver
from reports.services.requests import subject_of, wants_full_commentary
from reports.snapshot import report_build_snapshot

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")


# A render left behind by a dead worker is taken over (failed by the sweeper after the last try).
_claim_render = Claim(
    Report, queued=ReportStatus.QUEUED, working=ReportStatus.RENDERING, started_field="render_started_at"
)


def _build_snapshot(report: Report) -> Snapshot:
    return report_build_snapshot(
        kind=report.kind,
        audience=report.audience,
        **subject_of(report),
        period_start=report.period_start,
        period_end=report.period_end,
        title=report.title,
        previous_snapshot=previous_snapshot(report=report),
        tolerance_exception_id=report.tolerance_exception_id,
        full_commentary=wants_full_commentary(report),
    )


def report_render(*, report_id: int) -> Report:
    """Render report ``report_id`` and queue its emails; safe to call any number of times.

    Claims the report with a conditional UPDATE (queued and due -> rendering,
    ``tries`` + 1; or rendering for longer than
    ``settings.APM_STUCK_AFTER_SECONDS``). When the claim fails (already
    rendered, being rendered, failed, or waiting for its backoff) it returns
    the report unchanged. Otherwise it builds the snapshot (with the previous
    rendered report's snapshot of the same schedule or subject) and either
    renders the PDF and finishes (:func:`store_and_deliver`), or, for a large
    sectioned report (``reports.rendering.wants_chunks``), hands it to the
    workers in parts (``reports.services.chunking.report_plan_chunks``: the
    report is then "chunking", and assembled once its last part is done).

    On any exception it records ``last_error`` and puts the report back in
    the queue with ``next_attempt_at`` (exponential backoff), or marks it
    failed after ``settings.APM_MAX_TRIES`` tries. The caller (the task)
    retries when the returned report is queued.
    """
    claimed_at = timezone.now()
    if not _claim_render(report_id, claimed_at):
        return Report.objects.get(pk=report_id)
    report = Report.objects.select_related("schedule", "project__client", "department", "project_manager").get(
        pk=report_id
    )
    try:
        snapshot = _build_snapshot(report)
        if wants_chunks(snapshot):
            report_plan_chunks(report, snapshot=snapshot, claimed_at=claimed_at)
            return Report.objects.get(pk=report_id)
        rendered = report_render_snapshot(snapshot)
        delivered = store_and_deliver(
            report,
            claimed_at=claimed_at,
            working=ReportStatus.RENDERING,
            snapshot=snapshot,
            pdf=bytes(rendered.pdf),
            page_count=rendered.page_count,
        )
        if delivered is None:
            return Report.objects.get(pk=report_id)
    except Exception as exc:  # snapshot, template, WeasyPrint, storage or database: record and retry
        logger.exception(
            "Rendering report %s failed", report_id, extra=log_ids(report_id=report_id, schedule_id=report.schedule_id)
        )
        record_failure(report_id, claimed_at, f"{type(exc).__name__}: {exc}"[:2000])
        return Report.objects.get(pk=report_id)
    logger.info(
        "Report %s rendered (try %s): %s pages, %s new deliveries",
        report_id,
        report.tries,
        report.page_count,
        delivered,
        extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
    )
    return report
