"""The fault-test harness: real Celery worker and beat processes, Redis, PostgreSQL and SMTP.

Reuses the integration fixtures (tests/integration/conftest.py) by import:
``redis_url``, ``postgres_url``, ``broker`` and ``smtp_server`` skip with a
clear reason when their service is missing, and fail under ``CI=true``.

On top of them:

- ``fault_mail``: a local SMTP server (aiosmtpd) that records what it
  accepted with its Message-ID, and can *hold* one message after it has
  received the whole DATA, before it answers, so that a test can kill the
  sender at that instant and then decide whether the server keeps the
  message (``accept``: the window SMTP cannot close, the server has it and
  the outbox row is not marked sent) or drops it (the client died before
  the server accepted).
- ``fleet``: starts ``celery -A apm worker`` (prefork) and ``celery -A apm
  beat`` subprocesses on the test PostgreSQL database, the test Redis
  database and ``fault_mail``, with the short intervals of :data:`FAULT_ENV`
  and their own ``APM_VAR_DIR`` each (beat's schedule file); all are killed
  in teardown.
- :func:`pool_children`, :func:`kill`, :func:`redis_unacked` to aim kills;
  :func:`settle` and :func:`audit` to wait for the system to finish and
  count what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.faults.results import FaultResult, record_fault
from tests.integration.conftest import (  # noqa: F401  (fixtures re-exported for tests/faults)
    broker,
    postgres_url,
    redis_url,
    smtp_server,
)
from tests.integration.services import WORKER_START_TIMEOUT, Worker, free_port, start_logged

#: Environment of every worker and beat the fleet starts: short intervals so
#: that recovery happens within seconds. A render or a send that takes longer
#: than APM_STUCK_AFTER_SECONDS is taken over, so it stays well above the few
#: seconds a render takes here.
FAULT_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": "6",
    "APM_DISPATCH_SECONDS": "1",
    "APM_SWEEP_SECONDS": "1",
    "APM_REQUEUE_AFTER_SECONDS": "4",
    "APM_STUCK_AFTER_SECONDS": "8",
    "EMAIL_TIMEOUT": "20",
}
#: The line a beat logs once it runs.
BEAT_READY = "beat: Starting..."
#: Generous guard for "the system has settled" (not a timing assertion).
SETTLE_TIMEOUT = 150


def say(text: str) -> None:
    """Print one line of per-trial detail (captured by pytest; shown with -s or on failure)."""
    print(text, flush=True)  # noqa: T201


# --- SMTP ---------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """One message the SMTP server accepted: envelope recipients and its Message-ID."""

    rcpts: tuple[str, ...]
    message_id: str


@dataclass
class Held:
    """A message the server holds after its DATA: ``decision`` is None until released."""

    message: Accepted
    decision: bool | None = None


@dataclass
class FaultMail:
    """aiosmtpd handler: records accepted messages; can hold one message before answering DATA.

    ``hold_next()`` arms a hold: the next message whose Message-ID was never
    held before is kept waiting after its DATA arrived; ``wait_held()``
    returns its Message-ID; ``release(message_id, accept=...)`` decides its fate: kept
    (recorded as accepted, as a server that had queued it would deliver it,
    whether or not the client is still there to read the 250) or dropped
    (answered 451 and not recorded). The decision is recorded by the test
    thread, not by the handler: aiosmtpd cancels a handler whose client
    disconnected, so a killed sender must not decide what the server keeps.
    Thread-safe: the test thread calls these while the server runs in its
    own thread.
    """

    accepted: list[Accepted] = field(default_factory=list)
    held_ids: list[str] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _armed: bool = False
    _holds: dict[str, Held] = field(default_factory=dict)
    _held_event: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        raw = bytes(envelope.original_content or envelope.content)
        message_id = email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"] or ""
        message = Accepted(tuple(envelope.rcpt_tos), message_id)
        held = None
        with self._lock:
            if self._armed and message_id not in self.held_ids:
                self._armed = False
                held = self._holds[message_id] = Held(message)
                self.held_ids.append(message_id)
                self._held_event.set()
            else:
                self.accepted.append(message)
        if held is None:
            return "250 Message accepted for delivery"
        deadline = time.monotonic() + 60
        while held.decision is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if held.decision:
            return "250 Message accepted for delivery"
        return "451 Requested action aborted: local error in processing"

    def hold_next(self) -> None:
        """Hold the next message (never held before) after its DATA, until :meth:`release`."""
        with self._lock:
            self._held_event.clear()
            self._armed = True

    def wait_held(self, timeout: float = 60) -> str:
        """The Message-ID of the held message, once the server has received all of it."""
        if not self._held_event.wait(timeout):
            pytest.fail(f"No message reached the SMTP server within {timeout}s")
        with self._lock:
            return self.held_ids[-1]

    def release(self, message_id: str, *, accept: bool) -> None:
        """Decide held message ``message_id``: kept and recorded as accepted (``accept``), or dropped."""
        with self._lock:
            held = self._holds.get(message_id)
            if held is None or held.decision is not None:
                return
            if accept:
                self.accepted.append(held.message)
            held.decision = accept

    def accepted_ids(self) -> Counter:
        """How many times the server accepted each Message-ID."""
        with self._lock:
            return Counter(item.message_id for item in self.accepted)


@pytest.fixture
def fault_mail():
    """A local SMTP server with a :class:`FaultMail` handler; ``.port`` is its port."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    handler = FaultMail(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    try:
        controller.start()  # inside the try: a start that fails half-way is stopped too
        yield handler
    finally:
        for message_id in list(handler.held_ids):
            handler.release(message_id, accept=False)
        with contextlib.suppress(AssertionError, RuntimeError):  # "SMTP daemon not running"
            controller.stop()


# --- Processes ----------------------------------------------------------------


def pool_children(pid: int) -> list[int]:
    """Pids of the live child processes of ``pid`` (the prefork pool of a worker), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return sorted(children)


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` (default SIGKILL) to ``pid``; a process already gone is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def redis_unacked(url: str) -> list[str]:
    """Task names of the messages delivered by Redis and not yet acknowledged (running or reserved)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        names = []
        for payload in client.hvals("unacked"):
            message = json.loads(payload)[0]
            names.append(message.get("headers", {}).get("task", "?"))
        return names
    finally:
        client.close()


@dataclass
class Fleet:
    """Celery workers and beats started as subprocesses for one test; see the module docstring."""

    env: dict[str, str]
    tmp_path: Path
    processes: list[Worker] = field(default_factory=list)

    def _start(
        self, name: str, arguments: list[str], ready: str, extra_env: dict[str, str] | None, wait: bool
    ) -> Worker:
        var_dir = self.tmp_path / f"var-{name}"
        var_dir.mkdir()
        env = {**self.env, **(extra_env or {}), "APM_VAR_DIR": str(var_dir)}
        command = [sys.executable, "-m", "celery", "-A", "apm", *arguments]
        started = start_logged(command, env=env, log_path=self.tmp_path / f"{name}.log")
        self.processes.append(started)
        if wait:
            started.wait_for(ready, WORKER_START_TIMEOUT)
        return started

    def worker(
        self, name: str, *, concurrency: int = 1, prefetch: int = 1, extra_env: dict[str, str] | None = None
    ) -> Worker:
        """Start a prefork worker ``name`` and wait until it is ready (fails after WORKER_START_TIMEOUT s)."""
        arguments = [
            "worker", "-l", "info", "-P", "prefork", "-c", str(concurrency), "--prefetch-multiplier", str(prefetch),
            "--without-mingle", "--without-gossip", "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h",
        ]  # fmt: skip
        return self._start(name, arguments, "ready.", extra_env, wait=True)

    def beat(self, name: str, *, extra_env: dict[str, str] | None = None, wait: bool = True) -> Worker:
        """Start a beat ``name`` with its own schedule file; unless ``wait`` is false, wait until it runs.

        Without waiting, call ``wait_for(BEAT_READY, WORKER_START_TIMEOUT)`` on the result.
        """
        return self._start(name, ["beat", "-l", "info"], BEAT_READY, extra_env, wait=wait)

    def stop_all(self) -> None:
        """Kill every process started (and its pool): beats first, so no new work is published."""
        for started in sorted(self.processes, key=lambda p: "beat" not in p.process.args):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(started.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.process.wait(timeout=10)


@pytest.fixture
def fleet(postgres_url, broker, redis_url, fault_mail, tmp_path):  # noqa: F811
    """A :class:`Fleet` on the test database, the test Redis database and ``fault_mail``."""
    env = {
        **os.environ,
        **FAULT_ENV,
        "DJANGO_SETTINGS_MODULE": "apm.settings",
        "DATABASE_URL": postgres_url,
        "CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{fault_mail.port}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    processes = Fleet(env=env, tmp_path=tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()
        # Captured: pytest shows it when the test failed (the tmp folders rotate away).
        for started in processes.processes:
            tail = "\n".join(started.log().splitlines()[-40:])
            say(f"--- last lines of {started.log_path.name} ---\n{tail}")


# --- Outcome ------------------------------------------------------------------


def settle(*, reports: int, timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until ``reports`` reports exist, all rendered, and every outbox email is sent."""
    from apm.outbox.models import EmailStatus, OutboundEmail
    from reports.models import Report, ReportStatus

    def done() -> bool:
        rendered = Report.objects.filter(status=ReportStatus.RENDERED).count()
        return (
            Report.objects.count() == reports
            and rendered == reports
            and not OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists()
        )

    def state() -> str:
        return (
            f"reports {list(Report.objects.values_list('status', flat=True))}, "
            f"emails {list(OutboundEmail.objects.values_list('status', flat=True))}"
        )

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.3)
    pytest.fail(f"The system did not settle within {timeout}s: {state()}")


@dataclass(frozen=True)
class Audit:
    """What arrived, per (report, recipient address): counts for one results-table row.

    ``expected`` pairs of report and recipient, ``delivered`` of them at
    least once, ``duplicates`` more than once (``duplicate_ids``: their
    Message-IDs), ``lost`` never.
    """

    expected: int
    delivered: int
    duplicates: int
    lost: int
    duplicate_ids: frozenset[str]

    def row(self, *, fault: str, trials: int, note: str) -> FaultResult:
        """These counts as one row of the results table."""
        return FaultResult(
            fault=fault,
            trials=trials,
            expected=self.expected,
            delivered=self.delivered,
            duplicates=self.duplicates,
            lost=self.lost,
            note=note,
        )


def audit(mail: FaultMail, *, recipients: list[str]) -> Audit:
    """Count what ``mail`` accepted against every report in the database times ``recipients``.

    Fails the test when an accepted message is not an outbox row of a report
    delivery, when a report has a Delivery row count other than one per
    recipient, or when one (report, recipient) got two *different*
    Message-IDs (a duplicate must be the same message sent again).
    """
    from reports.models import Delivery, Report

    rows = {
        delivery.email.message_id: (delivery.report_id, delivery.email_address.lower())
        for delivery in Delivery.objects.select_related("email")
    }
    per_pair: dict[tuple[int, str], list[str]] = defaultdict(list)
    for item in list(mail.accepted):
        assert item.message_id in rows, f"accepted a message that is no report delivery: {item}"
        report_id, address = rows[item.message_id]
        assert [rcpt.lower() for rcpt in item.rcpts] == [address]
        per_pair[(report_id, address)].append(item.message_id)
    expected_pairs = {
        (pk, address.lower()) for pk in Report.objects.values_list("pk", flat=True) for address in recipients
    }
    for report_id in Report.objects.values_list("pk", flat=True):
        assert Delivery.objects.filter(report_id=report_id).count() == len(recipients)
    for pair, ids in per_pair.items():
        assert len(set(ids)) == 1, f"{pair} got different Message-IDs: {ids}"
    delivered = sum(1 for pair in expected_pairs if per_pair.get(pair))
    duplicate_ids = frozenset(ids[0] for ids in per_pair.values() if len(ids) > 1)
    return Audit(
        expected=len(expected_pairs),
        delivered=delivered,
        duplicates=len(duplicate_ids),
        lost=len(expected_pairs) - delivered,
        duplicate_ids=duplicate_ids,
    )


def audit_and_record(mail: FaultMail, *, fault: str, trials: int, note: str) -> Audit:
    """``audit`` of what ``mail`` accepted, printed and recorded as the row ``fault`` of the results table."""
    result = audit(mail, recipients=RECIPIENTS)
    say(f"{fault}: {result}")
    record_fault(result.row(fault=fault, trials=trials, note=note))
    return result


# --- Data ---------------------------------------------------------------------

#: The department heads every fault-test report goes to (one email each).
RECIPIENTS = ["fault.head@example.com", "fault.deputy@example.com"]


def seed_department(code: str = "FLT", projects: int = 2):
    """A department with ``projects`` green projects and the two heads of :data:`RECIPIENTS`; returns it."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from tests import factories

    department = factories.DepartmentFactory(code=code, name=f"Fault Department {code}")
    for n, address in enumerate(RECIPIENTS):
        head = factories.UserFactory(username=f"{code.lower()}_head{n}", email=address, role="department_head")
        department.heads.add(head)
    as_of = timezone.localdate() - dt.timedelta(days=2)
    for n in range(projects):
        project = factories.ProjectFactory(
            code=f"{code}-{n}",
            name=f"Fault Project {n}",
            rag="green",
            bac=Decimal("100000.00"),
            departments=[department],
        )
        factories.StatusUpdateFactory(project=project, as_of=as_of, rag="green", rating_published="Green")
    return department


def due_schedules(department, count: int, *, at=None, label: str = "schedule") -> list:
    """``count`` daily schedules of ``department`` with ``next_run_at`` = ``at`` (default now).

    Their local time is an hour before now, so the next regular occurrence
    is almost a day away: each fires once during a test.
    """
    import datetime as dt

    from django.utils import timezone

    from tests import factories

    now = timezone.now()
    local = (now - dt.timedelta(hours=1)).astimezone(dt.UTC)
    return [
        factories.ReportScheduleFactory(
            name=f"{department.code} {label} {n}",
            department=department,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            local_time=dt.time(local.hour, local.minute),
            time_zone="UTC",
            next_run_at=at or now,
        )
        for n in range(count)
    ]
