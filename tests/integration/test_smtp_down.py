"""SMTP down, then refusing, then back: every report email goes out exactly once, same Message-ID.

A real SMTP conversation with a local aiosmtpd server: first nothing listens
on the port (connection refused), then the server answers "421" to every
message, then it accepts. The outbox waits with backoff and sends once it
is back; running the send task again afterwards sends nothing.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.services import AttachmentSpec, SendResult, outbox_enqueue, outbox_send
from tests.integration.services import free_port

START = dt.datetime(2025, 6, 9, 8, 0, tzinfo=dt.UTC)


class FlakyHandler:
    """Answers 421 while ``refusing`` is true, then keeps what it receives."""

    def __init__(self) -> None:
        self.refusing = True
        self.refused = 0
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            self.refused += 1
            return "421 Service not available, try again later"
        self.messages.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_settings(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.APM_MAX_TRIES = 8
    return port


def test_it_loses_nothing_and_sends_nothing_twice_while_smtp_is_down(db, smtp_settings, monkeypatch):
    from aiosmtpd.controller import Controller

    monkeypatch.setattr("apm.outbox.services.publish", lambda task, *args, countdown=None: True)
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)
    default_storage.save("reports/test/r.pdf", ContentFile(b"%PDF-1.7 test"))
    ids = []
    with time_machine.travel(START, tick=False):
        for n in range(3):
            ids.append(
                outbox_enqueue(
                    kind="report",
                    to=[f"head{n}@example.com"],
                    subject=f"Report {n}",
                    body_text="Summary",
                    body_html="<p>Summary</p>",
                    attachments=[AttachmentSpec("r.pdf", "reports/test/r.pdf", "application/pdf")],
                ).pk
            )
    message_ids = dict(OutboundEmail.objects.values_list("pk", "message_id"))

    def send_all(now: dt.datetime) -> list[SendResult]:
        with time_machine.travel(now, tick=False):
            return [outbox_send(email_id=pk) for pk in ids]

    # 1. Nothing listens: connection refused, all three wait with backoff.
    assert send_all(START) == [SendResult.RETRY_LATER] * 3
    first = OutboundEmail.objects.get(pk=ids[0])
    assert first.status == EmailStatus.QUEUED
    assert first.tries == 1
    assert "Connection refused" in first.last_error or "ConnectionRefusedError" in first.last_error
    # Not due again before the backoff: nothing is attempted.
    assert send_all(START + dt.timedelta(seconds=10)) == [SendResult.NOTHING_TO_DO] * 3

    handler = FlakyHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    try:
        # 2. The server is up but answers 421.
        now = START + dt.timedelta(seconds=31)
        assert send_all(now) == [SendResult.RETRY_LATER] * 3
        assert handler.refused == 3
        assert handler.messages == []
        assert "421" in OutboundEmail.objects.get(pk=ids[0]).last_error
        # 3. It accepts again: each message goes out once after its backoff (60 s after try 2).
        handler.refusing = False
        assert send_all(now + dt.timedelta(seconds=30)) == [SendResult.NOTHING_TO_DO] * 3
        later = now + dt.timedelta(seconds=61)
        assert send_all(later) == [SendResult.SENT] * 3
        # The task running again (a duplicate broker message) sends nothing.
        assert send_all(later + dt.timedelta(hours=1)) == [SendResult.NOTHING_TO_DO] * 3
    finally:
        controller.stop()

    assert len(handler.messages) == 3
    received = {}
    for raw in handler.messages:
        parsed = email.message_from_bytes(raw, policy=policy.default)
        received[parsed["Message-ID"]] = parsed
        assert parsed.get_body(preferencelist=("plain",)) is not None
        assert parsed.get_body(preferencelist=("html",)) is not None
        assert [part.get_filename() for part in parsed.iter_attachments()] == ["r.pdf"]
    assert set(received) == set(message_ids.values())
    statuses = OutboundEmail.objects.values_list("status", "tries")
    assert sorted(statuses) == [(EmailStatus.SENT, 3)] * 3
