"""Celery tasks of the outbox: thin wrappers that take ids and call the services."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from apm.outbox.models import OutboundEmail
from apm.outbox.services import SendResult, backoff_seconds, outbox_send, outbox_sweep
from apm.outbox.task_names import SEND_EMAIL, SWEEP_OUTBOX


@shared_task(name=SEND_EMAIL, bind=True, max_retries=None, acks_late=True, reject_on_worker_lost=True)
def send_email(self: Task[Any, Any], email_id: int) -> str:
    """Send outbox message ``email_id``; retried with backoff while it fails."""
    result = outbox_send(email_id=email_id)
    if result is SendResult.RETRY_LATER:
        tries = OutboundEmail.objects.filter(pk=email_id).values_list("tries", flat=True).first() or 1
        raise self.retry(countdown=backoff_seconds(tries))
    return result.value


@shared_task(name=SWEEP_OUTBOX, acks_late=True)
def sweep_outbox() -> int:
    """Re-publish outbox messages that are due but were lost or left in sending."""
    return outbox_sweep()
