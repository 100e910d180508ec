"""The one outbound HTTP delivery: every request APM makes to another server (a Slack or Teams webhook) goes
through it, with the email outbox's guarantees (``apm.outbox``).

A row is written in the same transaction as the business change that causes it, then a worker sends it.
States: queued -> sending -> sent, or failed (after the last try, or at once for what no retry can mend: a
refused address, a redirect, a 4xx other than 408 and 429). The ``idempotency_key`` is unique, so a producer that
runs twice enqueues once, and it goes out as the ``Idempotency-Key`` header, the same on every try, so the
receiver can drop a repeat.

Where a request may go is the SSRF guard's decision (``apm.outbound.guard``), taken when it is sent; an
:class:`AllowedHost` (edited in the admin) lets one host through that the guard would refuse (an internal proxy,
a test receiver) and, when said, over plain http.
"""

from __future__ import annotations

from django.db import models

from apm.validators import web_url


class RequestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundRequest(models.Model):
    """One HTTP request to another server, and how its delivery went.

    ``body`` is the JSON text sent; ``headers`` extra header fields (JSON, name to value; the delivery adds
    ``Content-Type``, ``User-Agent`` and ``Idempotency-Key``). ``source`` names what it is for, for the page
    that lists it (``"chat_hook:12"``), and ``summary`` says it in words ("Critical issue I-4 raised").
    ``url`` may hold a secret (a webhook's path): pages show its host only. ``tries`` counts send attempts;
    ``next_attempt_at`` is when a queued request may be tried again after a failure (exponential backoff);
    ``last_status_code`` is the receiver's last HTTP status, None when none came back.
    """

    kind = models.CharField(max_length=40, default="webhook", db_index=True)
    source = models.CharField(max_length=100, blank=True, db_index=True)
    summary = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=2000, validators=[web_url])
    method = models.CharField(max_length=10, default="POST")
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.QUEUED)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(help_text="When the request was last handed to the broker.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.summary or self.kind} ({self.status})"


class AllowedHost(models.Model):
    """A host an administrator lets outbound requests reach although the SSRF guard would refuse its addresses
    (an internal proxy), and, with ``allow_http``, over plain http. ``host`` is the name as written in URLs,
    lower case, without a port."""

    host = models.CharField(max_length=253, unique=True)
    allow_http = models.BooleanField(default=False, help_text="Requests to this host may use plain http.")
    note = models.CharField(max_length=200, blank=True, help_text="Why this host is allowed, and who asked.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host

    def save(self, *args: object, **kwargs: object) -> None:
        self.host = self.host.strip().lower().rstrip(".")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
