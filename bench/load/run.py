"""The load test, end to end: seed, serve, load, measure, tear down (``make load``).

    .venv/bin/python bench/load/run.py [--users 25] [--spawn-rate 1] [--run-time 90] [--web-workers 4]
        [--worker-nice 10] [--force-seed]

1. Creates the PostgreSQL database when missing (``APM_LOAD_DATABASE_URL``,
   default ``postgres://postgres@127.0.0.1:5432/apm_load``), migrates it and
   seeds 10,000 projects and 500 people (``bench/load/seed.py``; reused when
   its marker says it is seeded, ``--force-seed`` to seed again).
2. Starts, as in production with ``DEBUG=false``: gunicorn on a free
   loopback port, one Celery worker and one beat (at ``--worker-nice``) on
   a ``redis-server`` of its own on a free port (or ``APM_LOAD_REDIS_URL``,
   a database given to this test alone: it is flushed),
   email written as files under ``bench/out/var/mail``. The load schedules
   (40 client highlight reports and one department portfolio) are made due
   at the start, with the dispatcher every 10 s, so reports are generated in
   the background while the pages are loaded.
3. Runs locust headless (``bench/load/locustfile.py``, from the venv
   ``bench/out/venv-load`` made from ``bench/requirements-load.txt``),
   bounded by ``--users`` and ``--run-time`` seconds.
4. Prints requests per second, p50/p95/p99 latency (ms) and the error rate
   per page and overall, the reports rendered and emails sent during the
   run, and whether the target holds (no error, p95 under 300 ms for
   pages; the login POST is shown apart: PBKDF2 is slow on purpose). Saves
   the same under ``bench/out/`` (``load-summary.txt``, ``load-summary.json``
   and a time-stamped copy of each).
5. Stops every process it started (by process group), also on Ctrl-C.

Nothing is asserted; the exit status is 0 unless a step fails to start.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "bench" / "out"
VAR = OUT / "var"
VENV_BIN = BASE_DIR / ".venv" / "bin"
LOCUST = OUT / "venv-load" / "bin" / "locust"
TARGET_P95_MS = 300.0
LOGIN_POST = "login"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def _app_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "apm.settings",
            "DEBUG": "false",
            # The load test plays the one TLS proxy in front: each simulated user has its own address.
            "APM_TRUSTED_PROXY_COUNT": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "APM_VAR_DIR": str(VAR),
            "MEDIA_ROOT": str(VAR / "media"),
            "PRIVATE_MEDIA_ROOT": str(VAR / "private"),
            "APM_DISPATCH_SECONDS": "10",
            "APM_SWEEP_SECONDS": "30",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _start(name: str, argv: list[str], env: dict[str, str], procs: dict[str, subprocess.Popen]) -> None:
    log = (OUT / f"load-{name}.log").open("wb")
    procs[name] = subprocess.Popen(
        argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    """Stop what we started, Redis last: SIGTERM to each main process (a Celery worker then shuts
    down warm), SIGKILL to its process group if it is still there after 20 s."""
    order = [name for name in procs if name != "redis"] + [name for name in procs if name == "redis"]
    for group in (order[:-1], order[-1:]) if "redis" in procs else (order,):
        for name in group:
            if procs[name].poll() is None:
                procs[name].terminate()
        deadline = time.monotonic() + 20
        for name in group:
            try:
                procs[name].wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(procs[name].pid, signal.SIGKILL)
                procs[name].wait()


def _wait_http(url: str, procs: dict[str, subprocess.Popen], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if procs["web"].poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {OUT / 'load-web.log'}")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - loopback
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


def _write_users() -> dict:
    """Logins and what each may open, for the locustfile (bench/out/load-users.json)."""
    from seed import LOAD_PASSWORD

    from apm.accounts.models import Role
    from projects.models import ClientContact, Project
    from teams.models import Department

    pms: dict[str, list[str]] = defaultdict(list)
    for username, code in Project.objects.filter(project_manager__role=Role.PROJECT_MANAGER).values_list(
        "project_manager__username", "code"
    ):
        pms[username].append(code)
    heads = []
    for dept in Department.objects.prefetch_related("heads").order_by("code"):
        codes = list(Project.objects.filter(departments=dept).order_by("?").values_list("code", flat=True)[:200])
        for head in dept.heads.all():
            heads.append(
                {"username": head.username, "department": dept.code, "department_id": dept.pk, "projects": codes}
            )
    clients = []
    for contact in ClientContact.objects.exclude(user=None).select_related("user").order_by("user__username"):
        codes = list(Project.objects.filter(client_id=contact.client_id).values_list("code", flat=True))
        clients.append({"username": contact.user.username, "projects": codes})
    users = {
        "password": LOAD_PASSWORD,
        "pms": [{"username": u, "projects": c} for u, c in sorted(pms.items())],
        "heads": heads,
        "clients": clients,
    }
    (OUT / "load-users.json").write_text(json.dumps(users))
    return users


def _prepare(database_url: str, env: dict[str, str], *, force_seed: bool) -> None:
    """Create the database when missing, migrate it, collect the static files and seed it (or reuse the seed)."""
    _ensure_database(database_url)
    python = str(VENV_BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    # With DEBUG off pages name static files through the manifest that collectstatic writes.
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    seed = [python, "bench/load/seed.py", *(["--force"] if force_seed else [])]
    subprocess.run(seed, cwd=BASE_DIR, env=env, check=True)


def _percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (ms)."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def _row(label: str, records: list[tuple[str, float, bool]], seconds: float) -> dict:
    times = sorted(r[1] for r in records)
    errors = sum(1 for r in records if not r[2])
    return {
        "label": label,
        "requests": len(records),
        "rps": len(records) / seconds if seconds else math.nan,
        "p50": _percentile(times, 50),
        "p95": _percentile(times, 95),
        "p99": _percentile(times, 99),
        "max": times[-1] if times else math.nan,
        "errors": errors,
        "error_rate": errors / len(records) if records else 0.0,
    }


def summarise(records: list[tuple[str, float, bool]], seconds: float) -> dict:
    """Rows per request name, per page (role-independent) and overall; ``pages`` excludes the login POST."""
    by_name: dict[str, list] = defaultdict(list)
    by_page: dict[str, list] = defaultdict(list)
    for record in records:
        by_name[record[0]].append(record)
        by_page[record[0].split(": ", 1)[-1]].append(record)
    pages = [r for r in records if r[0].split(": ", 1)[-1] != LOGIN_POST]
    return {
        "seconds": seconds,
        "by_name": [_row(name, rows, seconds) for name, rows in sorted(by_name.items())],
        "by_page": [_row(name, rows, seconds) for name, rows in sorted(by_page.items())],
        "pages": _row("all pages (without login POST)", pages, seconds),
        "overall": _row("overall", records, seconds),
    }


def _table(rows: list[dict]) -> list[str]:
    lines = [
        f"{'':34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>7}"
    ]
    for r in rows:
        lines.append(
            f"{r['label'][:34]:34} {r['requests']:8d} {r['rps']:7.2f} {r['p50']:7.0f} {r['p95']:7.0f} "
            f"{r['p99']:7.0f} {r['max']:7.0f} {r['errors']:4d} {r['error_rate']:.1%}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=25, help="simulated users (default 25)")
    parser.add_argument(
        "--spawn-rate", type=float, default=1, help="users started (and logged in) per second (default 1)"
    )
    parser.add_argument("--run-time", type=int, default=90, help="seconds of load (default 90)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="niceness of the Celery worker and beat (default 10: on a machine shared with the web, "
        "background rendering yields the CPU to pages; 0 to compete equally)",
    )
    parser.add_argument("--force-seed", action="store_true", help="seed the database again")
    args = parser.parse_args()
    procs: dict[str, subprocess.Popen] = {}
    try:
        return _run(args, procs)
    finally:
        _stop(procs)


def _run(args: argparse.Namespace, procs: dict[str, subprocess.Popen]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("APM_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/apm_load")
    redis_url = os.environ.get("APM_LOAD_REDIS_URL", "")
    own_redis = not redis_url
    if not redis_url:
        # Our own throw-away redis-server: the system one has 16 databases, all of them someone's.
        redis_port = _free_port()
        _start(
            "redis",
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            os.environ.copy(),
            procs,
        )
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = _app_env(database_url, redis_url)
    _prepare(database_url, env, force_seed=args.force_seed)

    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import django

    django.setup()
    import redis
    from django.db import connection
    from django.utils import timezone

    from apm.outbox.models import EmailStatus, OutboundEmail
    from reports.models import Report, ReportSchedule, ReportStatus

    store = redis.Redis.from_url(redis_url)
    for _ in range(50):
        try:
            store.flushdb()  # our own server, or a database given to this test alone
            break
        except redis.ConnectionError:
            time.sleep(0.2)
    users = _write_users()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started_at = timezone.now()
    due = ReportSchedule.objects.filter(name__startswith="Load:").update(next_run_at=started_at, active=True)
    connection.close()

    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    try:
        _start(
            "web",
            [str(VENV_BIN / "gunicorn"), "apm.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.web_workers), "--timeout", "60", "--log-level", "warning"],
            env,
            procs,
        )  # fmt: skip
        _start(
            "worker",
            ["nice", "-n", str(args.worker_nice), str(VENV_BIN / "celery"), "-A", "apm", "worker",
             "--pool=prefork", "--concurrency=2",
             "--without-mingle", "--without-gossip", "--loglevel=WARNING", "-n", "load@%h"],
            env,
            procs,
        )  # fmt: skip
        _start(
            "beat",
            ["nice", "-n", str(args.worker_nice), str(VENV_BIN / "celery"), "-A", "apm", "beat", "--loglevel=WARNING",
             "-s", str(VAR / "celerybeat-schedule-load")],
            env,
            procs,
        )  # fmt: skip
        _wait_http(f"{host}/login/", procs)
        print(
            f"Serving {host} (gunicorn, {args.web_workers} workers, DEBUG=false); worker and beat "
            f"(nice {args.worker_nice}) on {redis_url}; "
            f"{due} schedules due. Load: {args.users} users for {args.run_time} s "
            f"({len(users['pms'])} PM, {len(users['heads'])} head, {len(users['clients'])} client logins).",
            flush=True,
        )
        requests_file = OUT / "load-requests.json"
        requests_file.unlink(missing_ok=True)
        load_started = time.monotonic()
        subprocess.run(
            [str(LOCUST), "-f", str(BASE_DIR / "bench/load/locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.run_time}s",
             "--host", host, "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING"],
            cwd=BASE_DIR,
            env={**os.environ, "APM_LOAD_OUT": str(OUT)},
            check=False,
            stdout=(OUT / "load-locust.log").open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        seconds = time.monotonic() - load_started
        records = [tuple(r) for r in json.loads(requests_file.read_text())] if requests_file.exists() else []
    finally:
        _stop(procs)

    reports = Report.objects.filter(created_at__gte=started_at)
    rendered = reports.filter(status=ReportStatus.RENDERED).count()
    emails = OutboundEmail.objects.filter(created_at__gte=started_at)
    sent = OutboundEmail.objects.filter(sent_at__gte=started_at, status=EmailStatus.SENT).count()
    from pages import measure
    from pages import report as pages_report

    alone = measure()
    load_average = os.getloadavg()
    summary = summarise(records, seconds)
    summary.update(
        {
            "at": started_at.isoformat(),
            "users": args.users,
            "web_workers": args.web_workers,
            "reports_due": due,
            "reports_created": reports.count(),
            "reports_rendered": rendered,
            "emails_created": emails.count(),
            "emails_sent": sent,
            "load_average": load_average,
            "pages_alone": alone,
        }
    )
    pages = summary["pages"]
    verdict = "MET" if pages["errors"] == 0 and pages["p95"] < TARGET_P95_MS else "MISSED"
    lines = [
        f"APM load test {started_at:%Y-%m-%d %H:%M} UTC: {args.users} users (started {args.spawn_rate:g}/s), "
        f"{seconds:.0f} s, gunicorn {args.web_workers} workers, worker and beat at nice {args.worker_nice}, "
        "PostgreSQL, 10,000 projects / 500 people",
        "",
        "By request:",
        *_table(summary["by_name"]),
        "",
        "By page (all roles):",
        *_table(summary["by_page"]),
        "",
        *_table([summary["pages"], summary["overall"]])[1:],
        "",
        f"Reports during the run: {rendered} rendered of {summary['reports_created']} created "
        f"({due} schedules due); {sent} emails sent ({summary['emails_created']} queued during the run).",
        f"Machine load average after the run (1, 5, 15 min): {load_average[0]:.1f} {load_average[1]:.1f} "
        f"{load_average[2]:.1f} on {os.cpu_count()} CPUs.",
        "",
        *pages_report(alone),
        "",
        f"Target (no error, p95 < {TARGET_P95_MS:.0f} ms for pages): {verdict} "
        f"(p95 {pages['p95']:.0f} ms, {pages['errors']} errors).",
    ]
    text = "\n".join(lines)
    print(text)
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    for name in ("load-summary.txt", f"load-summary-{stamp}.txt"):
        (OUT / name).write_text(text + "\n")
    for name in ("load-summary.json", f"load-summary-{stamp}.json"):
        (OUT / name).write_text(json.dumps(summary, indent=1, default=str))
    if not own_redis:
        store.flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
