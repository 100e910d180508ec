"""Writing to and sending from the email outbox (the only way APM sends email).

``email_render`` renders an email's three templates (``templates/emails/<name>-subject.txt``,
``-body-text.txt``, ``-body-html.html``): subject and text as plain text, the HTML escaped.
``outbox_enqueue`` writes a message in the caller's transaction and publishes
the send task after commit. ``outbox_send`` claims the message with a
conditional UPDATE (queued -> sending), sends it, and marks it sent; a second
run of the same task finds nothing to claim and sends nothing.

Every message is written by APM, not by a person, so every one carries
``Auto-Submitted: auto-generated`` (RFC 3834: no vacation or other automatic
replies to it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from enum import Enum
from typing import Any, TypedDict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template import Context, Engine
from django.utils import timezone

from apm.logs import log_ids
from apm.outbox.models import EmailStatus, OutboundAttachment, OutboundEmail
from apm.outbox.task_names import SEND_EMAIL
from apm.queueing import Claim, publish, publish_on_commit

logger = logging.getLogger(__name__)

BACKOFF_MAX_SECONDS = 3600


@dataclass(frozen=True)
class AttachmentSpec:
    """A file in default storage to attach: ``storage_name`` is its name there."""

    filename: str
    storage_name: str
    mimetype: str = "application/octet-stream"


class SendResult(Enum):
    SENT = "sent"
    NOTHING_TO_DO = "nothing_to_do"
    RETRY_LATER = "retry_later"
    FAILED = "failed"


def make_message_id() -> str:
    """A new globally unique Message-ID, e.g. ``<3f2a...@apm.localhost>``."""
    return f"<{uuid.uuid4().hex}@{settings.APM_MESSAGE_ID_DOMAIN}>"


def backoff_seconds(tries: int) -> float:
    """Seconds to wait before try ``tries + 1``: base, 2 x base, 4 x base, ... capped at one hour.

    The base is ``settings.APM_RETRY_BASE_SECONDS`` (30 by default: 30, 60,
    120, ...); the fault tests set it below a second so that retries happen
    within the test.
    """
    return min(settings.APM_RETRY_BASE_SECONDS * 2 ** max(tries - 1, 0), BACKOFF_MAX_SECONDS)


class EmailParts(TypedDict):
    """An email's subject, plain text and HTML, as :func:`outbox_enqueue` takes them."""

    subject: str
    body_text: str
    body_html: str


def email_render(name: str, context: Mapping[str, Any]) -> EmailParts:
    """Render ``templates/emails/<name>-subject.txt``, ``-body-text.txt`` and ``-body-html.html`` with ``context``.

    The subject and the text are plain text, rendered with autoescaping off
    whatever the template says: a project named ``Q"'> & Co`` stays so and
    never becomes ``Q&quot;&#x27;&gt; &amp; Co``. The HTML is escaped as any
    page. Raises ``TemplateDoesNotExist`` for an unknown ``name``.
    """
    engine = Engine.get_default()

    def plain(template: str) -> str:
        return engine.get_template(template).render(Context(dict(context), autoescape=False))

    return {
        "subject": plain(f"emails/{name}-subject.txt").strip(),
        "body_text": plain(f"emails/{name}-body-text.txt"),
        "body_html": engine.get_template(f"emails/{name}-body-html.html").render(Context(dict(context))),
    }


def outbox_enqueue(
    *,
    kind: str,
    to: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: Iterable[AttachmentSpec] = (),
    from_email: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboundEmail:
    """Write one message to the outbox and send it after the transaction commits.

    ``to`` is a non-empty list of addresses; ``headers`` extra header fields
    (name to value) the message carries besides the outbox's own (Message-ID,
    Auto-Submitted). Raises ``ValueError`` for an empty recipient list.
    Returns the saved ``OutboundEmail`` (status queued).
    """
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        raise ValueError("An email needs at least one recipient.")
    now = timezone.now()
    with transaction.atomic():
        email = OutboundEmail.objects.create(
            kind=kind,
            message_id=make_message_id(),
            from_email=from_email or settings.DEFAULT_FROM_EMAIL,
            to=recipients,
            subject=" ".join(subject.split())[:998],
            body_text=body_text,
            body_html=body_html,
            headers=dict(headers or {}),
            queued_at=now,
        )
        OutboundAttachment.objects.bulk_create(
            OutboundAttachment(email=email, filename=a.filename, mimetype=a.mimetype, file=a.storage_name)
            for a in attachments
        )
        publish_on_commit(SEND_EMAIL, email.pk)
    logger.info("Email %s (%s) queued", email.pk, kind, extra=log_ids(email_id=email.pk))
    return email


# A message left in "sending" by a worker that died is sent again, with
# the same Message-ID, unless every try so far was lost that way (then
# the sweeper marks it failed).
_claim = Claim(
    OutboundEmail, queued=EmailStatus.QUEUED, working=EmailStatus.SENDING, started_field="sending_started_at"
)


#: Room for the text of a subject word on the ``Subject:`` line (78 characters, RFC 5322).
_SUBJECT_ROOM = 78 - len("Subject: ")


def subject_header(subject: str) -> Header:
    """``subject`` as a header value that folds with text on the ``Subject:`` line itself.

    Django encodes a non-ASCII subject before it knows the field's name, so
    the folded value starts on a line of its own (``Subject:`` and nothing
    else). A ``Header`` that knows its name folds after the first words
    instead. Plain ASCII stays readable unless a word is too long for a line;
    then, as with any other character, it is encoded (RFC 2047), which may be
    split anywhere.
    """
    subject = " ".join(subject.split())
    readable = subject.isascii() and all(len(word) <= _SUBJECT_ROOM for word in subject.split())
    return Header(subject, "us-ascii" if readable else "utf-8", header_name="Subject")


class OutboxMessage(EmailMultiAlternatives):
    """Django's email with the subject folded by :func:`subject_header`."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        msg.replace_header("Subject", subject_header(str(self.subject)))
        return msg


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The Django email for an outbox row: its Message-ID, ``Auto-Submitted``, its extra headers and attachments."""
    message = OutboxMessage(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=list(email.to),
        headers={**email.headers, "Message-ID": email.message_id, "Auto-Submitted": "auto-generated"},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all():
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.mimetype)
    return message


def outbox_send(*, email_id: int) -> SendResult:
    """Send one outbox message if it is due; safe to call any number of times.

    Returns SENT when this call sent it, NOTHING_TO_DO when it was already sent,
    being sent by another worker, or not yet due, RETRY_LATER after a failure
    with tries left (``next_attempt_at`` is set), FAILED after the last try.
    """
    now = timezone.now()
    if not _claim(email_id, now):
        return SendResult.NOTHING_TO_DO
    email = OutboundEmail.objects.prefetch_related("attachments").get(pk=email_id)
    try:
        build_message(email).send(fail_silently=False)
    except Exception as exc:  # any SMTP, network or storage error: record it and retry
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "Sending email %s failed (try %s): %s", email_id, email.tries, error, extra=log_ids(email_id=email_id)
        )
        if email.tries >= settings.APM_MAX_TRIES:
            OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING).update(
                status=EmailStatus.FAILED, last_error=error
            )
            logger.error("Email %s failed after %s tries", email_id, email.tries, extra=log_ids(email_id=email_id))
            return SendResult.FAILED
        OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING).update(
            status=EmailStatus.QUEUED,
            last_error=error,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(email.tries)),
            queued_at=now,
        )
        return SendResult.RETRY_LATER
    OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    logger.info(
        "Email %s sent (try %s), Message-ID %s",
        email_id,
        email.tries,
        email.message_id,
        extra=log_ids(email_id=email_id),
    )
    return SendResult.SENT


def outbox_retry(*, email_id: int) -> bool:
    """Put a failed message back in the queue (an operator's "retry" button).

    Returns True when the message was failed and is now queued again.
    """
    now = timezone.now()
    with transaction.atomic():
        changed = OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.FAILED).update(
            status=EmailStatus.QUEUED, tries=0, next_attempt_at=None, queued_at=now
        )
        if changed:
            publish_on_commit(SEND_EMAIL, email_id)
            logger.info("Email %s put back in the queue after failing", email_id, extra=log_ids(email_id=email_id))
    return bool(changed)


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Publish again every message that a lost broker message or a dead worker left behind.

    Picks queued messages that are due and were handed to the broker longer
    than ``APM_REQUEUE_AFTER_SECONDS`` ago, and messages stuck in sending for
    longer than ``APM_STUCK_AFTER_SECONDS``. Returns how many were published.

    A message stuck in sending after ``APM_MAX_TRIES`` tries (its worker
    died on every try) is marked failed, listed for an operator, instead of
    being sent again forever.
    """
    now = now or timezone.now()
    requeue_before = now - timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS)
    stuck_before = now - timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    due = Q(status=EmailStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=EmailStatus.SENDING, sending_started_at__lt=stuck_before)
    for pk, tries in OutboundEmail.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list("pk", "tries"):
        error = f"Its worker was lost during the last of {tries} tries; it may have been delivered"
        if OutboundEmail.objects.filter(stuck, pk=pk, tries=tries).update(status=EmailStatus.FAILED, last_error=error):
            logger.error("Email %s failed: its worker was lost %s times", pk, tries, extra=log_ids(email_id=pk))
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    ids = list(OutboundEmail.objects.filter(due | stuck).values_list("pk", flat=True)[:500])
    if ids:
        OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.QUEUED).update(queued_at=now)
    for pk in ids:
        logger.info("Sweeper publishes email %s again", pk, extra=log_ids(email_id=pk))
    return sum(publish(SEND_EMAIL, pk) for pk in ids)
