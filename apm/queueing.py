"""Handing work to Celery without ever making a web request wait on the broker.

Every state change writes its row first; the task is published after the
transaction commits. If the broker is down the publish fails fast, is logged,
and the row stays queued: the sweepers publish it again later. Nothing is
lost, and the user's request is answered either way.

Tasks are published by name (the constants of ``reports.task_names`` and
``apm.outbox.task_names``), so a service never imports the tasks module that
calls it: tasks import services, services import only the names.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

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
