"""Reminders to the PM through the email outbox: overdue replies and documents expiring, once each.

An item is reminded once per date: a :class:`~projects.models.ReminderSent`
row (unique on kind, object and date) is written in the same transaction as
the outbox email, so a second run, or two workers at once, send nothing more
(the second insert fails the unique constraint and that item is skipped).
Moving the reply's due date or the document's expiry makes a new item.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apm.outbox.services import email_render, outbox_enqueue
from projects.documents.selectors import EXPIRY_NOTICE_DAYS
from projects.models import (
    Correspondence,
    CorrespondenceStatus,
    Document,
    DocumentStatus,
    ReminderKind,
    ReminderSent,
)

logger = logging.getLogger(__name__)


def _site(path: str) -> str:
    return f"{settings.APM_SITE_URL.rstrip('/')}{path}"


class _Reminders:
    """One run's reminders: what was sent in the last year, and how many this run queued."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        recent = ReminderSent.objects.filter(due_on__gte=today - dt.timedelta(days=366))
        self.sent_before = set(recent.values_list("kind", "object_id", "due_on"))
        self.count = 0

    def send(self, kind: str, obj: Correspondence | Document, due_on: dt.date | None, path: str, what: str) -> None:
        """Email the PM of ``obj``'s project about ``obj`` due on ``due_on``, unless reminded already."""
        # Never None here (the callers filter on it), but the columns are nullable.
        if due_on is None or (kind, obj.pk, due_on) in self.sent_before:
            return
        project = obj.project
        manager = project.project_manager
        if manager is None or not manager.email:
            return
        context = {
            "entry" if isinstance(obj, Correspondence) else "document": obj,
            "link": _site(path),
            "days": abs((due_on - self.today).days),  # overdue by, or left: the emails say which
            "what": what,
            "project": project,
            "manager": manager,
            "kind": kind,
            "due_on": due_on,
        }
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    kind=kind,
                    object_id=obj.pk,
                    due_on=due_on,
                    project=project,
                    sent_to=manager.email,
                    sent_at=timezone.now(),
                )
                outbox_enqueue(
                    kind="reminder",
                    to=[manager.email],
                    **email_render("document-reminder", context),
                )
        except IntegrityError:
            return  # reminded already (by an earlier run or a worker beside us)
        self.count += 1


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind PMs of replies past their due date and documents expiring within 30 days; returns emails queued.

    Replies: entries with ``reply_due_on`` before ``today`` still open or
    awaiting a reply. Documents: ``expires_on`` from ``today`` to 30 days
    ahead, not expired or superseded. Each (item, date) once.
    """
    today = today or timezone.localdate()
    reminders = _Reminders(today)
    replies = Correspondence.objects.filter(
        reply_due_on__lt=today,
        status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY],
    ).select_related("project__project_manager")
    for entry in replies:
        path = f"/projects/{entry.project.code}/correspondence/{entry.pk}/"
        reminders.send(ReminderKind.REPLY_OVERDUE, entry, entry.reply_due_on, path, f"Reply overdue: {entry.subject}")
    documents = Document.objects.filter(
        expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    ).exclude(status__in=[DocumentStatus.EXPIRED, DocumentStatus.SUPERSEDED])
    for document in documents.select_related("project__project_manager"):
        path = f"/projects/{document.project.code}/documents/{document.pk}/"
        reminders.send(
            ReminderKind.DOCUMENT_EXPIRING, document, document.expires_on, path, f"Expiring: {document.title}"
        )
    if reminders.count:
        logger.info("Document reminders: %s queued", reminders.count)
    return reminders.count
