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
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apm.outbox.services import outbox_enqueue
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


def _remind(*, kind: str, obj: Correspondence | Document, due_on: dt.date, context: dict[str, Any]) -> bool:
    project = obj.project
    manager = project.project_manager
    if manager is None or not manager.email:
        return False
    context = {**context, "project": project, "manager": manager, "kind": kind, "due_on": due_on}
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
                subject=render_to_string("emails/document-reminder-subject.txt", context),
                body_text=render_to_string("emails/document-reminder-body-text.txt", context),
                body_html=render_to_string("emails/document-reminder-body-html.html", context),
            )
    except IntegrityError:
        return False  # reminded already (by an earlier run or a worker beside us)
    return True


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind PMs of replies past their due date and documents expiring within 30 days; returns emails queued.

    Replies: entries with ``reply_due_on`` before ``today`` still open or
    awaiting a reply. Documents: ``expires_on`` from ``today`` to 30 days
    ahead, not expired or superseded. Each (item, date) once.
    """
    today = today or timezone.localdate()
    recent = ReminderSent.objects.filter(due_on__gte=today - dt.timedelta(days=366))
    sent_before = set(recent.values_list("kind", "object_id", "due_on"))
    count = 0
    replies = Correspondence.objects.filter(
        reply_due_on__lt=today,
        status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY],
    ).select_related("project__project_manager")
    for entry in replies:
        reply_due_on = entry.reply_due_on
        # Never None here (the filter), but the column is nullable.
        if reply_due_on is None or (ReminderKind.REPLY_OVERDUE, entry.pk, reply_due_on) in sent_before:
            continue
        link = _site(f"/projects/{entry.project.code}/correspondence/{entry.pk}/")
        days = (today - reply_due_on).days
        count += _remind(
            kind=ReminderKind.REPLY_OVERDUE,
            obj=entry,
            due_on=reply_due_on,
            context={"entry": entry, "link": link, "days": days, "what": f"Reply overdue: {entry.subject}"},
        )
    documents = Document.objects.filter(
        expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    ).exclude(status__in=[DocumentStatus.EXPIRED, DocumentStatus.SUPERSEDED])
    for document in documents.select_related("project__project_manager"):
        expires_on = document.expires_on
        # Never None here (the filter), but the column is nullable.
        if expires_on is None or (ReminderKind.DOCUMENT_EXPIRING, document.pk, expires_on) in sent_before:
            continue
        link = _site(f"/projects/{document.project.code}/documents/{document.pk}/")
        days = (expires_on - today).days
        count += _remind(
            kind=ReminderKind.DOCUMENT_EXPIRING,
            obj=document,
            due_on=expires_on,
            context={"document": document, "link": link, "days": days, "what": f"Expiring: {document.title}"},
        )
    if count:
        logger.info("Document reminders: %s queued", count)
    return count
