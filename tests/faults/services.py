"""Services the fault tests can break: an own Redis, an own PostgreSQL cluster, an SMTP catcher.

Never the system services: ``RedisServer`` is a ``redis-server`` on a free
port that a test stops (SIGKILL, as a crash) and starts again on the SAME
port, with persistence off, so whatever the broker held is gone when it comes
back (the sweepers must make up for it). ``PostgresCluster`` is a cluster
made with ``initdb`` in a temporary folder (as user postgres via ``runuser``
when run as root), migrated once per session, that a test restarts with
``pg_ctl``. ``SmtpCatcher`` is an aiosmtpd server that refuses connections
while stopped, drops the connection on and then answers 421 to the first
tries of each message when told to (counted per Message-ID, not in time),
550 for chosen recipients, and records the Message-ID of every attempt.

Each fixture skips with a clear reason when its program is missing, and fails
instead under ``CI=true`` (see ``tests.integration.services.unavailable``).
The test modules import the fixture functions (``redis_server_fixture`` etc.);
pytest knows them by their ``name``: ``redis_server``, ``postgres_cluster``, ``smtp_catcher``.
"""

from __future__ import annotations

import contextlib
import email
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.services import WORKER_START_TIMEOUT, Worker, free_port, start_logged, stop, unavailable

#: Seconds a service gets to come up before the test fails (a guard, not a timing).
START_TIMEOUT = 30
#: The line a worker logs each time it runs the outbox sweeper.
SWEEP_OUTBOX = "Task apm.outbox.tasks.sweep_outbox"


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns a truthy value (returned); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --- Redis -------------------------------------------------------------------


@dataclass
class RedisServer:
    """A ``redis-server`` of our own on ``127.0.0.1:port`` (no persistence); stop() and start() keep the port."""

    binary: str
    port: int
    folder: Path
    process: subprocess.Popen | None = None
    starts: int = 0

    def url(self, db: int = 0) -> str:
        """``redis://127.0.0.1:<port>/<db>``."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        """Whether the server answers PING now (one short try)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        """Start the server on the same port as before and wait until it answers PING."""
        assert self.process is None or self.process.poll() is not None, "Redis is already running"
        self.starts += 1
        log = (self.folder / f"redis-{self.starts}.log").open("wb")
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder), "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until(self.ping, START_TIMEOUT, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Kill the server (SIGKILL, like a crash): every queued and reserved message is gone.

        Raises AssertionError when something still answers on the port afterwards.
        """
        self.kill()
        assert not self.ping()

    def kill(self) -> None:
        """SIGKILL the server process if there is one and wait for it; never raises (teardown of a half start)."""
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@pytest.fixture(name="redis_server")
def redis_server_fixture(tmp_path):
    """An own ``RedisServer``, started; killed in teardown."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server): the fault tests start their own")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(binary=binary, port=free_port(), folder=folder)
    try:
        # Inside the try: a server that never answers PING is still killed.
        server.start()
        yield server
    finally:
        server.kill()


# --- PostgreSQL --------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresCluster:
    """An own PostgreSQL cluster on ``127.0.0.1:port`` with database ``dbname`` (migrated)."""

    bin: Path
    folder: Path
    port: int
    dbname: str = "apm_faults"
    as_postgres: bool = False

    @property
    def url(self) -> str:
        """The DATABASE_URL of the cluster's database."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def pg_ctl(self, *args: str) -> None:
        """Run ``pg_ctl -D <data> <args>`` (waits for the action to finish)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "-t", "60", *args)  # fmt: skip

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        self.pg_ctl("start")

    def stop(self) -> None:
        """Fast shutdown: every open connection is cut."""
        self.pg_ctl("stop", "-m", "fast")

    def destroy(self) -> None:
        """Stop the postmaster however far it got and remove the folder; never raises (teardown).

        Tries ``pg_ctl stop -m immediate`` first; if that fails or times out
        (no data folder yet, a start that hung), SIGKILLs the postmaster
        named in ``postmaster.pid``, if any.
        """
        data = self.folder / "data"
        if (data / "PG_VERSION").exists():
            prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
            stopped = False
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                stopped = (
                    subprocess.run(
                        [
                            *prefix,
                            str(self.bin / "pg_ctl"),
                            "-D",
                            str(data),
                            "stop",
                            "-m",
                            "immediate",
                            "-w",
                            "-t",
                            "30",
                        ],
                        capture_output=True,
                        timeout=60,
                        check=False,
                    ).returncode
                    == 0
                )
            if not stopped:
                self._kill_postmaster(data)
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _kill_postmaster(data: Path) -> None:
        """SIGKILL the postmaster of ``data`` (from postmaster.pid) if it is still a postgres of that folder."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((data / "postmaster.pid").read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "postgres" in cmdline and str(data) in cmdline:
                os.kill(pid, signal.SIGKILL)

    def connect(self):
        """A new autocommit psycopg connection to the database (the caller closes it)."""
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on a fresh connection; the rows it returns ([] for none)."""
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session", name="postgres_cluster")
def postgres_cluster_fixture():
    """An own ``PostgresCluster`` for the session: initdb, start, createdb and ``manage.py migrate`` once."""
    pg_bin = _pg_bin()
    if pg_bin is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed: the fault tests start their own")
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        unavailable("running as root without runuser: cannot start PostgreSQL as user postgres")
    folder = Path(tempfile.mkdtemp(prefix="apm-faults-pg-"))
    if as_postgres:
        shutil.chown(folder, user="postgres", group="postgres")
    cluster = PostgresCluster(bin=pg_bin, folder=folder, port=free_port(), as_postgres=as_postgres)
    try:
        # Inside the try: a failed initdb or a start that times out still
        # leaves no postgres process and no apm-faults-pg-* folder behind.
        cluster._run(str(pg_bin / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")
        cluster.start()
        cluster._run(str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                     cluster.dbname)  # fmt: skip
        run_python(
            ["manage.py", "migrate", "--noinput"],
            database_url=cluster.url,
            timeout=300,
            failure="migrate on the fault-test cluster failed",
        )
        yield cluster
    finally:
        cluster.destroy()


def run_django(code: str, *, database_url: str, media_root: Path) -> str:
    """Run Python ``code`` in a new Django process on ``database_url``; returns what it printed.

    For writing rows into a database the test process is not connected to
    (the own PostgreSQL cluster). Fails the test when the code raises.
    """
    script = "import django; django.setup()\n" + code
    return run_python(
        ["-c", script],
        database_url=database_url,
        timeout=120,
        failure=f"Django snippet failed:\n{code}",
        MEDIA_ROOT=str(media_root),
    )


def run_python(arguments: list[str], *, database_url: str, timeout: float, failure: str, **env: str) -> str:
    """Run ``python <arguments>`` in the project folder with APM's settings on ``database_url``; what it printed.

    ``env`` adds to its environment. Fails the test with ``failure``, the output and the errors when it exits
    with an error.
    """
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "apm.settings", "DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{failure}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --- SMTP --------------------------------------------------------------------

#: The reply code recorded for an attempt whose connection the catcher cut instead of answering.
DROPPED = 0


@dataclass
class SmtpCatcher:
    """A local SMTP server that can be down, answer 421 for a while, or 550 for some recipients.

    ``start()``/``stop()`` listen on the same port each time (stopped:
    connection refused). While listening, any message to an address in
    ``permanent`` is answered "550"; otherwise the first ``drop_first`` DATA
    commands of each Message-ID get no answer, the connection is cut (the
    client sees the server disconnect), the next ``refuse_first`` are
    answered "421" (a temporary failure), and the rest are accepted. Every
    DATA attempt is recorded in ``attempts`` as (Message-ID, recipients,
    reply code; :data:`DROPPED` for a cut connection); accepted messages also
    in ``accepted`` as (Message-ID, recipients, raw bytes).
    """

    port: int
    drop_first: int = 0
    refuse_first: int = 0
    permanent: set[str] = field(default_factory=set)
    attempts: list[tuple[str, tuple[str, ...], int]] = field(default_factory=list)
    accepted: list[tuple[str, tuple[str, ...], bytes]] = field(default_factory=list)
    _controller: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        raw = bytes(envelope.original_content or envelope.content)
        message_id = email.message_from_bytes(raw, policy=policy.default).get("Message-ID", "")
        rcpts = tuple(address.lower() for address in envelope.rcpt_tos)
        with self._lock:
            tried = sum(1 for seen, _rcpts, _code in self.attempts if seen == message_id)
            if self.permanent.intersection(rcpts):
                code = 550
            elif tried < self.drop_first:
                code = DROPPED
            elif tried < self.drop_first + self.refuse_first:
                code = 421
            else:
                code = 250
                self.accepted.append((message_id, rcpts, raw))
            self.attempts.append((message_id, rcpts, code))
        if code == DROPPED:
            # No reply: the client's read fails (SMTPServerDisconnected), the message was not taken.
            server.transport.abort()
        return {
            DROPPED: "421 4.4.2 Connection dropped",
            550: "550 5.1.1 Mailbox unavailable",
            421: "421 4.3.2 Service not available, try again later",
            250: "250 Message accepted for delivery",
        }[code]

    @property
    def listening(self) -> bool:
        """Whether the server is up (else connections are refused)."""
        return self._controller is not None

    def start(self) -> None:
        """Listen on ``port`` (again)."""
        from aiosmtpd.controller import Controller

        assert self._controller is None, "the SMTP catcher is already listening"
        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller = controller  # before start(): stop() cleans up a start that failed half-way
        controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start()``. Safe when not (fully) started."""
        controller, self._controller = self._controller, None
        if controller is not None:
            with contextlib.suppress(AssertionError, RuntimeError):
                controller.stop()

    def accepted_per_message_id(self) -> Counter:
        """How many times each Message-ID was accepted (a count over 1 is a duplicate)."""
        with self._lock:
            return Counter(message_id for message_id, _rcpts, _raw in self.accepted)

    def attempted_message_ids(self, address: str) -> set[str]:
        """Every Message-ID an attempt to ``address`` carried."""
        with self._lock:
            return {mid for mid, rcpts, _code in self.attempts if address.lower() in rcpts}


@pytest.fixture(name="smtp_catcher")
def smtp_catcher_fixture():
    """An ``SmtpCatcher`` on a free port, listening and accepting; stopped in teardown."""
    catcher = SmtpCatcher(port=free_port())
    try:
        catcher.start()
        yield catcher
    finally:
        catcher.stop()


# --- Celery processes ----------------------------------------------------------


def service_env(
    database_url: str, redis_server: RedisServer, smtp_catcher: SmtpCatcher, tmp_path: Path, **extra: str
) -> dict[str, str]:
    """The environment of a worker or beat on the given services, with short intervals for tests.

    The database at ``database_url``, the Redis and SMTP servers of the fixtures, the test's MEDIA_ROOT and
    ``tmp_path``/var for APM_VAR_DIR. Dispatch and sweep every second, queued work re-published after 3 s,
    retries after 0.2 s doubling; ``extra`` overrides any of them.
    """
    var_dir = tmp_path / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "apm.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_catcher.port}",
        "EMAIL_TIMEOUT": "5",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "APM_VAR_DIR": str(var_dir),
        "APM_DISPATCH_SECONDS": "1",
        "APM_SWEEP_SECONDS": "1",
        "APM_REQUEUE_AFTER_SECONDS": "3",
        "APM_RETRY_BASE_SECONDS": "0.2",
        "CELERY_VISIBILITY_TIMEOUT": "30",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_celery(kind: str, *, env: dict[str, str], log_path: Path, name: str = "") -> Worker:
    """Start ``celery -A apm worker`` (prefork, concurrency 1) or ``celery -A apm beat``; wait until it runs.

    ``kind`` is "worker" or "beat". Returns a ``Worker`` (process and log);
    stop it with ``tests.integration.services.stop``.
    """
    if kind == "worker":
        command = [
            sys.executable, "-m", "celery", "-A", "apm", "worker", "-l", "info", "-P", "prefork", "-c", "1",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "-n", f"{name or 'apm-faults'}-{os.getpid()}@%h",
        ]  # fmt: skip
        ready = "ready."
    else:
        schedule = Path(env["APM_VAR_DIR"]) / "beat-schedule"
        command = [sys.executable, "-m", "celery", "-A", "apm", "beat", "-l", "info", "-s", str(schedule),
                   "--max-interval", "1"]  # fmt: skip
        ready = "beat: Starting..."
    worker = start_logged(command, env=env, log_path=log_path)
    try:
        worker.wait_for(ready, WORKER_START_TIMEOUT)
    except BaseException:
        stop(worker.process)
        raise
    return worker


@contextlib.contextmanager
def worker_and_beat(env: dict[str, str], tmp_path: Path):
    """A worker and a beat on ``env`` for the block, as ``(worker, beat)``; both stopped after it.

    Fails the test when either has exited by the end of the block.
    """
    worker = start_celery("worker", env=env, log_path=tmp_path / "worker.log")
    beat = None
    try:
        beat = start_celery("beat", env=env, log_path=tmp_path / "beat.log")
        yield worker, beat
        assert alive(worker.process), "the worker exited"
        assert alive(beat.process), "beat exited"
    finally:
        if beat is not None:
            stop(beat.process)
        stop(worker.process)


def wait_for_sweeps(worker: Worker, count: int, timeout: float) -> None:
    """Let the worker run the outbox sweeper ``count`` more times (from its log)."""
    sweeps = worker.log().count(SWEEP_OUTBOX)
    wait_until(lambda: worker.log().count(SWEEP_OUTBOX) >= sweeps + count, timeout, f"{count} more sweeps")


@contextlib.contextmanager
def frozen(process: subprocess.Popen):
    """Freeze ``process`` and its children (SIGSTOP to its process group) for the block; SIGCONT after.

    For a process started with ``start_new_session=True`` (the group is its
    pid), e.g. a worker and its pool: while frozen it makes no progress, so
    what the test reads and does in the block cannot race it, however long
    the block takes.
    """
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGCONT)


def alive(process: subprocess.Popen) -> bool:
    """Whether the process is still the one we started and running (not exited, not restarted)."""
    return process.poll() is None


# --- Data ----------------------------------------------------------------------


def department_with_heads(code: str, head_emails: list[str]):
    """A department ``code`` with one project and a department head per address in ``head_emails``.

    Returns the Department. Usable in the test process and, through
    ``run_django``, in a process on the own PostgreSQL cluster.
    """
    from apm.accounts.models import Role
    from tests import factories

    department = factories.DepartmentFactory(code=code, name=f"Fault department {code}")
    for address in head_emails:
        username = f"{code.lower()}_{address.split('@')[0]}".replace(".", "_")
        department.heads.add(factories.UserFactory(username=username, email=address, role=Role.DEPARTMENT_HEAD))
    factories.ProjectFactory(code=f"{code}-1", name=f"Fault project {code}", departments=[department])
    return department
