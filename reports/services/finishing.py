"""Finishing a report: its PDF stored and one delivery with one outbox email per recipient, in one transaction.

Used by a single render (``reports.services.delivery``) and by the assembly of a report laid out in parts
(``reports.services.chunking``); a failed try goes back with a backoff (:func:`record_failure`).
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
from reports.kinds.base import Snapshot
from reports.models import Delivery, Report, ReportStatus
from reports.selectors import Recipient, report_recipients
from reports.services.unsubscribing import unsubscribe_headers

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")


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


def record_failure(
    report_id: int,
    claimed_at: dt.datetime,
    error: str,
    *,
    working: str = ReportStatus.RENDERING,
    back_to: str = ReportStatus.QUEUED,
) -> None:
    """A failed try of the step ``working`` (claimed at ``claimed_at``): back to ``back_to`` with ``last_error``
    and a backoff (``next_attempt_at``), or failed after ``settings.APM_MAX_TRIES`` tries."""
    report = Report.objects.get(pk=report_id)
    ours = Report.objects.filter(pk=report_id, status=working, render_started_at=claimed_at)
    if report.tries >= settings.APM_MAX_TRIES:
        ours.update(status=ReportStatus.FAILED, last_error=error, next_attempt_at=None)
        logger.error(
            "Report %s failed after %s tries: %s",
            report_id,
            report.tries,
            error,
            extra=log_ids(report_id=report_id, schedule_id=report.schedule_id),
        )
        return
    now = timezone.now()
    ours.update(
        status=back_to,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(report.tries)),
        queued_at=now,
    )


def store_and_deliver(
    report: Report,
    *,
    claimed_at: dt.datetime,
    working: str,
    snapshot: Snapshot,
    pdf: bytes,
    page_count: int,
    snapshot_stored: bool = False,
) -> int | None:
    """In one transaction, if the report is still this worker's (``working`` since ``claimed_at``): store the PDF
    (``pdf``, ``page_count``, SHA-256 of the bytes, ``snapshot``, ``rendered_at``, status rendered), write one
    Delivery with one outbox email per recipient (unique per address, so nothing is sent twice) and empty the
    inputs of the report's parts (kept: which were laid out, which came from the cache). Returns how many
    deliveries were new; None when another worker took the report over (a render that overran
    ``APM_STUCK_AFTER_SECONDS``: the later one delivers). A stored file whose transaction fails is deleted.
    ``snapshot_stored``: the report's row holds ``snapshot`` already (a report laid out in parts stores it with
    its parts): not written again (for thousands of projects, tens of MB of JSON encoded for nothing)."""
    stored_name = ""
    try:
        with transaction.atomic():
            locked = (
                Report.objects.select_for_update()
                .filter(pk=report.pk, status=working, render_started_at=claimed_at)
                .only("pk")  # not the snapshot: megabytes of JSON at thousands of projects, the caller has it
                .first()
            )
            if locked is None:
                logger.warning(
                    "Report %s was taken over by another worker; dropping this render",
                    report.pk,
                    extra=log_ids(report_id=report.pk, schedule_id=report.schedule_id),
                )
                return None
            report.pdf.save(_pdf_filename(report), ContentFile(pdf), save=False)
            if not report.pdf.name:  # never: FieldFile.save names the file as the storage stored it
                raise RuntimeError("The storage gave the stored PDF no name.")
            stored_name = report.pdf.name
            report.page_count = page_count
            report.sha256 = hashlib.sha256(pdf).hexdigest()
            report.rendered_at = timezone.now()
            report.status = ReportStatus.RENDERED
            report.last_error = ""
            report.next_attempt_at = None
            fields = ["pdf", "page_count", "sha256", "rendered_at", "status", "last_error", "next_attempt_at"]
            if not snapshot_stored:
                report.snapshot = snapshot
                fields.append("snapshot")
            report.save(update_fields=fields)
            report.chunks.update(sections=[])  # the parts' inputs are the snapshot's; their keys and counts stay
            return _deliver(report, snapshot, pdf_name=stored_name)
    except Exception:
        if stored_name:
            default_storage.delete(stored_name)
        raise
