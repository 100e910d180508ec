"""Celery workers a benchmark starts and stops itself, and reports rendered through them.

    with Fleet(workers=2, env=...) as fleet:
        seconds = render_through_workers(report)
        fleet.peak_rss_mb()

Each worker is ``celery -A apm worker --pool=prefork --concurrency=1`` on the
settings' broker (the embedded one, a folder under ``APM_VAR_DIR``, unless
REDIS_URL says otherwise) and database: N workers lay out N parts at once.
They run with ``APM_WORKER_MAX_MEMORY_MB=0`` so that no pool child is
replaced (its peak memory is what is measured). Nothing is asserted.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
READY = " ready."


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _vm_hwm_mb(pid: int) -> float:
    """A process's own peak resident memory (VmHWM) in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


class Fleet:
    """``workers`` Celery worker processes, started on entry (ready) and stopped on exit."""

    def __init__(self, workers: int, env: dict[str, str] | None = None) -> None:
        self.count = workers
        self.env = {**os.environ, **(env or {}), "APM_WORKER_MAX_MEMORY_MB": "0", "PYTHONUNBUFFERED": "1"}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.folder = Path(tempfile.mkdtemp(prefix="apm-bench-fleet-"))

    def __enter__(self) -> Fleet:
        for index in range(self.count):
            log = self.folder / f"worker{index}.log"
            command = [
                sys.executable, "-m", "celery", "-A", "apm", "worker", "--pool=prefork", "--concurrency=1",
                "--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat",
                "-n", f"bench{index}@%h",
            ]  # fmt: skip
            with log.open("wb") as out:
                self.processes.append(
                    subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT)
                )
            self.logs.append(log)
        deadline = time.monotonic() + 120
        for process, log in zip(self.processes, self.logs, strict=True):
            while READY not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text(errors="replace")[-2000:]
                    self.__exit__()
                    raise RuntimeError(f"A benchmark worker did not start:\n{text}")
                time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def pool_children(self) -> list[int]:
        return [child for process in self.processes for child in _children(process.pid)]

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of the workers' pool children: what one worker needed."""
        return max((_vm_hwm_mb(pid) for pid in self.pool_children()), default=0.0)

    def merge_peak_rss_mb(self) -> float:
        """The largest peak resident memory of the merge processes the workers started for large reports
        (``apm.pdf_merge``, which logs it), 0 when none ran."""
        said = "\n".join(log.read_text(errors="replace") for log in self.logs)
        return max(
            (float(mb) for mb in re.findall(r"in a process of its own: .*?peak memory ([\d.]+) MB", said)), default=0.0
        )

    def log_tail(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-1500:] for log in self.logs)


def render_through_workers(report_id: int, timeout: float = 1800) -> float:
    """Publish report ``report_id``'s render task and wait until the workers have rendered it; the seconds from
    the publish to the rendered row's ``rendered_at`` (snapshot, parts, assembly and the hand-overs between
    them). It looks every tenth of a second: the figure does not depend on when it looks, and looking less
    often leaves the two cores to the workers.

    Raises RuntimeError when it fails or does not finish within ``timeout``.
    """
    from apm import queueing
    from reports.models import Report, ReportStatus
    from reports.task_names import RENDER_REPORT

    started = time.perf_counter()
    published_at = time.time()
    if not queueing.publish(RENDER_REPORT, report_id):
        raise RuntimeError("The broker did not take the render task.")
    while True:
        status, error, rendered_at = (
            Report.objects.filter(pk=report_id).values_list("status", "last_error", "rendered_at").get()
        )
        if status == ReportStatus.RENDERED:
            return rendered_at.timestamp() - published_at
        if status == ReportStatus.FAILED or time.perf_counter() - started > timeout:
            raise RuntimeError(f"Report {report_id} is {status} after {time.perf_counter() - started:.0f} s: {error}")
        time.sleep(0.1)


def queue_report(department, *, title: str, audience: str = "internal") -> int:
    """A queued portfolio report of ``department`` for today (not yet published); its id."""
    from django.utils import timezone

    from reports.models import Report

    now = timezone.now()
    return Report.objects.create(
        kind="portfolio",
        audience=audience,
        scope="department",
        department=department,
        title=title,
        scheduled_for=now,
        period_end=timezone.localdate(),
        queued_at=now,
    ).pk
