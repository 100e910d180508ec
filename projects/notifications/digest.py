"""The daily digest: one email a day listing a person's notifications of the kinds they chose to get that way.

:func:`digests_send` runs hourly (Celery beat, ``projects.tasks``). From
:data:`DIGEST_FROM_HOUR` o'clock (``settings.TIME_ZONE``) it takes, for each
person, their unread, undigested notifications from before today whose kind
they set to "Daily digest" (``NotificationPreference``; no kind defaults to
it), claims the day with a :class:`~projects.models.DigestRun` row (unique
per person and day: a second beat, or a second worker at the same moment,
finds it taken and sends nothing), marks them digested and queues one email
through the outbox, grouped by project.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apm.outbox.services import email_render, outbox_enqueue
from projects.models import DigestRun, Notification, NotificationChannel, NotificationPreference

if TYPE_CHECKING:
    from apm.accounts.models import User
    from projects.models import Project

logger = logging.getLogger(__name__)

#: The digest goes from this local hour on: in the morning, not at midnight.
DIGEST_FROM_HOUR = 7
#: Notifications older than this many days are not digested (a person who just chose the digest is not sent
#: their whole history).
DIGEST_DAYS = 7


def digest_candidates(*, today: dt.date) -> list[Notification]:
    """Unread, undigested, not emailed notifications created in the :data:`DIGEST_DAYS` before ``today`` (local
    midnight) whose recipient chose the daily digest for their kind; by recipient, project, then time (one query)."""
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    chose_digest = NotificationPreference.objects.filter(
        user=OuterRef("recipient"), kind=OuterRef("kind"), channel=NotificationChannel.DIGEST
    )
    return list(
        Notification.objects.filter(
            Exists(chose_digest),
            read_at__isnull=True,
            digested_at__isnull=True,
            emailed_at__isnull=True,
            created_at__lt=start,
            created_at__gte=start - dt.timedelta(days=DIGEST_DAYS),
            recipient__is_active=True,
        )
        .select_related("recipient", "project")
        .order_by("recipient_id", "project__code", "created_at", "pk")
    )


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Send each person's digest for today, once; returns how many digests this run sent (0 before the hour).

    A person with nothing waiting gets no email and no DigestRun. A day
    another run claimed is skipped. A person without an email address has the
    day claimed and the notifications marked (they stay in the centre).
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DIGEST_FROM_HOUR:
        return 0
    today = local.date()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in digest_candidates(today=today):
        by_user[notification.recipient_id].append(notification)
    sent = 0
    for notifications in by_user.values():
        if _digest_send(user=notifications[0].recipient, day=today, notifications=notifications, now=now):
            sent += 1
    return sent


def _digest_send(*, user: User, day: dt.date, notifications: list[Notification], now: dt.datetime) -> bool:
    """Claim ``user``'s ``day`` and send its digest; False when another run had claimed it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestRun.objects.create(user=user, day=day, notification_count=len(notifications))
        except IntegrityError:
            logger.info("Digest of user %s for %s: already sent", user.pk, day)
            return False
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(digested_at=now)
        address = (user.email or "").strip()
        if not address:
            logger.info("Digest of user %s for %s: no email address", user.pk, day)
            return True
        groups: dict[Project | None, list[Notification]] = defaultdict(list)
        for notification in notifications:
            groups[notification.project].append(notification)
        site = settings.APM_SITE_URL.rstrip("/")
        context = {
            "recipient": user,
            "day": day,
            "count": len(notifications),
            "groups": [
                {"project": project, "items": [(n, f"{site}{n.url}" if n.url else "") for n in items]}
                for project, items in groups.items()
            ],
            "centre": f"{site}/notifications/",
            "settings_link": f"{site}/notifications/settings/",
        }
        outbox_enqueue(kind="notification-digest", to=[address], **email_render("digest", context))
    return True
