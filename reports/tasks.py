"""Celery tasks of the reports app: thin wrappers that take ids and call the services.

Registered under the names of ``reports.task_names``, which services publish
(``apm.queueing``) and beat runs (``CELERY_BEAT_SCHEDULE`` in ``apm/settings.py``).
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.utils import timezone

from apm.health.services import DISPATCH_HEARTBEAT, heartbeat_record
from apm.outbox.services import backoff_seconds
from reports.models import ReportStatus
from reports.rendering import renderer_warm_up
from reports.services import report_assemble, report_chunk_render, report_render, reports_dispatch_due, reports_sweep
from reports.task_names import (
    ASSEMBLE_REPORT,
    DISPATCH_DUE_REPORTS,
    RENDER_REPORT,
    RENDER_REPORT_CHUNK,
    SWEEP_STUCK_REPORTS,
)

logger = logging.getLogger("reports.tasks")


@worker_process_init.connect
def warm_up_the_renderer(**_kwargs: Any) -> None:
    """A new worker process lays out a page before its first task (:func:`reports.rendering.renderer_warm_up`):
    the first report it takes pays nothing of it. A failure only costs that time later.

    Then everything alive (modules, Django, the parsed stylesheet) moves to the garbage collector's
    permanent generation (``gc.freeze``): a collection after a layout then looks at the layout's objects
    only, 6 ms instead of 85 (a large report's parts pay it each)."""
    try:
        renderer_warm_up()
    except Exception:
        logger.warning("Warming the report renderer up failed", exc_info=True)
    gc.collect()
    gc.freeze()


_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
}


@shared_task(name=DISPATCH_DUE_REPORTS, **_LIMITS)
def dispatch_due_reports() -> list[int]:
    """Create the reports of every due schedule; returns the new report ids.

    Then records the dispatcher's heartbeat, which ``/health/`` reads to tell
    that beat (and a worker) ran recently.
    """
    created = [report.pk for report in reports_dispatch_due(now=timezone.now())]
    heartbeat_record(name=DISPATCH_HEARTBEAT, now=timezone.now())
    return created


@shared_task(name=RENDER_REPORT, bind=True, max_retries=None, **_LIMITS)
def render_report(self: Task[Any, Any], report_id: int) -> str:
    """Render report ``report_id`` and queue its emails; retried with backoff while it fails."""
    report = report_render(report_id=report_id)
    if report.status == ReportStatus.QUEUED and report.next_attempt_at is not None:
        countdown = max((report.next_attempt_at - timezone.now()).total_seconds(), backoff_seconds(report.tries))
        raise self.retry(countdown=countdown)
    return report.status


@shared_task(name=RENDER_REPORT_CHUNK, **_LIMITS)
def render_report_chunk(chunk_id: int) -> str:
    """Lay out part ``chunk_id`` of a large report (the bulk queue), and the report's next parts; a failed part
    is published again for after its backoff by the service."""
    chunk = report_chunk_render(chunk_id=chunk_id)
    return "gone" if chunk is None else chunk.status


@shared_task(name=ASSEMBLE_REPORT, bind=True, max_retries=None, **_LIMITS)
def assemble_report(self: Task[Any, Any], report_id: int) -> str:
    """Assemble a large report from its parts and queue its emails; retried with backoff while it fails."""
    report = report_assemble(report_id=report_id)
    if report.status == ReportStatus.CHUNKING and report.next_attempt_at is not None:
        countdown = max((report.next_attempt_at - timezone.now()).total_seconds(), backoff_seconds(report.tries))
        raise self.retry(countdown=countdown)
    return report.status


@shared_task(name=SWEEP_STUCK_REPORTS, **_LIMITS)
def sweep_stuck_reports() -> int:
    """Publish again the reports a lost broker message or a dead worker left behind."""
    return reports_sweep(now=timezone.now())
