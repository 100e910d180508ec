"""kill -9 a Celery worker at named points: no report and no email is lost.

Real processes (see tests/faults/conftest.py): a prefork worker and a beat
on the PostgreSQL test database and Redis, with a 6 s visibility timeout,
dispatch and sweeps every second, work taken as lost after 8 s in rendering
or sending, and a local SMTP server that records each accepted Message-ID.

Five kill points:

- the pool child while it renders a report (it is frozen with SIGSTOP
  first, and killed only when the report row is still "rendering" with no
  PDF, so the kill lands mid-render; once the killed child's database
  sessions have ended, a render whose COMMIT was already on its way and
  landed counts as a missed kill, not a killed one);
- the pool child while it lays out a part of a report laid out in parts
  (``reports.services.chunking``; the fleet runs with a low
  APM_REPORT_CHUNK_ABOVE for it): the first part, which the render task lays
  out itself, then the second, from its own task on the bulk queue; aimed
  the same way, at the part's row "rendering" and not done. The sweeper
  takes each killed part over after APM_STUCK_AFTER_SECONDS, and the last
  part done brings the assembly;
- the pool child while it assembles such a report (the report row
  "assembling" with no PDF), aimed the same way; the sweeper takes the
  assembly over after APM_STUCK_AFTER_SECONDS;
- the pool child while it sends, the SMTP server holding its reply to DATA:
  either the server then drops the message (the client died before it was
  accepted: it must arrive exactly once) or keeps it (the one window SMTP
  cannot close: the server has it and the row is not marked sent; it is
  sent again, with the same Message-ID);
- the main worker process while it has tasks reserved (prefetched, not yet
  acknowledged: visible in Redis's ``unacked`` hash) and its pool child is
  mid-send (Celery gives pool children PDEATHSIG=SIGKILL, so the child dies
  with it; the server keeps the held message in one trial, drops it in the
  other); a new worker is started and the work comes back (the sweepers
  re-publish queued rows after APM_REQUEUE_AFTER_SECONDS and take rows
  stuck in rendering or sending after APM_STUCK_AFTER_SECONDS; Redis also
  restores the dead worker's unacknowledged messages once the visibility
  timeout has passed, at kombu's next restore scan, which can be later).

And a poison pill: a report whose render is killed on every try ends
failed after APM_MAX_TRIES, with the reason, instead of looping.

After the kills the test waits (guard: SETTLE_TIMEOUT) until every report
is rendered and every email sent, then counts per (report, recipient):
every one delivered, a duplicate only where the server kept a message from
a killed sender, and then with one Message-ID. A report laid out in parts
must also come out once, with every part done and in its PDF, and its
emails exactly once each.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from apm.outbox.models import OutboundEmail
from reports.models import ChunkStatus, Delivery, Report, ReportChunk, ReportStatus
from tests import factories
from tests.faults.conftest import (
    Audit,
    audit_and_record,
    due_schedules,
    kill,
    pool_children,
    redis_unacked,
    say,
    seed_department,
    settle,
)
from tests.faults.results import FaultResult, record_fault
from tests.faults.services import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RENDER_KILLS = 4
#: Send kills: (server keeps the message?) per trial.
SEND_KILLS = (False, True, False, True)
#: Main worker kills: (server keeps the held message?) per trial.
MAIN_KILLS = (True, False)
#: The parts of a report laid out in parts whose layout is killed (0-based): the first, laid out by the render
#: task itself, and the second, then laid out by its own task from the bulk queue (the render task, which
#: would have gone on with it, is dead).
PART_KILLS = (0, 1)
#: Projects of a chunked test's department, and the threshold its fleet runs with (per test: the other tests
#: keep the default and render in one pass), so that its report is laid out in parts: two, the cover and
#: summary, then the projects table (long enough that its layout is caught in the act; cut as a large
#: report's parts are, not smaller).
CHUNKED_PROJECTS = 30
CHUNKED_ENV = {"APM_REPORT_CHUNK_ABOVE": "10", "APM_REPORT_MIN_PARTS": "1"}


def only_child(worker) -> int:
    """The single pool child of a worker started with concurrency 1."""
    return wait_until(lambda: pool_children(worker.process.pid)[:1], 60, "the worker's pool child")[0]


def database_backends(pid: int) -> list[int]:
    """PostgreSQL backend pids serving ``pid``'s TCP connections to the test database (from /proc and pg_stat_activity).

    Matches the process's sockets (``/proc/<pid>/fd``) to their local ports
    in ``/proc/<pid>/net/tcp*`` (remote port: the database's), and those to
    ``pg_stat_activity.client_port``. [] when it has none (or reaches the
    database over a Unix socket).
    """
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    db_port = int(connection.settings_dict.get("PORT") or 5432)
    ports = []
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == db_port:
                    ports.append(int(local.rsplit(":", 1)[1], 16))
    if not ports:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND client_port = ANY(%s)", [ports]
        )
        return [row[0] for row in cursor.fetchall()]


def backends_alive(backends: list[int]) -> bool:
    """Whether any of these PostgreSQL backend pids still runs (has not finished its client's last statements)."""
    if not backends:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [backends])
        return cursor.fetchone()[0] > 0


def kill_mid_step(worker, working: Callable[[], bool], what: str) -> int | None:
    """SIGKILL the pool child while ``working()`` says its step is under way; its pid, or None for a missed kill.

    The child is frozen (SIGSTOP) first; when the step is no longer under
    way it is let go on (SIGCONT). Else it is killed, and once its database
    sessions have ended (a backend runs what its client sent, e.g. a COMMIT
    already on its way, before it sees the connection close) ``working()``
    is asked again: a step that committed after all is a missed kill too
    (None), so every kill counted really interrupted a step.
    """
    child = only_child(worker)
    kill(child, signal.SIGSTOP)
    if not working():
        kill(child, signal.SIGCONT)
        return None
    backends = database_backends(child)
    kill(child)
    wait_until(lambda: not backends_alive(backends), 60, f"the database sessions {backends} of killed child {child}")
    if not working():
        say(f"{what}: committed before pool child {child} was killed")
        return None
    say(f"{what}: pool child {child} killed mid-step; its database sessions {backends} ended")
    return child


def kill_mid_render(worker, report_id: int) -> int | None:
    """SIGKILL the pool child while it renders ``report_id`` (the row "rendering", no PDF): :func:`kill_mid_step`."""

    def rendering() -> bool:
        row = Report.objects.get(pk=report_id)
        return row.status == ReportStatus.RENDERING and row.rendered_at is None

    return kill_mid_step(worker, rendering, f"report {report_id}'s render")


@contextlib.contextmanager
def delivery_writes_blocked():
    """Hold a SHARE lock on the Delivery table: a render then waits in its final transaction, before commit."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Delivery._meta.db_table} IN SHARE MODE")
        yield


def render_waiting_on_delivery_lock() -> bool:
    """Whether a database session waits for the Delivery table lock (a render about to commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
            [Delivery._meta.db_table],
        )
        return cursor.fetchone()[0] > 0


def kill_render_before_commit(worker) -> tuple[Report, int]:
    """Kill the pool child once the render it runs has built its PDF and waits to commit it.

    Deterministic: the Delivery table is locked first, so the next render
    stops in its final transaction (report row updated, PDF file written,
    not committed). With one pool child the render that waits is the report
    in rendering that started last (earlier ones are renders already killed).
    Returns (that report as it was, the killed child's pid).
    """
    with delivery_writes_blocked():
        wait_until(render_waiting_on_delivery_lock, 60, "a render to wait for its commit")
        report = Report.objects.filter(status=ReportStatus.RENDERING).order_by("-render_started_at").first()
        child = only_child(worker)
        kill(child)
    return report, child


def test_kill_9_the_pool_child_while_it_renders(fleet, fault_mail):
    department = seed_department()
    worker = fleet.worker("render-kill")
    fleet.beat("beat")
    killed: list[int] = []
    schedules = []
    misses = 0
    for trial in range(1, RENDER_KILLS + 1):
        before_commit = trial % 2 == 0
        while True:
            [schedule] = due_schedules(department, 1, label=f"trial {trial} try {misses}")
            schedules.append(schedule)
            if before_commit:
                # Usually this trial's report; a sweeper's takeover of an
                # earlier killed one if that comes first (killed again).
                report, child = kill_render_before_commit(worker)
                report_id = report.pk
                break

            def started(schedule=schedule):
                return Report.objects.filter(schedule=schedule).exclude(status=ReportStatus.QUEUED).first()

            report_id = wait_until(started, 60, "the report's render to start", interval=0.02).pk
            child = kill_mid_render(worker, report_id)
            if child is not None:
                break
            misses += 1
            assert misses <= 5, "every render finished before it could be frozen"
            say(f"render kill {trial}: report {report_id} finished before the kill; another schedule falls due")
        killed.append(report_id)
        where = "waiting to commit its PDF" if before_commit else "mid-render (frozen, then killed)"
        say(f"render kill {trial}: report {report_id} {where}, pool child {child} killed")

    settle(reports=len(schedules))
    for schedule in schedules:
        assert Report.objects.filter(schedule=schedule).count() == 1
    for report in Report.objects.filter(pk__in=killed):
        assert report.tries >= 2, "a killed render is rendered again"
    result = audit_and_record(
        fault_mail,
        fault="kill -9 pool child while rendering",
        trials=len(killed),
        note=f"emails; {len(schedules)} reports; half mid-render, half with the PDF built, before commit",
    )
    assert (result.delivered, result.duplicates, result.lost) == (result.expected, 0, 0)
    assert sum(fault_mail.accepted_ids().values()) == result.expected


def test_kill_9_the_pool_child_while_it_sends(fleet, fault_mail):
    department = seed_department()
    schedules = due_schedules(department, 2)
    fault_mail.hold_next()
    worker = fleet.worker("send-kill")
    fleet.beat("beat")
    kept: list[str] = []
    for trial, keep in enumerate(SEND_KILLS, start=1):
        message_id = fault_mail.wait_held()
        row = OutboundEmail.objects.get(message_id=message_id)
        assert row.status == "sending"
        child = only_child(worker)
        kill(child)
        # The server answers only now: the client is gone either way.
        if trial < len(SEND_KILLS):
            fault_mail.hold_next()
        fault_mail.release(message_id, accept=keep)
        if keep:
            kept.append(message_id)
        window = "after the server kept the message" if keep else "before the server accepted"
        say(f"send kill {trial}: email {row.pk} {message_id} mid-send, pool child {child} killed {window}")

    settle(reports=len(schedules))
    result = audit_and_record(
        fault_mail,
        fault="kill -9 pool child while sending",
        trials=len(SEND_KILLS),
        note=f"emails; duplicates only where the server kept a killed send ({len(kept)} trials), same Message-ID",
    )
    assert (result.delivered, result.lost) == (result.expected, 0)
    # Sent twice exactly where the server had kept the message of a killed
    # sender (re-sent with the same Message-ID), and nowhere else.
    assert result.duplicate_ids == frozenset(kept)
    counts = fault_mail.accepted_ids()
    assert all(counts[message_id] == 2 for message_id in kept)
    assert sum(counts.values()) == result.expected + len(kept)


def test_kill_9_the_main_worker_process_with_tasks_reserved(fleet, fault_mail, redis_url):
    department = seed_department()
    fleet.beat("beat")
    worker = fleet.worker("main-kill-0", prefetch=4)
    reports = 0
    kept: list[str] = []
    for trial, keep in enumerate(MAIN_KILLS, start=1):
        reports += len(due_schedules(department, 2, label=f"trial {trial}"))
        # The pool child is kept busy sending (the server holds its DATA)
        # while the main process reserves more work from Redis.
        fault_mail.hold_next()
        message_id = fault_mail.wait_held()

        def reserved():
            names = redis_unacked(redis_url)
            work = [name for name in names if name.endswith(("render_report", "send_email"))]
            return names if len(names) >= 3 and len(work) >= 2 else None

        names = wait_until(reserved, 60, "the worker to reserve report work while its child sends")
        kill(worker.process.pid)
        worker.process.wait(timeout=10)
        # Celery gives pool children PDEATHSIG=SIGKILL: the sending child dies
        # with its parent, so it never reads this answer.
        fault_mail.release(message_id, accept=keep)
        if keep:
            kept.append(message_id)
        say(f"main kill {trial}: worker {worker.process.pid} killed with {len(names)} unacked tasks: {sorted(names)}")
        worker = fleet.worker(f"main-kill-{trial}", prefetch=4)
        say(f"  new worker {worker.process.pid} ready; unacked now {len(redis_unacked(redis_url))}")

    settle(reports=reports)
    result = audit_and_record(
        fault_mail,
        fault="kill -9 main worker with reserved tasks",
        trials=len(MAIN_KILLS),
        note=f"emails; {reports} reports; new worker started after each kill",
    )
    assert (result.delivered, result.lost) == (result.expected, 0)
    # Only a message the server kept while its sender's worker died may come twice.
    assert result.duplicate_ids <= frozenset(kept)


def test_kill_9_the_pool_child_on_every_render_try(fleet, fault_mail, client):
    """A report that kills its worker every time (a poison pill) ends failed, visibly, after the last try."""
    department = seed_department()
    [schedule] = due_schedules(department, 1)
    worker = fleet.worker("poison", extra_env={"APM_MAX_TRIES": "2"})
    fleet.beat("beat", extra_env={"APM_MAX_TRIES": "2"})
    for attempt in (1, 2):
        # Try 2 is the sweeper's takeover, APM_STUCK_AFTER_SECONDS after try 1.
        report, child = kill_render_before_commit(worker)
        assert (report.schedule_id, report.tries) == (schedule.pk, attempt)
        say(f"poison kill {attempt}: pool child {child} killed during render try {attempt} of report {report.pk}")
    report = wait_until(
        lambda: Report.objects.filter(schedule=schedule, status=ReportStatus.FAILED).first(), 60, "the report to fail"
    )
    say(f"poison: report {report.pk} {report.status} after {report.tries} tries: {report.last_error}")
    record_fault(
        FaultResult(
            fault="kill -9 pool child on every render try",
            trials=2,
            expected=0,
            delivered=0,
            duplicates=0,
            lost=0,
            note="1 report failed as it should, after APM_MAX_TRIES=2, with the reason; visible as failed "
            "on the department's reports page, not retried forever",
        )
    )
    assert report.tries == 2
    assert "worker was lost" in report.last_error
    assert OutboundEmail.objects.count() == 0
    assert fault_mail.accepted == []
    # Listed as failed on the department's reports page.
    client.force_login(factories.UserFactory(username="poison_admin", role="administrator", is_staff=True))
    page = client.get(reverse("reports:department", kwargs={"code": department.code}))
    assert page.status_code == 200
    assert 'report-status-failed">Failed<' in page.content.decode()


# --- Reports laid out in parts ----------------------------------------------------


def seed_chunked_department(code: str):
    """``seed_department``'s department with :data:`CHUNKED_PROJECTS` green projects; returns it.

    Its own project codes: none of its parts is in the chunk cache yet.
    """
    return seed_department(code, projects=CHUNKED_PROJECTS)


def planned_parts(schedule) -> tuple[int, list[str]] | None:
    """``schedule``'s report once its parts are planned: (its id, its parts' cache keys in order); None before.

    The keys are [] when the report got past its parts before they were read (they are dropped once it is
    rendered).
    """
    report = Report.objects.filter(schedule=schedule).first()
    if report is None:
        return None
    keys = list(ReportChunk.objects.filter(report=report).order_by("index").values_list("key", flat=True))
    past = report.status in (ReportStatus.ASSEMBLING, ReportStatus.RENDERED, ReportStatus.FAILED)
    return (report.pk, keys) if keys or past else None


def part_rendering(report_id: int, index: int) -> bool:
    """Whether part ``index`` of ``report_id`` is being laid out (its row "rendering", not done)."""
    return ReportChunk.objects.filter(
        report_id=report_id, index=index, status=ChunkStatus.RENDERING, done_at__isnull=True
    ).exists()


def assembling(report_id: int) -> bool:
    """Whether ``report_id`` is being assembled (its row "assembling", no PDF)."""
    row = Report.objects.get(pk=report_id)
    return row.status == ReportStatus.ASSEMBLING and row.rendered_at is None


def pdf_text(report: Report) -> str:
    """The text of ``report``'s stored PDF, page after page; fails unless it has ``report.page_count`` pages."""
    with report.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == report.page_count
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_whole(report: Report, department) -> None:
    """``report`` is rendered with its PDF stored, and the PDF holds every part: the cover's title and the
    table's row of every project of ``department``."""
    assert report.status == ReportStatus.RENDERED
    assert report.pdf.name
    assert report.page_count >= 2
    text = pdf_text(report)
    assert " ".join(report.title.split()) in " ".join(text.split())
    for code in department.projects.values_list("code", flat=True):
        # Not followed by a digit: FP0-1 is not found in FP0-12.
        assert re.search(re.escape(code) + r"(?!\d)", text), f"project {code} is missing from the assembled PDF"


def assert_parts_done(report: Report, keys: list[str] | None = None) -> None:
    """``report`` was laid out in parts and every part is done; with ``keys``, each part under the cache key it
    was planned with (in order; [] when the test did not see them: not compared)."""
    parts = list(report.chunks.order_by("index").values_list("key", "status"))
    assert len(parts) >= 2, f"report {report.pk} was laid out in {len(parts)} parts"
    assert {status for _key, status in parts} == {ChunkStatus.DONE}
    if keys:
        assert [key for key, _status in parts] == keys


def assert_once_each(fault_mail, result: Audit) -> None:
    """Every recipient of every report got its email exactly once, with one Message-ID."""
    assert (result.delivered, result.duplicates, result.lost) == (result.expected, 0, 0)
    counts = fault_mail.accepted_ids()
    assert set(counts.values()) == {1}
    assert sum(counts.values()) == result.expected


def test_kill_9_the_pool_child_while_it_lays_out_a_part(fleet, fault_mail):
    worker = fleet.worker("part-kill", extra_env=CHUNKED_ENV)
    fleet.beat("beat", extra_env=CHUNKED_ENV)
    departments = {}
    planned: dict[int, list[str]] = {}
    killed: list[tuple[int, int]] = []
    for attempt in range(3):
        # A new department after a miss: the parts of the last one are in the chunk cache now.
        department = seed_chunked_department(f"FP{attempt}")
        [schedule] = due_schedules(department, 1, label=f"attempt {attempt}")
        report_id, keys = wait_until(
            lambda schedule=schedule: planned_parts(schedule), 60, "the report's parts to be planned", interval=0.02
        )
        departments[report_id], planned[report_id] = department, keys
        say(f"part kills, attempt {attempt}: report {report_id} in {len(keys)} parts")
        for index in PART_KILLS:

            def taken(index=index, report_id=report_id):
                row = ReportChunk.objects.filter(report_id=report_id, index=index).first()
                return row is None or row.status != ChunkStatus.QUEUED

            wait_until(taken, 60, f"part {index + 1} to be taken by a worker", interval=0.02)
            what = f"report {report_id} part {index + 1} of {len(keys)}"
            child = kill_mid_step(
                worker, lambda index=index, report_id=report_id: part_rendering(report_id, index), what
            )
            if child is not None:
                killed.append((report_id, index))
        if killed:
            break
        say(f"part kills, attempt {attempt}: every part was laid out before it could be frozen")
    assert killed, "every part was laid out before it could be frozen"

    settle(reports=len(planned))
    for report_id, department in departments.items():
        report = Report.objects.get(pk=report_id)
        assert Report.objects.filter(schedule=report.schedule).count() == 1
        assert_whole(report, department)
        assert_parts_done(report, planned[report_id])
    for report_id, index in killed:
        # Taken over after APM_STUCK_AFTER_SECONDS: a second claim of the killed part.
        assert ReportChunk.objects.get(report_id=report_id, index=index).tries >= 2, "a killed part is laid out again"
    result = audit_and_record(
        fault_mail,
        fault="kill -9 pool child while laying out a part",
        trials=len(killed),
        note=f"emails; {len(planned)} report(s) in parts; killed mid-layout: "
        + ", ".join(f"part {index + 1}" for _report_id, index in killed),
    )
    assert_once_each(fault_mail, result)


def test_kill_9_the_pool_child_while_it_assembles(fleet, fault_mail):
    department = seed_chunked_department("FAS")
    worker = fleet.worker("assembly-kill", extra_env=CHUNKED_ENV)
    fleet.beat("beat", extra_env=CHUNKED_ENV)
    reports: list[int] = []
    killed = None
    for attempt in range(5):
        # After a miss the next report's parts come from the chunk cache: it goes straight to its assembly.
        [schedule] = due_schedules(department, 1, label=f"attempt {attempt}")

        def started(schedule=schedule):
            past = (ReportStatus.ASSEMBLING, ReportStatus.RENDERED, ReportStatus.FAILED)
            return Report.objects.filter(schedule=schedule, status__in=past).first()

        report_id = wait_until(started, 60, "the report's assembly to start", interval=0.02).pk
        reports.append(report_id)
        child = kill_mid_step(
            worker, lambda report_id=report_id: assembling(report_id), f"report {report_id}'s assembly"
        )
        if child is not None:
            killed = report_id
            break
        say(f"assembly kill, attempt {attempt}: report {report_id} assembled before it could be frozen")
    assert killed is not None, "every assembly finished before it could be frozen"

    settle(reports=len(reports))
    for report in Report.objects.filter(pk__in=reports):
        assert Report.objects.filter(schedule=report.schedule).count() == 1
        assert_whole(report, department)
        assert_parts_done(report)
    # Taken over by the sweeper after APM_STUCK_AFTER_SECONDS: a second try of the assembly.
    assert Report.objects.get(pk=killed).tries >= 2, "a killed assembly is assembled again"
    result = audit_and_record(
        fault_mail,
        fault="kill -9 pool child while assembling",
        trials=1,
        note=f"emails; {len(reports)} report(s) in parts; its assembly killed, the sweeper's took over",
    )
    assert_once_each(fault_mail, result)
