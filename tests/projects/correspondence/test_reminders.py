"""Reminders to the PM through the outbox: overdue replies and expiring documents, once per item and date."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.correspondence import services
from projects.correspondence.reminders import reminders_send
from projects.documents import services as document_services
from projects.models import Correspondence, ReminderSent
from projects.tasks import send_document_reminders
from tests.projects.document_files import pdf
from tests.projects.steps import log_letter

pytestmark = pytest.mark.django_db


def reminder_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="reminder").order_by("pk"))


def test_it_reminds_an_overdue_reply_and_an_expiring_document_once_each(world, pm):
    project = world["alpha_project"]
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        entry = log_letter(project, pm, reply_due_on=dt.date(2025, 3, 10))
        permit = document_services.document_create(
            project=project,
            user=pm,
            kind="permit",
            title="Hoarding licence",
            upload=pdf(),
            expires_on=dt.date(2025, 4, 20),
        )
        assert reminders_send() == 0  # nothing due yet: the reply is not late, the permit is 50 days away
    with time_machine.travel(dt.datetime(2025, 3, 11, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1  # the reply is a day late
        assert reminders_send() == 0
    with time_machine.travel(dt.datetime(2025, 3, 21, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1  # the permit expires in 30 days
        assert reminders_send() == 0
    with time_machine.travel(dt.datetime(2025, 3, 22, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 0  # the next day: both reminded already
    emails = reminder_emails()
    assert [e.to for e in emails] == [[pm.email], [pm.email]]
    assert "Reply overdue: Hoarding licence: further information" in emails[0].subject
    assert "2025/0412/HL" in emails[0].body_text
    assert f"/projects/ALPHA-1/correspondence/{entry.pk}/" in emails[0].body_text
    assert "Expiring: Hoarding licence" in emails[1].subject
    assert "in 30 days" in emails[1].body_text
    assert sorted(ReminderSent.objects.values_list("kind", "object_id")) == [
        ("document_expiring", permit.pk),
        ("reply_overdue", entry.pk),
    ]


def test_it_reminds_again_only_when_the_date_moves_and_never_after_a_reply(world, pm):
    project = world["alpha_project"]
    entry = log_letter(project, pm, reply_due_on=dt.date(2025, 3, 10))
    with time_machine.travel(dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC), tick=False):
        assert reminders_send() == 1
        Correspondence.objects.filter(pk=entry.pk).update(reply_due_on=dt.date(2025, 3, 11))
        assert reminders_send() == 1  # a new due date is a new item
        services.correspondence_set_status(entry=entry, user=pm, status="replied")
        Correspondence.objects.filter(pk=entry.pk).update(reply_due_on=dt.date(2025, 3, 9))
        assert reminders_send() == 0  # replied: nothing to remind
    assert len(reminder_emails()) == 2


def test_it_sends_the_reminder_email_through_the_outbox(world, pm):
    log_letter(world["alpha_project"], pm, reply_due_on=dt.date(2025, 3, 10))
    with time_machine.travel(dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC), tick=False):
        reminders_send()
        for email in reminder_emails():
            outbox_send(email_id=email.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [pm.email]
    assert mail.outbox[0].subject.startswith("[APM] ALPHA-1: Reply overdue")


def test_the_reminder_task_is_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-document-reminders"]
    assert entry["task"] == send_document_reminders.name
