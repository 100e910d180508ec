"""Handing work to Celery without ever making a web request wait on the broker.

Every state change writes its row first; the task is published after the
transaction commits. If the broker is down the publish fails fast, is logged,
and the row stays queued: the sweepers publish it again later. Nothing is
lost, and the user's request is answered either way.

A task claims its row with a :class:`Claim` before it works on it, so that
a task delivered twice does its work once.

Tasks are published by name (the constants of ``reports.task_names`` and
``apm.outbox.task_names``), so a service never imports the tasks module that
calls it: tasks import services, services import only the names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, Q

from apm.celery import app

logger = logging.getLogger(__name__)


def publish(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send the task registered as ``name`` with ``args`` (JSON values, e.g. ids) to the broker now.

    Returns True when the broker took the message, False when it could not be
    reached (logged, never raised: the row's sweeper will publish it again).
    """
    try:
        app.send_task(
            name,
            args=list(args),
            countdown=countdown,
            # One attempt; the transport's socket timeouts bound the wait
            # (CELERY_BROKER_TRANSPORT_OPTIONS in apm/settings.py).
            retry=False,
        )
    except Exception:  # broker down or unreachable: the sweeper re-publishes
        logger.warning("Could not publish %s%r; the sweeper will retry", name, args, exc_info=True)
        return False
    return True


def publish_on_commit(name: str, *args: Any) -> None:
    """Publish the task ``name`` with ``args`` once the current transaction commits.

    Outside a transaction it publishes at once. Never raises.
    """
    transaction.on_commit(lambda: publish(name, *args))


@dataclass(frozen=True)
class Claim:
    """How a worker takes a row of ``model`` for itself: call it with the row's id and ``now``.

    A call takes the row with one conditional UPDATE and answers True if this
    call took it: from ``queued`` once its ``next_attempt_at`` is due, or from
    ``working`` when the worker that took it died (``started_field`` older than
    ``settings.APM_STUCK_AFTER_SECONDS``) and tries are left (``APM_MAX_TRIES``;
    the sweepers fail it after the last). Taking it sets ``working``, counts a
    try and stamps ``started_field`` with ``now``. Two workers can never both
    take it: only one UPDATE matches.
    """

    model: type[Model]
    queued: str
    working: str
    started_field: str

    def __call__(self, pk: int, now: datetime) -> bool:
        stuck_before = now - timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS)
        due = Q(status=self.queued) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        stuck = Q(status=self.working, tries__lt=settings.APM_MAX_TRIES, **{f"{self.started_field}__lt": stuck_before})
        taken = self.model._default_manager.filter(due | stuck, pk=pk).update(
            status=self.working, tries=F("tries") + 1, **{self.started_field: now}
        )
        return taken == 1
