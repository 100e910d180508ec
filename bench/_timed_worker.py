"""A Celery worker (solo pool) for bench/report_pipeline.py that times WeasyPrint and every task.

Seconds inside WeasyPrint (layout plus PDF writing) and inside tasks are
added to Redis counters ``bench:weasyprint_seconds`` and ``bench:task_seconds``
on the REDIS_URL database. Usage: ``_timed_worker.py NODENAME``.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
# A worker runs with DEBUG off (apm/settings.py); this one is not started as `celery worker`.
os.environ.setdefault("APM_WORKER", "true")

import django

django.setup()

import redis  # noqa: E402
from celery.signals import task_postrun, task_prerun  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.document import Document  # noqa: E402

from apm.celery import app  # noqa: E402

store = redis.Redis.from_url(os.environ["REDIS_URL"])


def _timed(method):
    """``method``, adding the seconds spent in it to ``bench:weasyprint_seconds``."""

    @functools.wraps(method)
    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            store.incrbyfloat("bench:weasyprint_seconds", time.perf_counter() - started)

    return timed


HTML.render, Document.write_pdf = _timed(HTML.render), _timed(Document.write_pdf)
_started: dict[str, float] = {}


@task_prerun.connect
def _before(task_id=None, **_kwargs):
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _after(task_id=None, **_kwargs):
    store.incrbyfloat("bench:task_seconds", time.perf_counter() - _started.pop(task_id, time.perf_counter()))


if __name__ == "__main__":
    app.worker_main(
        ["worker", "-P", "solo", "-l", "warning", "-n", sys.argv[1], "--without-mingle", "--without-gossip"]
    )
