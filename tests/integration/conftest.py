"""Real services for the integration tests: Redis, PostgreSQL, an SMTP catcher and a Celery worker.

Each fixture skips with a clear reason when its service is missing, except
under ``CI=true``, where a missing service fails the run. Everything started
here is stopped in teardown; the Redis database used is flushed before and
after.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.integration.services import (
    WORKER_START_TIMEOUT,
    celery_broker,
    free_port,
    start_logged,
    stop,
    unavailable,
)

#: Redis database number for this test run: 13, plus the xdist worker index.
REDIS_DB_BASE = 13


def xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker[2:].isdigit() else 0


@pytest.fixture
def redis_url() -> str:
    """A Redis URL on this run's own database number, flushed before and after."""
    import redis

    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB_BASE + xdist_index()}", "", ""))
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable at {base} ({exc}); set REDIS_URL")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url(transactional_db) -> str:
    """The URL of the PostgreSQL test database this test writes to (committed rows)."""
    if connection.vendor != "postgresql":
        unavailable("integration tests need PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_<name>")
    info = connection.settings_dict
    user = quote(info.get("USER") or "")
    password = quote(info.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = info.get("HOST") or "127.0.0.1"
    port = info.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(info['NAME'])}"


@dataclass
class CapturedMail:
    """Messages the SMTP catcher received: (envelope recipients, raw bytes)."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A local SMTP server capturing what it receives; yields (port, CapturedMail)."""
    from aiosmtpd.controller import Controller

    captured = CapturedMail()
    port = free_port()
    controller = Controller(captured, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, captured
    finally:
        controller.stop()


@pytest.fixture
def broker(redis_url):
    """Point this process's Celery app at the test Redis database (and back afterwards)."""
    with celery_broker(redis_url) as celery_app:
        assert celery_app.conf.task_always_eager is False
        yield celery_app


@pytest.fixture
def celery_worker_process(postgres_url, broker, redis_url, smtp_server, tmp_path):
    """A real ``celery -A apm worker`` (prefork, concurrency 1) on the test database, Redis and SMTP."""
    port, _captured = smtp_server
    var_dir = tmp_path / "worker-var"
    var_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "apm.settings",
        "DATABASE_URL": postgres_url,
        "CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "APM_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "apm", "worker", "-l", "info", "-P", "prefork", "-c", "1",
        "--without-mingle", "--without-gossip", "--without-heartbeat", "-n", f"apm-it-{os.getpid()}@%h",
    ]  # fmt: skip
    worker = start_logged(command, env=env, log_path=log_path)
    try:
        worker.wait_for("ready.", WORKER_START_TIMEOUT)
        yield worker
    finally:
        stop(worker.process)
