"""Celery tasks of the outbound delivery: thin wrappers that take ids and call the services."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from apm.outbound.models import OutboundRequest
from apm.outbound.services import outbound_send, outbound_sweep
from apm.outbound.task_names import SEND_REQUEST, SWEEP_OUTBOUND
from apm.outbox.services import SendResult, backoff_seconds


@shared_task(name=SEND_REQUEST, bind=True, max_retries=None, acks_late=True, reject_on_worker_lost=True)
def send_request(self: Task[Any, Any], request_id: int) -> str:
    """Send outbound request ``request_id``; retried with backoff while it fails and tries are left."""
    result = outbound_send(request_id=request_id)
    if result is SendResult.RETRY_LATER:
        tries = OutboundRequest.objects.filter(pk=request_id).values_list("tries", flat=True).first() or 1
        raise self.retry(countdown=backoff_seconds(tries))
    return result.value


@shared_task(name=SWEEP_OUTBOUND, acks_late=True)
def sweep_outbound() -> int:
    """Re-publish outbound requests that are due but were lost or left in sending."""
    return outbound_sweep()
