"""Benchmark: the API's project list beside the browser's, at 10,000 projects, through gunicorn.

    .venv/bin/python bench/api.py [--json] [--requests 200] [--force-seed]

The database, seeding and serving are bench/pages.py's (imported, not copied): ``apm_bench`` on the PostgreSQL
server of ``APM_BENCH_DATABASE_URL`` (a private cluster when none answers), seeded once by bench/load/seed.py,
gunicorn with ``DEBUG=false`` and one sync worker behind the bench's TLS-proxy headers. A child process (Django
set up on that database) makes a read token for the project manager and the department head that bench/pages.py
measures (earlier runs' bench tokens are deleted first) and counts each URL's queries in-process after a
warm-up. Then, for each of them, ``/api/v1/projects/?page_size=50`` with ``Authorization: Bearer`` and the
browser's ``/projects/`` after logging in through the real form, are requested ``--requests`` times (default
200) after 3 warm-ups, in rounds (every URL once a round), wall-clock milliseconds each.

Prints a table, or with ``--json`` one JSON object on stdout (progress on stderr): ``{"urls": {"<name>": {"url",
"user", "p50_ms", "p95_ms", "queries", "status", "rows"}}, "load_avg": {"before", "after"}, "cpus", "notes"}``;
percentiles nearest-rank. Everything started here is stopped on the way out. Nothing is asserted. Not part of
``make test``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

import pages  # noqa: E402  (bench/pages.py: its seeding, serving, browser and helpers)
from _postgres import bench_server, with_database  # noqa: E402

load_run = pages.load_run
API_URL = "/api/v1/projects/?page_size=50"
BROWSER_URL = "/projects/"
TOKEN_NAME = "bench api"  # noqa: S105 - the tokens' label, not a secret


def child() -> None:
    """Make the read tokens and count each URL's queries; one JSON line on stdout."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apm.accounts.models import User
    from apm.api.models import ApiToken
    from apm.api.services import token_create

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = load_run._write_users()
    chosen = {"pm": users["pms"][1]["username"], "head": users["heads"][0]["username"]}
    ApiToken.objects.filter(name=TOKEN_NAME).delete()
    answer: dict[str, Any] = {"password": users["password"], "users": {}}
    for label, username in chosen.items():
        user = User.objects.get(username=username)
        _row, token = token_create(user=user, name=TOKEN_NAME, can_write=False, days=1)
        counted: dict[str, Any] = {}
        for kind, url, extra in (
            ("api", API_URL, {"Authorization": f"Bearer {token}"}),
            ("browser", BROWSER_URL, {}),
        ):
            client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
            if kind == "browser":
                client.force_login(user)
            client.get(url, headers=extra)  # warm-up
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, headers=extra)
            rows = response.json().get("count") if kind == "api" and response.status_code == 200 else None
            counted[kind] = {"queries": len(captured.captured_queries), "status": response.status_code, "rows": rows}
        answer["users"][label] = {"username": username, "token": token, "counted": counted}
    print(json.dumps(answer))


def _time(inner: dict[str, Any], env: dict[str, str], count: int, procs: dict[str, Any], notes: list[str]) -> dict:
    port = load_run._free_port()
    load_run._start(
        "web",
        [str(load_run.VENV_BIN / "gunicorn"), "apm.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"],
        env,
        procs,
    )  # fmt: skip
    load_run._wait_http(f"http://127.0.0.1:{port}/login/", procs)
    pages._progress(f"gunicorn on 127.0.0.1:{port} (1 sync worker, DEBUG=false); {count} requests a URL:")
    visits: list[tuple[str, Any, str, dict[str, str]]] = []
    for number, (label, person) in enumerate(inner["users"].items()):
        browser = pages.Browser(port, f"10.79.0.{number + 1}")
        browser.log_in(person["username"], inner["password"])
        api = pages.Browser(port, f"10.79.1.{number + 1}")
        bearer = {"Authorization": f"Bearer {person['token']}", "Accept": "application/json"}
        visits += [(f"{label}_api", api, API_URL, bearer), (f"{label}_browser", browser, BROWSER_URL, {})]
    times: dict[str, list[float]] = collections.defaultdict(list)
    statuses: dict[str, list[int]] = collections.defaultdict(list)
    for round_number in range(pages.WARM_UP + count):
        for name, client, url, headers in visits:
            started = pages.time.perf_counter()
            status, _body, _location = client.request("GET", url, headers=headers)
            if round_number >= pages.WARM_UP:
                times[name].append((pages.time.perf_counter() - started) * 1000)
                statuses[name].append(status)
    figures: dict[str, Any] = {}
    for name, _client, url, _headers in visits:
        label, kind = name.rsplit("_", 1)
        person = inner["users"][label]
        counted = collections.Counter(statuses[name])
        if set(counted) != {200}:
            notes.append(f"{name}: {url} as {person['username']} answered {dict(counted)}, not 200")
        ordered = sorted(times[name])
        figures[name] = {
            "url": url,
            "user": person["username"],
            "p50_ms": round(load_run._percentile(ordered, 50), 1),
            "p95_ms": round(load_run._percentile(ordered, 95), 1),
            "status": counted.most_common(1)[0][0],
            **person["counted"][kind],
        }
        pages._progress(f"  {name:14} p50 {figures[name]['p50_ms']:7.1f} ms  p95 {figures[name]['p95_ms']:7.1f} ms")
    return figures


def run(args: argparse.Namespace, procs: dict[str, Any]) -> dict[str, Any]:
    notes: list[str] = []
    load_before = os.getloadavg()
    load_run.OUT.mkdir(parents=True, exist_ok=True)
    with bench_server() as server:
        url = with_database(server, pages.DATABASE)
        env = {**load_run._app_env(url, ""), "APM_API_RATE_PER_MINUTE": "1000000"}
        with pages._stdout_on_stderr():
            load_run._prepare(url, env, force_seed=args.force_seed)
        result = subprocess.run(
            [sys.executable, __file__, "--child"], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=True
        )
        inner = json.loads(result.stdout.strip().splitlines()[-1])
        try:
            urls = _time(inner, env, args.requests, procs, notes)
            load_after = os.getloadavg()
        finally:
            load_run._stop(procs)
    notes.append(
        f"gunicorn 1 sync worker; {pages.WARM_UP} warm-up then {args.requests} requests a URL in rounds, one at a "
        "time, a new connection each; the API with a read token (rate limit lifted), the browser logged in through "
        "the form; queries and rows from one in-process request after a warm-up"
    )
    return {
        "urls": urls,
        "load_avg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "cpus": os.cpu_count(),
        "notes": notes,
    }


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'name':14} {'url':34} {'status':>6} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'rows':>6}"]
    for name, row in figures["urls"].items():
        rows = "" if row["rows"] is None else str(row["rows"])
        lines.append(
            f"{name:14} {row['url']:34} {row['status']:6d} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['queries']:7d} {rows:>6}"
        )
    load = figures["load_avg"]
    lines += [
        "",
        f"Load average (1, 5, 15 min) before {load['before']}, after {load['after']}, on {figures['cpus']} CPUs.",
        *(f"- {note}" for note in figures["notes"]),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--requests", type=int, default=200, help="timed requests a URL (default 200)")
    parser.add_argument("--force-seed", action="store_true", help="seed the database again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    args.requests = max(args.requests, 1)
    signal.signal(signal.SIGTERM, pages._terminate)
    procs: dict[str, Any] = {}
    try:
        figures = run(args, procs)
    finally:
        load_run._stop(procs)
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
