"""Names of the outbound delivery's Celery tasks: services publish by name (``apm.queueing``) and never import the
tasks."""

from __future__ import annotations

SEND_REQUEST = "apm.outbound.tasks.send_request"
SWEEP_OUTBOUND = "apm.outbound.tasks.sweep_outbound"
