"""Helpers of the integration and fault tests: skipping when a service is missing, free ports, this process's
Celery app pointed at a test broker, and Celery processes started with their log in a file and stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings

WORKER_START_TIMEOUT = 60


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run the integration tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: integration tests must run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def hang_guard(seconds: int = 30):
    """Fail the test instead of hanging when the code under test blocks (a guard, not a timing): raised in
    this (main) thread after ``seconds``."""

    def _hung(signum, frame):
        raise AssertionError(f"still waiting after {seconds} s: the code under test hangs")

    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def celery_broker(url: str):
    """Point this process's Celery app at ``url`` with the production transport options, then back."""
    from apm.celery import app as celery_app

    def reset_pool() -> None:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
            celery_app._pool = None
        celery_app.amqp._producer_pool = None
        # kombu keeps producer pools per connection URL in a global registry;
        # without this the next use of the same URL gets the closed pool.
        kombu.pools.reset()

    saved = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options, celery_app.conf.broker_transport)
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport = None  # the URL's scheme decides (the embedded broker's class would win)
    # As apm/settings.py sets them for REDIS_URL: publishing gives up fast.
    celery_app.conf.broker_transport_options = dict(settings.APM_REDIS_TRANSPORT_OPTIONS)
    reset_pool()
    try:
        yield celery_app
    finally:
        (
            celery_app.conf.broker_url,
            celery_app.conf.broker_transport_options,
            celery_app.conf.broker_transport,
        ) = saved
        reset_pool()


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                pytest.fail(f"The Celery worker exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            time.sleep(0.2)
        pytest.fail(f"Timed out after {timeout}s waiting for {text!r} in the worker log:\n{self.log()[-4000:]}")


def start_logged(command: list[str], *, env: dict[str, str], log_path: Path) -> Worker:
    """Start ``command`` in the project folder, in a session of its own (see ``stop``), its output in ``log_path``."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Worker(process=process, log_path=log_path)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown of the worker's process group, then kill whatever is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
