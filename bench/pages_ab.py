"""Benchmark: each main page's latency, this checkout against a baseline commit, requests alternated between them.

    .venv/bin/python bench/pages_ab.py --baseline <git ref> [--json] [--rounds 40]

On a machine whose speed drifts (a shared VM: two runs of bench/pages.py on
the same code, back to back, differed by 15-50 % on some pages), two runs
cannot be compared. Here both codes serve at once and every request is
paired: the baseline commit, checked out in a git worktree under
``bench/out/ab-<ref>``, and this checkout each run gunicorn (one sync worker,
DEBUG off) on the same database, and each page is requested from one then
the other (the order alternating each round), so a slow spell falls on both.
New against new, the pages differ by up to about 10 %: smaller differences
are not measured by it.

The database, its seed and the logins are bench/pages.py's (run it first:
``apm_bench`` on the server of bench/_postgres.py, ``bench/out/load-users.json``);
this one only reads them. It does not migrate: a baseline whose models differ
from the database's (a migration added since) is refused by its pages, which
answer 500 and are reported. Prints a table, or with ``--json`` one object:
``{"baseline": ref, "rounds": n, "pages": {"<page>": {"baseline_p50_ms",
"p50_ms", "change_pct"}}, "load_avg": {"before", "after"}}``. Nothing is
asserted; not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))
sys.path.append(str(BASE_DIR / "bench" / "load"))

import pages  # noqa: E402  (bench/pages.py: its Browser, its pages and bench/load/run.py's helpers)
from _postgres import bench_server, with_database  # noqa: E402

load_run = pages.load_run
ROUNDS = 40


def _worktree(ref: str) -> Path:
    """A worktree of ``ref`` under bench/out (made once a ref; checked out again when the ref moved)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()
    where = load_run.OUT / f"ab-{commit[:12]}"
    if not where.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(where), commit], cwd=BASE_DIR, check=True)
    return where


def _serve(label: str, code: Path, env: dict[str, str], procs: dict[str, subprocess.Popen]) -> int:
    port = load_run._free_port()
    gunicorn = str(load_run.VENV_BIN / "gunicorn")
    log = (load_run.OUT / f"ab-{label}.log").open("wb")
    procs[label] = subprocess.Popen(
        [gunicorn, "apm.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
        cwd=code,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if procs[label].poll() is not None:
            raise RuntimeError(f"gunicorn ({label}) exited; see {log.name}")
        try:
            pages.Browser(port, "127.0.0.1").timed_get(pages.BARE)
            return port
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn ({label}) did not answer in 60 s")


def run(args: argparse.Namespace, procs: dict[str, subprocess.Popen]) -> dict[str, Any]:
    users_file = load_run.OUT / "load-users.json"
    if not users_file.exists():
        raise SystemExit("No logins in bench/out/load-users.json: run bench/pages.py first (it seeds and writes them).")
    users = json.loads(users_file.read_text())
    baseline = _worktree(args.baseline)
    load_before = os.getloadavg()
    with bench_server() as server:
        env = load_run._app_env(with_database(server, pages.DATABASE), "")
        # The pages chosen as bench/pages.py chooses them (its child, in this checkout).
        os.environ.update(env)
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        chosen = pages._choose_pages(users)
        ports = {"baseline": _serve("baseline", baseline, env, procs), "new": _serve("new", BASE_DIR, env, procs)}
        browsers: dict[tuple[str, str | None], pages.Browser] = {}
        for label, port in ports.items():
            browsers[(label, None)] = pages.Browser(port, "10.0.0.200")
            for n, (_, username, _) in enumerate(chosen):
                if (label, username) not in browsers:
                    browsers[(label, username)] = pages.Browser(port, f"10.0.1.{n}")
                    browsers[(label, username)].log_in(username, users["password"])
        visits: list[tuple[str, str | None, str]] = [*chosen, ("bare", None, pages.BARE)]
        times: dict[tuple[str, str], list[float]] = {(label, page): [] for label in ports for page, _, _ in visits}
        failed: dict[str, int] = {}
        for round_number in range(pages.WARM_UP + args.rounds):
            for page, username, path in visits:
                for label in ("baseline", "new") if round_number % 2 else ("new", "baseline"):
                    elapsed, status, _ = browsers[(label, username)].timed_get(path)
                    if status != 200:
                        failed[f"{label} {page}"] = status
                    if round_number >= pages.WARM_UP:
                        times[(label, page)].append(elapsed)
    figures: dict[str, dict[str, float]] = {}
    for page, _, _ in visits:
        old, new = statistics.median(times[("baseline", page)]), statistics.median(times[("new", page)])
        figures[page] = {
            "baseline_p50_ms": round(old, 1),
            "p50_ms": round(new, 1),
            "change_pct": round(100 * (new - old) / old, 1),
        }
    return {
        "baseline": args.baseline,
        "rounds": args.rounds,
        "pages": figures,
        "not_200": failed,
        "load_avg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the git ref to compare with (a commit, a tag, HEAD~3)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"timed rounds (default {ROUNDS})")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()
    args.rounds = max(args.rounds, 1)
    procs: dict[str, subprocess.Popen] = {}
    try:
        figures = run(args, procs)
    finally:
        load_run._stop(procs)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{'page':24} {'baseline':>9} {'this':>9} {'change':>8}   (p50 ms, {figures['rounds']} rounds)")
    for page, row in figures["pages"].items():
        print(f"{page:24} {row['baseline_p50_ms']:9.1f} {row['p50_ms']:9.1f} {row['change_pct']:+7.1f}%")
    print(f"Load average before {figures['load_avg']['before']}, after {figures['load_avg']['after']}.")
    for what, status in figures["not_200"].items():
        print(f"- {what} answered {status}, not 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
