"""Rendering a queued report and delivering it: :func:`report_render`, run by the render task.

It claims the report (queued -> rendering), builds the snapshot with its
kind's builder, renders the PDF, stores it, and in the same transaction
writes one :class:`~reports.models.Delivery` and one outbox email per
recipient (a scheduled report's with its recipient's one-click unsubscribe
link, :mod:`~reports.services.unsubscribing`). The outbox sends the emails
(and has its own sweeper).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apm.logs import log_ids
from apm.outbox.services import AttachmentSpec, backoff_seconds, email_render, outbox_enqueue
from apm.queueing import Claim
from reports.kinds.base import Snapshot
from reports.models import Delivery, Report, ReportStatus
from reports.rendering import report_render_snapshot
from reports.selectors import Recipient, previous_snapshot, report_recipients
from reports.services.requests import subject_of, wants_full_commentary
from reports.services.unsubscribing import unsubscribe_headers
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


def report_page_url(report: Report) -> str:
    """Absolute link to the report's page in APM (its facts, digest and download): ``settings.APM_SITE_URL`` +
    ``reports:detail``."""
    return settings.APM_SITE_URL.rstrip("/") + reverse("reports:detail", kwargs={"pk": report.pk})


def _pdf_filename(report: Report) -> str:
    return f"{slugify(report.title)[:80] or 'report'}-{report.pk}.pdf"


def _email_context(report: Report, snapshot: Snapshot, recipient: Recipient) -> dict[str, Any]:
    return {
        "report": report,
        "title": snapshot.get("title") or report.title,
        "summary_lines": list(snapshot.get("summary_lines") or []),
        "report_url": report_page_url(report),
        "recipient_name": recipient.name,
        "period_start": report.period_start,
        "period_end": report.period_end,
    }


def _deliver(report: Report, snapshot: Snapshot, *, pdf_name: str) -> int:
    """One Delivery and one outbox email per recipient not yet delivered to; returns how many were new.

    ``pdf_name``: the stored PDF's name in the default storage, attached to every email.
    """
    attachment = AttachmentSpec(filename=_pdf_filename(report), storage_name=pdf_name, mimetype="application/pdf")
    existing = {address.lower() for address in report.deliveries.values_list("email_address", flat=True)}
    created = 0
    for recipient in report_recipients(report=report):
        if recipient.address.lower() in existing:
            continue
        context = _email_context(report, snapshot, recipient)
        email = outbox_enqueue(
            kind="report",
            to=[recipient.address],
            **email_render("report", context),
            attachments=[attachment],
            headers=(
                unsubscribe_headers(schedule_id=report.schedule_id, address=recipient.address)
                if report.schedule_id is not None
                else None
            ),
        )
        delivery = Delivery.objects.create(
            report=report,
            email_address=recipient.address,
            recipient_name=recipient.name[:200],
            recipient_kind=recipient.kind,
            email=email,
        )
        logger.info(
            "Report %s: delivery %s to a %s queued as email %s",
            report.pk,
            delivery.pk,
            recipient.kind,
            email.pk,
            extra=log_ids(
                report_id=report.pk, schedule_id=report.schedule_id, delivery_id=delivery.pk, email_id=email.pk
            ),
        )
        created += 1
    return created


def _record_failure(report_id: int, claimed_at: dt.datetime, error: str) -> None:
    report = Report.objects.get(pk=report_id)
    if report.tries >= settings.APM_MAX_TRIES:
        Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at).update(
            status=ReportStatus.FAILED, last_error=error, next_attempt_at=None
        )
        logger.error(
            "Report %s failed after %s tries: %s",
            report_id,
            report.tries,
            error,
            extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
        )
        return
    now = timezone.now()
    Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at).update(
        status=ReportStatus.QUEUED,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(report.tries)),
        queued_at=now,
    )


def report_render(*, report_id: int) -> Report:
    """Render report ``report_id`` and queue its emails; safe to call any number of times.

    Claims the report with a conditional UPDATE (queued and due -> rendering,
    ``tries`` + 1; or rendering for longer than
    ``settings.APM_STUCK_AFTER_SECONDS``). When the claim fails (already
    rendered, being rendered, failed, or waiting for its backoff) it returns
    the report unchanged. Otherwise it builds the snapshot (with the previous
    rendered report's snapshot of the same schedule or subject), renders the
    PDF, and in one transaction stores it (``pdf``, ``page_count``, SHA-256
    of the bytes, ``snapshot``, ``rendered_at``, status rendered) and writes
    one Delivery with one outbox email per recipient (unique per address, so
    nothing is sent twice).

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
    stored_name = ""
    try:
        snapshot = _build_snapshot(report)
        rendered = report_render_snapshot(snapshot)
        pdf = bytes(rendered.pdf)
        with transaction.atomic():
            # Still ours? A render that overran APM_STUCK_AFTER_SECONDS may
            # have been taken over; the later one then delivers.
            locked = (
                Report.objects.select_for_update()
                .filter(pk=report_id, status=ReportStatus.RENDERING, render_started_at=claimed_at)
                .first()
            )
            if locked is None:
                logger.warning(
                    "Report %s was taken over by another render; dropping this one",
                    report_id,
                    extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
                )
                return Report.objects.get(pk=report_id)
            report.pdf.save(_pdf_filename(report), ContentFile(pdf), save=False)
            if not report.pdf.name:  # never: FieldFile.save names the file as the storage stored it
                raise RuntimeError("The storage gave the stored PDF no name.")
            stored_name = report.pdf.name
            report.page_count = rendered.page_count
            report.sha256 = hashlib.sha256(pdf).hexdigest()
            report.snapshot = snapshot
            report.rendered_at = timezone.now()
            report.status = ReportStatus.RENDERED
            report.last_error = ""
            report.next_attempt_at = None
            report.save(
                update_fields=[
                    "pdf",
                    "page_count",
                    "sha256",
                    "snapshot",
                    "rendered_at",
                    "status",
                    "last_error",
                    "next_attempt_at",
                ]
            )
            delivered = _deliver(report, snapshot, pdf_name=stored_name)
    except Exception as exc:  # snapshot, template, WeasyPrint, storage or database: record and retry
        logger.exception(
            "Rendering report %s failed", report_id, extra=log_ids(report_id=report_id, schedule_id=report.schedule_id)
        )
        if stored_name:
            default_storage.delete(stored_name)
        _record_failure(report_id, claimed_at, f"{type(exc).__name__}: {exc}"[:2000])
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
