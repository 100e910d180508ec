"""Writes of the health app: heartbeats of periodic tasks."""

from __future__ import annotations

import datetime as dt

from apm.health.models import Heartbeat

#: The heartbeat the report dispatcher records each time beat runs it.
DISPATCH_HEARTBEAT = "dispatch-due-reports"


def heartbeat_record(*, name: str, now: dt.datetime) -> None:
    """Record that periodic task ``name`` ran at ``now`` (aware datetime); one row per name.

    Safe from several processes at once (two beats by mistake): the row is
    updated in place, created on first use.
    """
    Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": now})
