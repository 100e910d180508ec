"""Benchmark: the GMPP import of the five shared years, on SQLite and on PostgreSQL, as a command and in-process.

    .venv/bin/python bench/import_gmpp.py --json [--repeat 3]

Each run starts from a new, empty, migrated database (a temporary SQLite file; a
temporary database on the PostgreSQL server of bench/_postgres.py, never
``DATABASE_URL``'s) and imports every ``uk_20*.csv`` of
``APM_REAL_DATA_DIR/gmpp_uk``:

- ``command``: ``manage.py import_portfolio --format gmpp FILES`` timed as a
  whole process, Python's and Django's start-up included (what an operator
  waits for);
- ``inprocess``: the same command through ``call_command`` in a process that
  has set Django up and migrated the database first (the import alone).

Prints the medians of ``--repeat`` runs (default 3) as one JSON object:
``{"sqlite_command_s", "postgres_command_s", "sqlite_inprocess_s",
"postgres_inprocess_s", "runs", "imported", "load_avg", "notes"}``; ``runs``
holds every run's seconds, ``imported`` the command's last line (what it
imported). Nothing is asserted. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from _postgres import bench_server, temporary_database  # noqa: E402


def gmpp_files() -> list[str]:
    """The five years' files (``APM_REAL_DATA_DIR/gmpp_uk/uk_20*.csv``), by name."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import django

    django.setup()
    from django.conf import settings

    files = sorted((Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk").glob("uk_20*.csv"))
    if not files:
        sys.exit(f"No GMPP files under {settings.APM_REAL_DATA_DIR}/gmpp_uk.")
    return [str(path) for path in files]


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed:\n{result.stderr[-2000:]}")
    return result


def as_command(env: dict[str, str], files: list[str]) -> tuple[float, str]:
    """Migrate (not timed), then the import as a whole process: seconds and its last line."""
    _run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], env)
    started = time.perf_counter()
    result = _run([sys.executable, "manage.py", "import_portfolio", "--format", "gmpp", *files], env)
    seconds = time.perf_counter() - started
    return seconds, (result.stdout.strip().splitlines() or [""])[-1]


def in_process(env: dict[str, str], files: list[str]) -> tuple[float, str]:
    """The import alone, in a process that set Django up and migrated first (``--child``)."""
    result = _run([sys.executable, __file__, "--child", *files], env)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["seconds"], answer["imported"]


def child(files: list[str]) -> None:
    import io

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_portfolio", "--format", "gmpp", *files, stdout=out)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "imported": (out.getvalue().strip().splitlines() or [""])[-1]}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each database and way (default 3).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object (the default output too).")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return 0

    files = gmpp_files()
    repeat = max(args.repeat, 1)
    runs: dict[str, list[float]] = {}
    imported: dict[str, str] = {}
    notes: list[str] = []
    load_before = os.getloadavg()
    ways = {"command": as_command, "inprocess": in_process}

    for name, measure in ways.items():
        for n in range(repeat):
            folder = Path(tempfile.mkdtemp(prefix="apm-bench-gmpp-"))
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                "APM_VAR_DIR": str(folder / "var"),
            }
            try:
                seconds, imported[f"sqlite_{name}"] = measure(env, files)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            runs.setdefault(f"sqlite_{name}_s", []).append(round(seconds, 3))
            print(f"SQLite, {name}, run {n + 1}: {seconds:.2f} s", file=sys.stderr, flush=True)

    try:
        with bench_server() as server:
            for name, measure in ways.items():
                for n in range(repeat):
                    folder = Path(tempfile.mkdtemp(prefix="apm-bench-gmpp-"))
                    try:
                        with temporary_database(server, f"apm_bench_gmpp_{os.getpid()}") as url:
                            env = {**os.environ, "DATABASE_URL": url, "APM_VAR_DIR": str(folder / "var")}
                            seconds, imported[f"postgres_{name}"] = measure(env, files)
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
                    runs.setdefault(f"postgres_{name}_s", []).append(round(seconds, 3))
                    print(f"PostgreSQL, {name}, run {n + 1}: {seconds:.2f} s", file=sys.stderr, flush=True)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        notes.append(f"PostgreSQL: {exc}")

    figures: dict[str, object] = {
        key: round(statistics.median(runs[key]), 3) if key in runs else None
        for key in ("sqlite_command_s", "postgres_command_s", "sqlite_inprocess_s", "postgres_inprocess_s")
    }
    figures |= {
        "runs": runs,
        "imported": imported,
        "files": [Path(path).name for path in files],
        "load_avg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "cpus": os.cpu_count(),
        "notes": notes,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
