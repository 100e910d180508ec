"""The sweeper: a lost broker message or a dead worker must not lose a report."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apm import queueing
from apm.logs import log_ids
from reports.models import Report, ReportStatus
from reports.task_names import RENDER_REPORT

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")


def reports_sweep(*, now: dt.datetime | None = None) -> int:
    """Publish the render task again for reports a lost message or a dead worker left behind.

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
    return sum(queueing.publish(RENDER_REPORT, pk) for pk in ids)
