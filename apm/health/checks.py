"""The checks behind ``/health/``: database, broker and beat.

Each check returns a :class:`CheckResult`; ``detail`` says what went wrong
and goes to the log only (it can name hosts and carry driver messages), never
into the response body. No check waits long: the broker check uses short
socket timeouts and no retries, PostgreSQL connections give up after
``DATABASE_CONNECT_TIMEOUT`` seconds (settings), and the beat check, which
reads the database, is not run when the database check failed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apm.health.models import Heartbeat
from apm.health.services import DISPATCH_HEARTBEAT

#: Seconds the broker check waits to connect, and then for the answer to PING.
BROKER_TIMEOUT_SECONDS = 2.0
#: The beat heartbeat is stale after this many dispatch intervals ...
BEAT_STALE_INTERVALS = 3
#: ... and never sooner than this (beat's own start-up and a slow dispatch run).
BEAT_STALE_MIN_SECONDS = 180.0


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``name`` ("database", "broker", "beat"), ``ok``, and ``detail`` for the log."""

    name: str
    ok: bool
    detail: str = ""


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def check_database() -> CheckResult:
    """``SELECT 1`` on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver or connection error means "not healthy"
        return CheckResult("database", False, _error(exc))
    return CheckResult("database", True)


def _ping_redis(url: str) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    finally:
        client.close()


def _check_broker_folder() -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = Path(options[key])
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise OSError(f"broker folder {key} is missing or not writable")


def _ping_other(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        # kombu takes whole seconds here.
        broker.ensure_connection(max_retries=1, timeout=math.ceil(BROKER_TIMEOUT_SECONDS))


def check_broker() -> CheckResult:
    """Redis answers PING (a ``redis://``/``rediss://`` broker), or the file-system broker's folders are writable.

    Waits at most about ``2 x BROKER_TIMEOUT_SECONDS`` (connect, then the
    answer) when Redis is down or unreachable; never retries.
    """
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _ping_redis(url)
        elif url.startswith("filesystem://"):
            _check_broker_folder()
        else:
            _ping_other(url)
    except Exception as exc:  # connection refused, timeout, auth, folder: all "not healthy"
        return CheckResult("broker", False, _error(exc))
    return CheckResult("broker", True)


def beat_stale_after() -> dt.timedelta:
    """How old the dispatcher's heartbeat may be: 3 x ``APM_DISPATCH_SECONDS``, at least 3 minutes."""
    return dt.timedelta(seconds=max(BEAT_STALE_INTERVALS * settings.APM_DISPATCH_SECONDS, BEAT_STALE_MIN_SECONDS))


def check_beat(*, now: dt.datetime | None = None) -> CheckResult:
    """The report dispatcher (run by beat, every ``APM_DISPATCH_SECONDS``) ran within :func:`beat_stale_after`.

    Its heartbeat proves the whole chain: beat published the task, the broker
    carried it, a worker ran it and wrote to the database.
    """
    now = now or timezone.now()
    try:
        last_seen = Heartbeat.objects.filter(name=DISPATCH_HEARTBEAT).values_list("last_seen", flat=True).first()
    except Exception as exc:  # the database is down: the beat check cannot tell
        return CheckResult("beat", False, _error(exc))
    if last_seen is None:
        return CheckResult("beat", False, "the dispatcher has never run")
    age = now - last_seen
    if age > beat_stale_after():
        return CheckResult("beat", False, f"the dispatcher last ran {age.total_seconds():.0f} s ago")
    return CheckResult("beat", True)


#: Every check by name, in the order they run and are reported.
CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "beat": check_beat,
}


def run_checks(names: tuple[str, ...] = tuple(CHECKS)) -> list[CheckResult]:
    """Run the checks ``names`` (keys of :data:`CHECKS`) in order; never raises.

    When the database check failed, the beat check fails without waiting on
    the database a second time.
    """
    results: list[CheckResult] = []
    for name in names:
        database_down = any(r.name == "database" and not r.ok for r in results)
        if name == "beat" and database_down:
            results.append(CheckResult("beat", False, "not checked: the database is down"))
        else:
            results.append(CHECKS[name]())
    return results
