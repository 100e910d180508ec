"""Benchmark: the mapping import of a 50,000-row portfolio file in the agency layout, beside the GMPP import.

    .venv/bin/python bench/import.py [--rows 50000] [--seed 7] [--no-postgres] [--no-tracemalloc]

Generates a file in the layout of tests/projects/importers/data/agency_it_portfolio.csv
(same columns, read by its mapping, agency_it_portfolio.mapping.json): ``--rows``
rows, one per investment and quarter, ten quarters (``rows / 10`` investments,
5,000 for the default), 300 agencies, some investments of two agencies, some
without an ID, quoted notes with commas and line breaks; deterministic for a
seed. It is written to a temporary folder, then for each database, in a fresh
process (a temporary SQLite file; a temporary PostgreSQL database
``apm_bench_import_<pid>`` on DATABASE_URL when it is PostgreSQL, else PG_URL,
else postgres@ or root@127.0.0.1:5432, created and dropped; skipped with a
note when no server answers), after ``migrate``:

1. ``gmpp``: ``portfolio_import_gmpp`` of the real files
   (APM_REAL_DATA_DIR/gmpp_uk/uk_20*.csv), the baseline;
2. ``mapping``: ``portfolio_import`` of the generated file with the agency mapping;
3. ``mapping_again``: the same import again (it changes nothing).

For each: seconds, rows per second, SQL queries per row, what the summary
counted, and memory: ``tracemalloc_peak_mib`` (Python allocations during the
import; tracemalloc runs only then and slows the import, so each import is
timed in a run without it and repeated with it; ``--no-tracemalloc`` skips
the repeat) and ``ru_maxrss_delta_mib`` (how much the process's peak RSS grew
during the timed run; a high-water mark, so a later step shows only growth
beyond the earlier steps' peak). Prints one JSON object on standard output
(progress goes to standard error). Nothing is asserted. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
MAPPING_JSON = BASE_DIR / "tests" / "projects" / "importers" / "data" / "agency_it_portfolio.mapping.json"
CHILD_FLAG = "APM_BENCH_IMPORT_CHILD"
QUARTERS = 10
AGENCIES = 300
COLUMNS = [
    "Agency",
    "Investment Title",
    "Unique Investment ID",
    "Investment Type",
    "Planned Cost ($M)",
    "Cost Variance ($M)",
    "Lifecycle Cost ($M)",
    "Schedule Variance (days)",
    "CIO Rating",
    "Start Date",
    "Completion Date",
    "As Of",
    "Notes",
    "Contact Email",
]
_WORDS = [
    "Harbour",
    "Berth",
    "Booking",
    "Trail",
    "Permit",
    "Fare",
    "Card",
    "Asset",
    "Register",
    "Payroll",
    "Grants",
    "Licensing",
    "Case",
    "Records",
    "Fleet",
    "Telematics",
    "Identity",
    "Benefits",
    "Claims",
    "Tax",
    "Filing",
    "Water",
    "Quality",
    "Census",
    "Library",
    "Court",
    "Scheduling",
    "Pension",
    "Voter",
    "Roll",
    "Customs",
    "Inspection",
    "Wildlife",
    "Survey",
    "Dispatch",
    "Radio",
    "Housing",
    "Waitlist",
    "Procurement",
    "Ledger",
    "Archive",
    "Vault",
]
_KINDS = ("System", "Portal", "Platform", "Replacement", "Modernisation", "Migration", "Service", "Hub")
_NOTES = (
    "",
    "",
    "On track.",
    "Vendor onboarding slipped a month.",
    "Integration testing late;\ncost now over plan.",
    'Supplier "B" withdrew, re-tender under way.',
    "Scope cut, phase 2 deferred.",
    "Two suppliers dropped out.",
    "Pilot in two depots.",
)


# --- The generated file -----------------------------------------------------------------------------------


def _quarter_ends(count: int) -> list[dt.date]:
    """``count`` quarter ends from 31 March 2024."""
    ends = []
    year, month = 2024, 3
    for _ in range(count):
        day = 31 if month in (3, 12) else 30
        ends.append(dt.date(year, month, day))
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return ends


def _us(date: dt.date) -> str:
    return date.strftime("%m/%d/%Y")


def _money(rng: random.Random, value: float) -> str:
    """``value`` ($M) as the agencies write it: ``1,200.00``, ``12.5`` or ``8.75``."""
    return f"{value:,.2f}" if rng.random() < 0.5 else f"{value:.2f}".rstrip("0").rstrip(".")


def generate(path: Path, *, rows: int, seed: int) -> dict:
    """Write the agency-layout file; return what it holds."""
    rng = random.Random(seed)
    investments = -(-rows // QUARTERS)
    agencies: list[str] = []
    while len(agencies) < AGENCIES:
        code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 6)))
        if code not in agencies:
            agencies.append(code)
    quarters = _quarter_ends(QUARTERS)
    plans = []
    for i in range(investments):
        owner = rng.choice(agencies)
        if rng.random() < 0.05:
            owner += "/" + rng.choice([a for a in agencies if a != owner])
        start = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        plans.append(
            {
                "agency": owner,
                "title": f"{' '.join(rng.sample(_WORDS, 2))} {rng.choice(_KINDS)} {i + 1}",
                # One in twenty has no ID: it is matched by its agencies and name.
                "id": "" if rng.random() < 0.05 else f"{rng.randrange(1, 999):03d}-{i + 1:06d}",
                "type": rng.choice(("Major IT", "Standard IT", "Infrastructure")),
                "planned": rng.uniform(0.2, 2500.0),
                "lifecycle": rng.uniform(1.0, 9000.0),
                "start": start,
                "end": start + dt.timedelta(days=rng.randrange(365, 2500)),
                "email": f"contact{i + 1}@example.org",
            }
        )
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for as_of in quarters:
            for plan in plans:
                if written == rows:
                    break
                plan["lifecycle"] *= rng.uniform(0.98, 1.05)
                writer.writerow(
                    [
                        plan["agency"],
                        plan["title"],
                        plan["id"],
                        plan["type"],
                        _money(rng, plan["planned"]),
                        _money(rng, rng.uniform(-0.1, 0.1) * plan["planned"]),
                        _money(rng, plan["lifecycle"]),
                        rng.randint(-60, 180),
                        rng.randint(1, 5),
                        _us(plan["start"]),
                        "" if rng.random() < 0.03 else _us(plan["end"]),
                        _us(as_of),
                        rng.choice(_NOTES),
                        plan["email"],
                    ]
                )
                written += 1
    return {
        "rows": written,
        "investments": investments,
        "quarters": QUARTERS,
        "agencies": len({code for plan in plans for code in plan["agency"].split("/")}),
        "bytes": path.stat().st_size,
        "seed": seed,
    }


# --- One database, in a child process ---------------------------------------------------------------------


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _measure(run) -> dict:
    """Run the import ``run()`` (without tracemalloc): seconds, rows per second, queries, RSS growth, counts."""
    import gc

    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    gc.collect()
    rss_before = _max_rss_mib()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        summary = run()
    seconds = time.perf_counter() - started
    result = {
        "rows": summary.rows,
        "skipped": len(summary.skipped),
        "refused_files": len(summary.refused_files),
        "projects_created_updated_unchanged": [
            summary.projects_created,
            summary.projects_updated,
            summary.projects_unchanged,
        ],
        "updates_created_updated_unchanged": [
            summary.updates_created,
            summary.updates_updated,
            summary.updates_unchanged,
        ],
        "departments_created": summary.departments_created,
        "changed": summary.changed,
        "seconds": round(seconds, 2),
        "rows_per_second": round(summary.rows / seconds, 1) if seconds else None,
        "queries": queries,
        "queries_per_row": round(queries / summary.rows, 1) if summary.rows else None,
        "ru_maxrss_delta_mib": round(_max_rss_mib() - rss_before, 1),
    }
    if summary.skipped:
        result["first_skipped"] = str(summary.skipped[0])
    return result


def _traced_peak_mib(prepare, run) -> float:
    """Peak Python memory (MiB) of ``run()`` under tracemalloc, after ``prepare()``; both rolled back."""
    import gc

    from django.db import transaction

    with transaction.atomic():
        prepare()
        gc.collect()
        tracemalloc.start()
        try:
            run()
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        transaction.set_rollback(True)
    return round(peak / 2**20, 1)


def child(path: Path, *, trace: bool) -> dict:
    """Migrate the database the environment names, then the three imports; what they measured."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from projects.importers.mapping import Mapping
    from projects.importers.services import portfolio_import, portfolio_import_gmpp
    from projects.models import Client, Project
    from teams.models import Department

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    result: dict = {"vendor": vendor, "ru_maxrss_after_setup_mib": round(_max_rss_mib(), 1)}

    def say(text: str) -> None:
        print(f"{vendor}: {text}", file=sys.stderr, flush=True)

    files = sorted((Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk").glob("uk_20*.csv"))
    mapping = Mapping.from_json(MAPPING_JSON.read_text(encoding="utf-8"))

    def gmpp_import():
        return portfolio_import_gmpp(paths=files)

    def mapping_import(progress=None):
        return portfolio_import(paths=[path], mapping=mapping, progress=progress)

    def progress(done: int, total: int) -> None:
        if done % max(1, total // 10) == 0:
            say(f"  {done:,} / {total:,} rows")

    if files:
        say(f"GMPP import of {len(files)} files …")
        result["gmpp"] = {"files": [f.name for f in files], **_measure(gmpp_import)}
    else:
        result["gmpp"] = {"error": f"no uk_20*.csv under {settings.APM_REAL_DATA_DIR}/gmpp_uk"}
    for name in ("mapping", "mapping_again"):
        say(f"{name} …")
        result[name] = _measure(lambda: mapping_import(progress))
    result["ru_maxrss_after_imports_mib"] = round(_max_rss_mib(), 1)

    if trace:
        # Each step again under tracemalloc, rolled back, on the database as its timed run found it: the GMPP
        # baseline and the second mapping import on the database as it is now; the first mapping import after
        # the first's projects, departments and client are deleted (inside the transaction, before tracing).
        def forget_mapping_import():
            Project.objects.filter(status_updates__source__startswith="it-dashboard-").distinct().delete()
            Project.objects.filter(client__name=mapping.client).delete()
            Department.objects.filter(projects__isnull=True).delete()
            Client.objects.filter(name=mapping.client).delete()

        if files:
            say("GMPP import under tracemalloc …")
            result["gmpp"]["tracemalloc_peak_mib"] = _traced_peak_mib(lambda: None, gmpp_import)
        say("mapping under tracemalloc …")
        result["mapping"]["tracemalloc_peak_mib"] = _traced_peak_mib(forget_mapping_import, mapping_import)
        say("mapping_again under tracemalloc …")
        result["mapping_again"]["tracemalloc_peak_mib"] = _traced_peak_mib(lambda: None, mapping_import)
    return result


# --- The parent: the file, the databases, the JSON ---------------------------------------------------------


def _postgres_server() -> tuple[str | None, list[str]]:
    """The first PostgreSQL server URL (no database) that answers, and why the others did not."""
    import psycopg

    candidates = []
    for url in (os.environ.get("DATABASE_URL", ""), os.environ.get("PG_URL", "")):
        if url.startswith(("postgres://", "postgresql://")):
            candidates.append(url)
    candidates += ["postgres://postgres@127.0.0.1:5432", "postgres://root@127.0.0.1:5432"]
    errors = []
    for url in candidates:
        parsed = urlparse(url)
        admin = urlunparse(parsed._replace(path="/postgres"))
        try:
            with psycopg.connect(admin, connect_timeout=3):
                return url, errors
        except psycopg.Error as exc:
            errors.append(f"{parsed.username}@{parsed.hostname}:{parsed.port or 5432}: {str(exc).strip()}")
    return None, errors


def _run_child(env: dict[str, str], path: Path, *, trace: bool, timeout: float | None) -> dict:
    out = path.parent / f"result-{len(os.listdir(path.parent))}.json"
    command = [sys.executable, __file__, "--child", str(path), "--out", str(out)]
    if not trace:
        command.append("--no-tracemalloc")
    try:
        code = subprocess.run(command, env={**env, CHILD_FLAG: "1"}, check=False, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if code != 0 or not out.exists():
        return {"error": f"the benchmark process failed (exit status {code}); see standard error"}
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the generated file (default 50,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the repeat under tracemalloc")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per database (default: none)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    trace = not args.no_tracemalloc
    if args.child:
        args.out.write_text(json.dumps(child(args.child, trace=trace)))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="apm-bench-import-"))
    report: dict = {"benchmark": "import", "python": sys.version.split()[0], "cpus": os.cpu_count()}
    try:
        path = folder / "agency_portfolio.csv"
        started = time.perf_counter()
        report["file"] = generate(path, rows=args.rows, seed=args.seed)
        report["file"]["generated_seconds"] = round(time.perf_counter() - started, 2)
        print(f"Generated {report['file']['rows']:,} rows in {path}", file=sys.stderr, flush=True)

        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        sqlite_dir = folder / "sqlite"
        sqlite_dir.mkdir()
        report["sqlite"] = _run_child(
            {**env, "APM_VAR_DIR": str(sqlite_dir), "DATABASE_URL": f"sqlite:///{sqlite_dir / 'bench.sqlite3'}"},
            path,
            trace=trace,
            timeout=args.timeout,
        )

        if args.no_postgres:
            report["postgresql"] = {"skipped": "--no-postgres"}
        else:
            server, errors = _postgres_server()
            if server is None:
                report["postgresql"] = {"skipped": "PostgreSQL unreachable", "errors": errors}
                print("PostgreSQL unreachable: SQLite only.", file=sys.stderr, flush=True)
            else:
                import psycopg

                parsed = urlparse(server)
                name = f"apm_bench_import_{os.getpid()}"
                admin = urlunparse(parsed._replace(path="/postgres"))
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                try:
                    pg_dir = folder / "pg"
                    pg_dir.mkdir()
                    url = urlunparse(parsed._replace(path=f"/{name}"))
                    report["postgresql"] = _run_child(
                        {**env, "APM_VAR_DIR": str(pg_dir), "DATABASE_URL": url},
                        path,
                        trace=trace,
                        timeout=args.timeout,
                    )
                    report["postgresql"]["server"] = f"{parsed.username}@{parsed.hostname}:{parsed.port or 5432}"
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
