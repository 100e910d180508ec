"""The one email outbox that every email of the product goes through.

A row is written in the same transaction as the business change that causes
it (a report delivery, a notification, an invitation), then a worker sends
it. States: queued -> sending -> sent, or failed after the last try. The
Message-ID is minted once when the row is created, so a re-send of a message
that was stuck in ``sending`` carries the same Message-ID and the receiving
side can de-duplicate it.
"""

from __future__ import annotations

from django.db import models


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """One email message in the outbox.

    ``to`` is a list of addresses (JSON); ``headers`` extra header fields
    (JSON, name to value), such as a report's ``List-Unsubscribe`` for its
    one recipient. ``tries`` counts send attempts;
    ``next_attempt_at`` is when a queued message may be tried again after a
    failure (exponential backoff). ``kind`` says what produced it
    ("report", "notification", "invitation", ...).
    """

    kind = models.CharField(max_length=40, default="notification", db_index=True)
    message_id = models.CharField(max_length=255, unique=True, editable=False)
    from_email = models.CharField(max_length=254)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(
        default=dict, blank=True, help_text="Extra header fields of this message (List-Unsubscribe, ...)."
    )
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(help_text="When the message was last handed to the broker.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"


class OutboundAttachment(models.Model):
    """A file attached to an outbound email.

    ``file`` names a file in default storage. Reports point at their stored
    PDF rather than copying it once per recipient.
    """

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100, default="application/octet-stream")
    file = models.FileField(max_length=500)

    def __str__(self) -> str:
        return self.filename
