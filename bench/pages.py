"""Benchmark: each main page's latency at 10,000 projects, through gunicorn, one request at a time.

    .venv/bin/python bench/pages.py [--json] [--requests 50] [--force-seed]

1. The database ``apm_bench`` on the PostgreSQL server of bench/_postgres.py
   (``APM_BENCH_DATABASE_URL``, never ``DATABASE_URL``; a private cluster
   started here when none answers): created when missing, migrated and
   seeded by the load test's seeder (``bench/load/seed.py``: 10,000
   projects, 500 people, about a minute), or reused as it is when the
   seeder's marker says it is seeded at the current version
   (``--force-seed`` seeds again); then ANALYZEd.
2. Each page's query count and SQL milliseconds, in a child process with
   ``DATABASE_URL`` set to that database and ``DEBUG`` off: Django's test
   client in-process, one request after a warm-up, under
   ``CaptureQueriesContext`` (as bench/load/pages.py does). SQL ms is the
   sum of the captured queries' times, each timed by an execute wrapper
   (Django's own captured time is rounded to the millisecond per query).
   The same child writes the logins (``bench/out/load-users.json``, as
   bench/load/run.py does).
3. gunicorn with ``DEBUG=false`` on a free loopback port, one sync worker
   (one request measured at a time), started and stopped with
   bench/load/run.py's helpers (its log: ``bench/out/load-web.log``). The
   bench plays the TLS proxy in front as the load test does
   (``X-Forwarded-Proto: https``, ``APM_TRUSTED_PROXY_COUNT=1``), over
   ``http.client`` (neither requests nor httpx is in the venv). One user of
   each role logs in through the real login form: a project manager (the
   project pages, the desk, people, capacity, reports, archive, outbox), a
   department head (their landing page, which is the desk, and their
   department's budget and compliance tables) and a client contact (the
   portal). Each page is requested ``--requests`` times (default 50) after 3
   warm-up requests, wall-clock milliseconds each (connection included:
   the sync worker closes it after each answer), in rounds: every page once
   a round, mixed as a server meets them, so a slow spell of the machine
   falls on all pages alike. Redirects are not followed: a page answers 200 at its own address or its status is
   recorded and named in ``notes``. ``/health/web/`` (no login, one
   ``SELECT 1``) is measured the same way as the bare page.

Prints a table, or with ``--json`` one JSON object on stdout (progress on
stderr): ``{"pages": {"<page>": {"p50_ms", "p95_ms", "queries", "sql_ms",
"status", "url"}}, "bare": {"p50_ms"}, "load_avg": {"before", "after"},
"cpus", "notes"}``; percentiles are nearest-rank, ``load_avg`` is taken at
the start and after the last request. Everything started here (gunicorn, a
private PostgreSQL) is stopped on the way out, also on Ctrl-C or a failure.
Nothing is asserted. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))
# bench/load/run.py's _write_users imports the seeder as ``seed``.
sys.path.append(str(BASE_DIR / "bench" / "load"))

from _postgres import bench_server, with_database  # noqa: E402

DATABASE = "apm_bench"
WARM_UP = 3
BARE = "/health/web/"


def _load_run() -> ModuleType:
    """bench/load/run.py, imported by path (its name, ``run``, is too plain for sys.path)."""
    spec = importlib.util.spec_from_file_location("bench_load_run", BASE_DIR / "bench" / "load" / "run.py")
    if spec is None or spec.loader is None:
        raise ImportError("bench/load/run.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


load_run = _load_run()


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The child: logins, pages, queries (in-process, Django's test client) ---------------------------------------


def _choose_pages(users: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(page, username, url) for every page measured: one PM, one head, one client contact."""
    from projects.models import Project

    def first_open(codes: list[str]) -> str:
        active = Project.objects.filter(code__in=codes, status="active").order_by("code").first()
        return active.code if active else sorted(codes)[0]

    pm, head, client = users["pms"][1], users["heads"][0], users["clients"][0]
    code, dept, portal = first_open(pm["projects"]), head["department"], first_open(client["projects"])
    pm, head, client = pm["username"], head["username"], client["username"]
    return [
        ("project_list", pm, "/projects/"),
        ("project_page", pm, f"/projects/{code}/"),
        ("pm_desk", pm, "/projects/desk/"),
        ("head_landing", head, "/projects/desk/"),
        ("department_budget", head, f"/projects/departments/{dept}/budget/"),
        ("department_compliance", head, f"/projects/departments/{dept}/compliance/"),
        ("project_team", pm, f"/projects/{code}/team/"),
        ("capacity", pm, "/staffing/capacity/"),
        ("skills_matrix", pm, "/teams/"),
        ("deliverables", pm, f"/projects/{code}/deliverables/"),
        ("raid", pm, f"/projects/{code}/raid/"),
        ("reports", pm, "/reports/"),
        ("archive", pm, "/reports/archive/"),
        ("outbox", pm, "/reports/outbox/"),
        ("portal_home", client, "/portal/"),
        ("portal_status", client, f"/portal/{portal}/"),
    ]


def child() -> None:
    """ANALYZE, write the logins, choose the pages and count each one's queries; one JSON line on stdout."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apm.accounts.models import Role, User

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = load_run._write_users()
    pages = _choose_pages(users)
    roles = dict(User.objects.filter(username__in={u for _, u, _ in pages}).values_list("username", "role"))

    def new_client() -> Client:
        # A page that fails answers 500 here too, as through gunicorn, instead of raising.
        return Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)

    def count(client: Client, url: str) -> dict[str, Any]:
        client.get(url)  # warm-up
        seconds: list[float] = []

        def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seconds.append(time.perf_counter() - started)

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            response = client.get(url)
        return {
            "status": response.status_code,
            "location": response.get("Location", ""),
            "queries": len(captured.captured_queries),
            "sql_ms": round(sum(seconds) * 1000, 1),
        }

    clients: dict[str, Client] = {}
    measured: dict[str, dict[str, Any]] = {}
    for page, username, url in pages:
        if username not in clients:
            clients[username] = new_client()
            clients[username].force_login(User.objects.get(username=username))
        measured[page] = count(clients[username], url)
        _progress(f"  {page:24} {url:42} {measured[page]['queries']:3d} queries {measured[page]['sql_ms']:7.1f} ms SQL")
    bare = count(new_client(), BARE)
    labels: dict[str, str] = {Role.PROJECT_MANAGER: "project manager", Role.DEPARTMENT_HEAD: "department head"}
    answer = {
        "password": users["password"],
        "pages": pages,
        "roles": {u: labels.get(str(r), str(r)) for u, r in roles.items()},
        "queries": measured,
        "bare": bare,
    }
    print(json.dumps(answer))


# --- The parent: a client through the real login form, and the timings -------------------------------------------


class Browser:
    """One logged-in user over plain http to gunicorn, as behind a TLS proxy; cookies kept, redirects not followed."""

    def __init__(self, port: int, forwarded_for: str) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.headers = {
            "Host": f"127.0.0.1:{port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": forwarded_for,
            "Accept": "text/html,application/xhtml+xml",
        }
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Status, body text and Location of one request."""
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, text, response.headers.get("Location", "")

    def log_in(self, username: str, password: str) -> None:
        """The login form, as a browser fills it: CSRF token from the page, https Origin and Referer."""
        _, page, _ = self.request("GET", "/login/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise RuntimeError("No CSRF token on the login page.")
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": found.group(1)})
        status, _, location = self.request(
            "POST",
            "/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": f"{self.origin}/login/",
            },
        )
        if status != 302 or "/login/" in location:
            raise RuntimeError(f"Login refused for {username}: {status} {location}")

    def timed_get(self, path: str) -> tuple[float, int, str]:
        """One GET: its milliseconds, status and Location."""
        started = time.perf_counter()
        status, _, location = self.request("GET", path)
        return (time.perf_counter() - started) * 1000, status, location


@contextlib.contextmanager
def _stdout_on_stderr() -> Iterator[None]:
    """Whatever is printed (by this process or its children) goes to stderr: stdout is for the JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _time_pages(
    inner: dict[str, Any], env: dict[str, str], count: int, procs: dict[str, subprocess.Popen], notes: list[str]
) -> tuple[dict[str, dict[str, Any]], list[float]]:
    """Serve with gunicorn, log each user in and time every page, then the bare page."""
    port = load_run._free_port()
    load_run._start(
        "web",
        [str(load_run.VENV_BIN / "gunicorn"), "apm.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"],
        env,
        procs,
    )  # fmt: skip
    load_run._wait_http(f"http://127.0.0.1:{port}/login/", procs)
    _progress(f"gunicorn on 127.0.0.1:{port} (1 sync worker, DEBUG=false); {count} requests a page:")
    browsers: dict[str, Browser] = {}
    for _, username, _ in inner["pages"]:
        if username not in browsers:
            browsers[username] = Browser(port, f"10.78.0.{len(browsers) + 1}")
            browsers[username].log_in(username, inner["password"])
    bare = Browser(port, "10.78.1.1")
    visits = [(page, browsers[username], path) for page, username, path in inner["pages"]] + [("", bare, BARE)]
    # In rounds, every page once a round, as a server meets them mixed: a slow spell of the machine (another
    # process, the kernel reclaiming memory) falls on every page alike instead of on whichever page was being
    # timed then, and each page pays for what the others leave behind (colder caches, their garbage). Timed
    # page after page, two runs of the same code differed by up to half on a page; in rounds they agree.
    times: dict[str, list[float]] = collections.defaultdict(list)
    statuses: dict[str, list[int]] = collections.defaultdict(list)
    locations: dict[str, str] = {}
    for round_number in range(WARM_UP + count):
        for page, browser, path in visits:
            elapsed, status, locations[page] = browser.timed_get(path)
            if round_number >= WARM_UP:
                times[page].append(elapsed)
                statuses[page].append(status)
    pages: dict[str, dict[str, Any]] = {}
    for page, username, path in inner["pages"]:
        counted = collections.Counter(statuses[page])
        status = counted.most_common(1)[0][0]
        if set(counted) != {200}:
            redirect = f" (Location {locations[page]})" if locations[page] else ""
            notes.append(f"{page}: {path} as {username} answered {dict(counted)}{redirect}, not 200")
        queried = inner["queries"][page]
        if queried["status"] != 200:
            notes.append(f"{page}: {path} answered {queried['status']} in-process (its queries counted on that)")
        ordered = sorted(times[page])
        pages[page] = {
            "p50_ms": round(load_run._percentile(ordered, 50), 1),
            "p95_ms": round(load_run._percentile(ordered, 95), 1),
            "queries": queried["queries"],
            "sql_ms": queried["sql_ms"],
            "status": status,
            "url": path,
        }
        _progress(f"  {page:24} p50 {pages[page]['p50_ms']:7.1f} ms  p95 {pages[page]['p95_ms']:7.1f} ms  {status}")
    bare_times = times[""]
    if set(statuses[""]) != {200}:
        notes.append(f"bare: {BARE} answered {dict(collections.Counter(statuses['']))}, not 200")
    return pages, bare_times


def run(args: argparse.Namespace, procs: dict[str, subprocess.Popen]) -> dict[str, Any]:
    notes: list[str] = []
    load_before = os.getloadavg()
    load_run.OUT.mkdir(parents=True, exist_ok=True)
    with bench_server() as server:
        url = with_database(server, DATABASE)
        address = urlparse(server)
        _progress(f"Database {DATABASE} on {address.hostname}:{address.port or 5432}")
        # No REDIS_URL: the filesystem broker under bench/out/var (no page measured here publishes).
        env = load_run._app_env(url, "")
        with _stdout_on_stderr():
            load_run._prepare(url, env, force_seed=args.force_seed)
        _progress("Queries per page (in-process, one request after a warm-up):")
        result = subprocess.run(
            [sys.executable, __file__, "--child"], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=True
        )
        inner = json.loads(result.stdout.strip().splitlines()[-1])
        try:
            pages, bare_times = _time_pages(inner, env, args.requests, procs, notes)
            load_after = os.getloadavg()
        finally:
            load_run._stop(procs)  # before a private server stops
    users = sorted({username for _, username, _ in inner["pages"]})
    notes.append(
        "logins: " + ", ".join(f"{u} ({inner['roles'].get(u, '?')})" for u in users) + "; the head's landing page "
        "is the desk (apm.access.home_page), measured at /projects/desk/ as the head"
    )
    notes.append(
        f"bare page: {BARE} without login ({inner['bare']['queries']} query, SELECT 1, "
        f"{inner['bare']['sql_ms']} ms SQL in-process)"
    )
    notes.append(
        f"gunicorn 1 sync worker; {WARM_UP} warm-up then {args.requests} requests a page in rounds, one at a time, "
        "a new connection each; queries and sql_ms from one in-process request after a warm-up"
    )
    return {
        "pages": pages,
        "bare": {"p50_ms": round(load_run._percentile(sorted(bare_times), 50), 1)},
        "load_avg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "cpus": os.cpu_count(),
        "notes": notes,
    }


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'page':24} {'url':40} {'status':>6} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'SQL ms':>7}"]
    for page, row in figures["pages"].items():
        lines.append(
            f"{page:24} {row['url']:40} {row['status']:6d} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['queries']:7d} {row['sql_ms']:7.1f}"
        )
    load = figures["load_avg"]
    lines += [
        f"{'bare (' + BARE + ')':24} {'':40} {'':6} {figures['bare']['p50_ms']:7.1f}",
        "",
        f"Load average (1, 5, 15 min) before {load['before']}, after {load['after']}, on {figures['cpus']} CPUs.",
        *(f"- {note}" for note in figures["notes"]),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--requests", type=int, default=50, help="timed requests a page (default 50)")
    parser.add_argument("--force-seed", action="store_true", help="seed the database again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    args.requests = max(args.requests, 1)
    signal.signal(signal.SIGTERM, _terminate)
    procs: dict[str, subprocess.Popen] = {}
    try:
        figures = run(args, procs)
    finally:
        load_run._stop(procs)
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
