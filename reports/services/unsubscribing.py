"""One-click unsubscribe from a scheduled report (RFC 8058): the link in each email, and pausing and resuming one
recipient of one schedule.

Every email of a scheduled report carries ``List-Unsubscribe`` with a link on
``settings.APM_SITE_URL`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click``, so that a mail program can unsubscribe with one
POST. The link holds a token signed (``django.core.signing``, its own salt) for
that recipient and that schedule: it cannot be turned into another's. The POST
pauses that address on that schedule only (a :class:`~reports.models.PausedRecipient`)
and tells the schedule's owner by email; those who may edit the schedule put
the address back from the schedules page.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from apm import access
from apm.accounts.models import AuditKind, User
from apm.accounts.services import audit_record
from apm.errors import Refused
from apm.logs import log_ids
from apm.outbox.services import email_render, outbox_enqueue
from reports.models import PausedRecipient, ReportSchedule

# One logger for the services of reports, whichever module logs: the name logs are filtered by.
logger = logging.getLogger("reports.services")

#: The signing salt of unsubscribe tokens: a token signed for anything else is never one of these.
UNSUBSCRIBE_SALT = "reports.unsubscribe"
INVALID_LINK = (
    "This unsubscribe link is not valid: it was changed or cut short. "
    "Use the link of the latest report email, or ask the person who sends the report."
)


def unsubscribe_token(*, schedule_id: int, address: str) -> str:
    """The signed token of ``address`` (compared lower-cased) on schedule ``schedule_id``; URL-safe, no expiry."""
    return signing.dumps({"s": schedule_id, "a": address.strip().lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_headers(*, schedule_id: int, address: str) -> dict[str, str]:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` header fields of a report email to ``address``."""
    token = unsubscribe_token(schedule_id=schedule_id, address=address)
    url = settings.APM_SITE_URL.rstrip("/") + reverse("reports:unsubscribe", args=[token])
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_read(*, token: str) -> tuple[ReportSchedule | None, str]:
    """The schedule (None when it was deleted since) and the lower-cased address ``token`` was signed for.

    Raises :class:`Refused` with :data:`INVALID_LINK` for a token that was
    changed, signed for something else, or is not a token at all.
    """
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise Refused(INVALID_LINK) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) or not isinstance(payload.get("a"), str):
        raise Refused(INVALID_LINK)
    schedule = ReportSchedule.objects.select_related("created_by").filter(pk=payload["s"]).first()
    return schedule, payload["a"]


def _tell_owner(schedule: ReportSchedule, address: str) -> None:
    owner = schedule.created_by
    if owner is None or not owner.is_active or not owner.email:
        logger.warning(
            "Schedule %s: %s unsubscribed; no owner with an address to tell",
            schedule.pk,
            address,
            extra=log_ids(schedule_id=schedule.pk),
        )
        return
    context = {
        "schedule": schedule,
        "address": address,
        "schedules_url": settings.APM_SITE_URL.rstrip("/") + reverse("reports:schedules"),
    }
    outbox_enqueue(kind="notification", to=[owner.email], **email_render("schedule-recipient-paused", context))


def schedule_recipient_pause(*, schedule: ReportSchedule, address: str, now: dt.datetime) -> bool:
    """Stop ``schedule``'s reports to ``address`` (others keep receiving them); True when this call paused it.

    Idempotent: a second call (a mail program retrying) changes nothing and
    tells nobody. The first tells the schedule's owner by email (through the
    outbox) and writes the audit log.
    """
    address = address.strip().lower()
    try:
        with transaction.atomic():
            PausedRecipient.objects.create(schedule=schedule, email_address=address, paused_at=now)
            audit_record(
                kind=AuditKind.SCHEDULE_RECIPIENT_PAUSED,
                username=address[:150],
                target=f"schedule:{schedule.pk}",
                detail={"recipient": address},
            )
            _tell_owner(schedule, address)
    except IntegrityError:
        return False
    logger.info("Schedule %s: %s unsubscribed", schedule.pk, address, extra=log_ids(schedule_id=schedule.pk))
    return True


def schedule_recipient_resume(*, schedule: ReportSchedule, address: str, user: User) -> bool:
    """Send ``schedule``'s reports to ``address`` again; True when it was paused.

    Raises :class:`Refused` unless ``user`` may edit the schedule (``access.manage_schedule``).
    """
    access.manage_schedule.require(user, schedule, "Only those who may edit this schedule may change its recipients.")
    address = address.strip().lower()
    with transaction.atomic():
        deleted, _ = PausedRecipient.objects.filter(schedule=schedule, email_address=address).delete()
        if deleted:
            audit_record(
                kind=AuditKind.SCHEDULE_RECIPIENT_RESUMED,
                user=user,
                target=f"schedule:{schedule.pk}",
                detail={"recipient": address},
            )
    return bool(deleted)
