"""Handing work to Celery without ever making a web request wait on the broker.

Every state change writes its row first; the task is published after the
transaction commits. If the broker is down the publish fails fast, is logged,
and the row stays queued: the sweepers publish it again later. Nothing is
lost, and the user's request is answered either way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task: Any, *args: Any, countdown: float | None = None) -> bool:
    """Send ``task`` with ``args`` to the broker now.

    Returns True when the broker took the message, False when it could not be
    reached (logged, never raised: the row's sweeper will publish it again).
    """
    try:
        task.apply_async(
            args=args,
            countdown=countdown,
            # One attempt; the transport's socket timeouts bound the wait.
            retry=False,
        )
    except Exception:  # broker down or unreachable: the sweeper re-publishes
        logger.warning("Could not publish %s%r; the sweeper will retry", task.name, args, exc_info=True)
        return False
    return True


def publish_on_commit(task: Any, *args: Any) -> None:
    """Publish ``task`` with ``args`` once the current transaction commits.

    Outside a transaction it publishes at once. Never raises.
    """
    transaction.on_commit(lambda: publish(task, *args))
