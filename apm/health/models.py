"""Heartbeats: the last time a periodic task ran, one row per task name."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """When the periodic task ``name`` last completed (beat published it, a worker ran it).

    Written by :func:`apm.health.services.heartbeat_record`; read by the
    beat check of ``/health/``.
    """

    name = models.CharField(max_length=100, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S%z}"
