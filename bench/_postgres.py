"""The PostgreSQL server a benchmark writes to, and its throw-away databases.

    with bench_server() as server:              # APM_BENCH_DATABASE_URL's server, or a private one started here
        with temporary_database(server, "apm_bench_x") as url:
            ...                                 # a new empty database, dropped on the way out

The server is the one of ``APM_BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/apm_bench``), never ``DATABASE_URL``: a
benchmark creates and drops databases. When that server does not answer, a
private cluster is started as ``.ci/run`` starts one (``initdb`` into a
temporary folder, ``pg_ctl`` on a free loopback port, as the ``postgres`` user
when this runs as root) and stopped on the way out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/apm_bench"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def bench_url() -> str:
    return os.environ.get("APM_BENCH_DATABASE_URL") or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name``."""
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def answers(url: str) -> str:
    """Why the server of ``url`` does not answer ("" when it does)."""
    import psycopg

    try:
        with psycopg.connect(with_database(url, "postgres"), connect_timeout=3):
            return ""
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def private_server() -> Iterator[str]:
    """A PostgreSQL cluster of its own on a free port (trust authentication, user ``postgres``); its URL."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"No PostgreSQL server answers and {PG_BIN}/initdb is missing to start one.")
    folder = Path(tempfile.mkdtemp(prefix="apm-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def bench_server() -> Iterator[str]:
    """The URL of the benchmarks' server: ``APM_BENCH_DATABASE_URL``'s when it answers, else a private one."""
    url = bench_url()
    if not answers(url):
        yield url
        return
    with private_server() as private:
        yield private


@contextlib.contextmanager
def temporary_database(server: str, name: str) -> Iterator[str]:
    """A new empty database ``name`` on ``server`` (dropped first if it was left behind); its URL. Dropped on
    the way out."""
    import psycopg

    admin = with_database(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
