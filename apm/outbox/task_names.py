"""Names of the outbox's Celery tasks: services publish by name (``apm.queueing``) and never import the tasks."""

from __future__ import annotations

SEND_EMAIL = "apm.outbox.tasks.send_email"
SWEEP_OUTBOX = "apm.outbox.tasks.sweep_outbox"
