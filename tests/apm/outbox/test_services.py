"""The email outbox: written in the caller's transaction, sent once, retried with the same Message-ID."""

from __future__ import annotations

import datetime as dt
import smtplib
from email import message_from_bytes
from email import policy as email_policy

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend

from apm.outbox import services
from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.services import (
    AttachmentSpec,
    SendResult,
    backoff_seconds,
    outbox_enqueue,
    outbox_retry,
    outbox_send,
    outbox_sweep,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = dt.datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


class FailingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def enqueue(**overrides) -> OutboundEmail:
    fields = {"kind": "notification", "to": ["ann@example.com"], "subject": "Hello", "body_text": "Body"}
    fields.update(overrides)
    return outbox_enqueue(**fields)


def test_it_writes_a_queued_row_with_a_message_id_and_publishes_after_commit(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = enqueue(to=[" ann@example.com ", "", "bob@example.com"])
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.to == ["ann@example.com", "bob@example.com"]
    assert email.message_id.startswith("<")
    assert email.message_id.endswith("@apm.localhost>")
    assert len(callbacks) == 1
    assert published == [("apm.outbox.tasks.send_email", (email.pk,))]


def test_it_refuses_a_message_without_recipients():
    with pytest.raises(ValueError, match="at least one recipient"):
        enqueue(to=["", "  "])
    assert OutboundEmail.objects.count() == 0


def test_it_folds_a_subject_onto_one_line():
    email = enqueue(subject="Report\r\nBcc: evil@example.com")
    assert email.subject == "Report Bcc: evil@example.com"


def _raw_headers(raw: bytes) -> list[bytes]:
    """The header lines of a raw message, folded lines as they are on the wire."""
    return raw.split(b"\n\n", 1)[0].split(b"\n")


@pytest.mark.parametrize(
    "subject",
    [
        "Weekly highlight report for Q\"'> & Co, the client with the longest name of all, 6 December 2026",
        "Rapport hebdomadaire — Q\"'> & Co, société au nom vraiment très long, décembre 2026 et au-delà",
        "https://apm.example.com/" + "x" * 90 + " follows",
    ],
)
def test_it_folds_a_long_subject_with_text_on_the_subject_line_itself(subject):
    assert len(subject) > 78
    assert outbox_send(email_id=enqueue(subject=subject).pk) is SendResult.SENT
    raw = mail.outbox[0].message().as_bytes()
    lines = _raw_headers(raw)
    first = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    assert lines[first].removeprefix(b"Subject:").strip() != b""  # never "Subject:" and a fold at once
    assert lines[first + 1].startswith(b" ")  # folded onto a continuation line
    assert all(len(line) <= 78 for line in lines if not line.startswith(b"Message-ID"))
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed["Subject"] == subject


def test_it_marks_every_email_auto_generated_and_adds_the_headers_it_was_given():
    email = enqueue(headers={"List-Unsubscribe": "<https://apm.example.com/u/1/>"})
    plain = enqueue()
    for row in (email, plain):
        assert outbox_send(email_id=row.pk) is SendResult.SENT
    first, second = (message_from_bytes(m.message().as_bytes()) for m in mail.outbox)
    assert first["Auto-Submitted"] == second["Auto-Submitted"] == "auto-generated"
    assert first["List-Unsubscribe"] == "<https://apm.example.com/u/1/>"
    assert second["List-Unsubscribe"] is None
    assert first["Message-ID"] == email.message_id  # the given headers never replace the outbox's own


def test_it_renders_subjects_and_text_as_plain_text_and_escapes_only_the_html():
    project = {"code": "Q-1", "name": "Q\"'> & Co"}
    parts = services.email_render("issue-client", {"project": project, "message": "<b>late</b>"})
    assert parts["subject"].strip() == "Q\"'> & Co: an issue that affects you"
    assert "<b>late</b>" in parts["body_text"]
    assert "&lt;b&gt;late&lt;/b&gt;" in parts["body_html"]
    assert "Q&quot;&#x27;&gt; &amp; Co" in parts["body_html"]


def test_it_sends_once_even_when_the_task_runs_twice():
    email = enqueue()
    assert outbox_send(email_id=email.pk) is SendResult.SENT
    assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.extra_headers["Message-ID"] == email.message_id
    assert sent.message()["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.tries == 1
    assert email.sent_at is not None


def test_it_attaches_files_from_default_storage():
    name = default_storage.save("reports/test.pdf", ContentFile(b"%PDF-1.7 test"))
    email = enqueue(attachments=[AttachmentSpec(filename="r.pdf", storage_name=name, mimetype="application/pdf")])
    assert outbox_send(email_id=email.pk) is SendResult.SENT
    assert mail.outbox[0].attachments == [("r.pdf", b"%PDF-1.7 test", "application/pdf")]


def test_it_retries_an_smtp_failure_later_with_the_same_message_id(settings):
    with time_machine.travel(START, tick=False):
        email = enqueue()
        settings.EMAIL_BACKEND = "tests.apm.outbox.test_services.FailingBackend"
        assert outbox_send(email_id=email.pk) is SendResult.RETRY_LATER
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.tries == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert email.next_attempt_at == START + dt.timedelta(seconds=backoff_seconds(1))

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(START + dt.timedelta(seconds=10), tick=False):
        # Not due yet: a task that runs early does nothing.
        assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
    with time_machine.travel(email.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        assert outbox_send(email_id=email.pk) is SendResult.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].message()["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert (email.status, email.tries, email.last_error) == (EmailStatus.SENT, 2, "")


def test_it_resends_a_message_stuck_in_sending_with_the_same_message_id(settings, published):
    with time_machine.travel(START, tick=False):
        email = enqueue()
        # A worker claimed it and died before sending.
        assert services._claim(email.pk, START)
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
        assert outbox_sweep() == 0
    later = START + dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert outbox_sweep() == 1
        assert published[-1] == ("apm.outbox.tasks.send_email", (email.pk,))
        assert outbox_send(email_id=email.pk) is SendResult.SENT
    assert [m.message()["Message-ID"] for m in mail.outbox] == [email.message_id]
    email.refresh_from_db()
    assert email.tries == 2


def test_it_sweeps_queued_messages_whose_broker_message_was_lost(settings, published):
    with time_machine.travel(START, tick=False):
        email = enqueue()
        assert outbox_sweep() == 0
    with time_machine.travel(START + dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS + 1), tick=False):
        assert outbox_sweep() == 1
        email.refresh_from_db()
        assert email.queued_at == START + dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS + 1)
        # Just re-published: not again on the next sweep.
        assert outbox_sweep() == 0
    assert published == [("apm.outbox.tasks.send_email", (email.pk,))]


def test_it_marks_a_message_failed_after_the_last_try_and_an_operator_can_retry_it(settings, published):
    settings.APM_MAX_TRIES = 3
    settings.EMAIL_BACKEND = "tests.apm.outbox.test_services.FailingBackend"
    moment = START
    with time_machine.travel(moment, tick=False):
        email = enqueue()
    results = []
    for _ in range(3):
        with time_machine.travel(moment, tick=False):
            results.append(outbox_send(email_id=email.pk))
        email.refresh_from_db()
        moment = (email.next_attempt_at or moment) + dt.timedelta(seconds=1)
    assert results == [SendResult.RETRY_LATER, SendResult.RETRY_LATER, SendResult.FAILED]
    assert email.status == EmailStatus.FAILED
    assert email.tries == 3
    assert "SMTPServerDisconnected" in email.last_error
    assert OutboundEmail.objects.filter(status=EmailStatus.FAILED).count() == 1
    with time_machine.travel(moment + dt.timedelta(days=1), tick=False):
        assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
        assert outbox_sweep() == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_retry(email_id=email.pk) is True
    assert outbox_retry(email_id=email.pk) is False
    assert outbox_send(email_id=email.pk) is SendResult.SENT
    assert [m.message()["Message-ID"] for m in mail.outbox] == [email.message_id]


def test_it_backs_off_exponentially_up_to_an_hour():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(30) == 3600
