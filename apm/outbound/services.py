"""Writing to and sending from the outbound HTTP delivery (the only way APM sends a request to another server).

``outbound_enqueue`` writes a request in the caller's transaction and publishes the send task after commit;
a second request with the same idempotency key is not written (the first one stands). ``outbound_send``
claims the request with a conditional UPDATE (queued -> sending), checks its destination with the SSRF guard
(``apm.outbound.guard``) at that moment, sends it and marks it; a second run of the same task finds nothing to
claim and sends nothing.

What a failure leads to:

- a 2xx answer: sent;
- no answer (refused, reset, timed out, TLS, a name that does not resolve now), a 408, 425, 429 or 5xx: retried
  with the outbox's backoff (``apm.outbox.services.backoff_seconds``) until ``APM_MAX_TRIES`` tries, then failed;
- a refusal by the guard, a redirect (3xx: never followed, its Location recorded) and any other 4xx (the hook was
  removed, the payload refused): failed at once. No later try would go differently; the chat page offers Retry
  once the URL is mended.

Every try carries the same ``Idempotency-Key`` header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apm import queueing
from apm.outbound.guard import GuardRefused, destination_resolve
from apm.outbound.models import OutboundRequest, RequestStatus
from apm.outbound.task_names import SEND_REQUEST
from apm.outbound.transport import Response, http_request
from apm.outbox.services import SendResult, backoff_seconds

logger = logging.getLogger(__name__)

#: Statuses worth another try: the receiver was busy, slow or broken for now.
RETRY_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "APM-Outbound/1"

_claim = queueing.Claim(
    OutboundRequest, queued=RequestStatus.QUEUED, working=RequestStatus.SENDING, started_field="sending_started_at"
)


def outbound_enqueue(
    *,
    kind: str,
    url: str,
    payload: Mapping[str, Any],
    idempotency_key: str,
    source: str = "",
    summary: str = "",
    headers: Mapping[str, str] | None = None,
) -> OutboundRequest | None:
    """Write one POST of ``payload`` (sent as JSON) to ``url`` and send it after the transaction commits.

    ``idempotency_key`` names the event and its receiver (``"raid:12:critical:hook:3"``); when a request with
    that key exists already nothing is written and None is returned (a producer that ran twice). ``source`` and
    ``summary`` say what it is for, for the pages that list deliveries. Raises ``ValueError`` when the body is
    larger than ``APM_OUTBOUND_MAX_REQUEST_BYTES`` or the key is empty. The URL is checked when the request is
    sent, not here.
    """
    if not idempotency_key:
        raise ValueError("An outbound request needs an idempotency key.")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(body.encode()) > settings.APM_OUTBOUND_MAX_REQUEST_BYTES:
        raise ValueError(f"The request body is over {settings.APM_OUTBOUND_MAX_REQUEST_BYTES} bytes.")
    if OutboundRequest.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    try:
        with transaction.atomic():
            request = OutboundRequest.objects.create(
                kind=kind,
                source=source[:100],
                summary=summary[:200],
                url=url,
                body=body,
                headers=dict(headers or {}),
                idempotency_key=idempotency_key,
                queued_at=timezone.now(),
            )
    except IntegrityError:  # the same key written by a producer running at the same time
        return None
    queueing.publish_on_commit(SEND_REQUEST, request.pk)
    logger.info("Outbound request %s (%s) queued", request.pk, kind)
    return request


def _outcome(response: Response) -> tuple[bool, bool, str]:
    """(sent, worth retrying, error) for the receiver's ``response``."""
    status = response.status
    if 200 <= status < 300:
        return True, False, ""
    excerpt = " ".join(response.body.split())[:300]
    said = f": {excerpt}" if excerpt else ""
    if 300 <= status < 400:
        where = f" to {response.location[:300]}" if response.location else ""
        return False, False, f"The receiver answered {status}, a redirect{where}; redirects are not followed."
    retry = status >= 500 or status in RETRY_STATUSES
    return False, retry, f"The receiver answered {status}{said}"


def _finish(request: OutboundRequest, *, now: datetime, error: str, status_code: int | None, retry: bool) -> SendResult:
    pending = OutboundRequest.objects.filter(pk=request.pk, status=RequestStatus.SENDING)
    if retry and request.tries < settings.APM_MAX_TRIES:
        pending.update(
            status=RequestStatus.QUEUED,
            last_error=error,
            last_status_code=status_code,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(request.tries)),
            queued_at=now,
        )
        logger.warning(
            "Outbound request %s failed (try %s), will retry: %s",
            request.pk,
            request.tries,
            error,
        )
        return SendResult.RETRY_LATER
    pending.update(status=RequestStatus.FAILED, last_error=error, last_status_code=status_code)
    logger.error(
        "Outbound request %s failed after %s tries: %s",
        request.pk,
        request.tries,
        error,
    )
    return SendResult.FAILED


def outbound_send(*, request_id: int) -> SendResult:
    """Send one outbound request if it is due; safe to call any number of times, by several workers at once.

    Returns SENT when this call delivered it, NOTHING_TO_DO when it was sent already, is being sent by another
    worker or is not yet due, RETRY_LATER after a failure worth another try (``next_attempt_at`` set), FAILED
    after the last try or a failure no retry mends (the reason in ``last_error``).
    """
    now = timezone.now()
    if not _claim(request_id, now):
        return SendResult.NOTHING_TO_DO
    request = OutboundRequest.objects.get(pk=request_id)
    try:
        destination = destination_resolve(request.url)
    except GuardRefused as refused:
        return _finish(request, now=now, error=refused.message, status_code=None, retry=False)
    except OSError as exc:  # the name does not resolve now
        return _finish(request, now=now, error=f"Could not resolve the host: {exc}", status_code=None, retry=True)
    body = request.body.encode()
    if len(body) > settings.APM_OUTBOUND_MAX_REQUEST_BYTES:
        error = f"The request body is over {settings.APM_OUTBOUND_MAX_REQUEST_BYTES} bytes."
        return _finish(request, now=now, error=error, status_code=None, retry=False)
    headers = {
        **request.headers,
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": request.idempotency_key,
    }
    try:
        response = http_request(destination, method=request.method, body=body, headers=headers)
    except Exception as exc:  # any network, TLS or protocol error: record it and retry
        error = f"{type(exc).__name__}: {exc}"[:2000]
        return _finish(request, now=now, error=error, status_code=None, retry=True)
    sent, retry, error = _outcome(response)
    if not sent:
        return _finish(request, now=now, error=error, status_code=response.status, retry=retry)
    OutboundRequest.objects.filter(pk=request_id, status=RequestStatus.SENDING).update(
        status=RequestStatus.SENT, sent_at=timezone.now(), last_error="", last_status_code=response.status
    )
    logger.info(
        "Outbound request %s sent (try %s), answered %s",
        request_id,
        request.tries,
        response.status,
    )
    return SendResult.SENT


def outbound_retry(*, request_id: int, url: str | None = None) -> bool:
    """Put a failed request back in the queue (the chat page's and the admin's "Retry"), with its tries counted
    afresh and the same idempotency key; to ``url`` when given (the receiver's address mended since). Returns True
    when it was failed and is now queued again."""
    now = timezone.now()
    fields: dict[str, Any] = {"url": url} if url else {}
    with transaction.atomic():
        changed = OutboundRequest.objects.filter(pk=request_id, status=RequestStatus.FAILED).update(
            status=RequestStatus.QUEUED, tries=0, next_attempt_at=None, queued_at=now, **fields
        )
        if changed:
            queueing.publish_on_commit(SEND_REQUEST, request_id)
            logger.info("Outbound request %s queued again after failing", request_id)
    return bool(changed)


def outbound_sweep(*, now: datetime | None = None) -> int:
    """Publish again every request that a lost broker message or a dead worker left behind; returns how many.

    As ``apm.outbox.services.outbox_sweep``: queued requests that are due and were handed to the broker longer
    than ``APM_REQUEUE_AFTER_SECONDS`` ago, and requests stuck in sending longer than ``APM_STUCK_AFTER_SECONDS``;
    one stuck after its last try is marked failed instead (it may have been delivered).
    """
    now = now or timezone.now()
    requeue_before = now - timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS)
    stuck_before = now - timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
    due = Q(status=RequestStatus.QUEUED, queued_at__lt=requeue_before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(status=RequestStatus.SENDING, sending_started_at__lt=stuck_before)
    lost = OutboundRequest.objects.filter(stuck, tries__gte=settings.APM_MAX_TRIES).values_list("pk", "tries")
    for pk, tries in lost:
        error = f"Its worker was lost during the last of {tries} tries; it may have been delivered."
        if OutboundRequest.objects.filter(stuck, pk=pk, tries=tries).update(
            status=RequestStatus.FAILED, last_error=error
        ):
            logger.error("Outbound request %s failed: its worker was lost %s times", pk, tries)
    stuck &= Q(tries__lt=settings.APM_MAX_TRIES)
    ids = list(OutboundRequest.objects.filter(due | stuck).values_list("pk", flat=True)[:500])
    if ids:
        OutboundRequest.objects.filter(pk__in=ids, status=RequestStatus.QUEUED).update(queued_at=now)
    return sum(queueing.publish(SEND_REQUEST, pk) for pk in ids)
