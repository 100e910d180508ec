"""Benchmark: earned value metrics for a 1,000-project portfolio with 200,000 time entries.

    .venv/bin/python bench/portfolio_metrics.py [--projects 1000] [--entries 200000] [--repeat 3]

Always seeds a scratch database and removes it afterwards: a temporary
SQLite file, or, when DATABASE_URL points at PostgreSQL, a temporary
database ``apm_bench_<pid>`` created on that server and dropped at the end.
Nothing is asserted: it prints the seeding time, then for the whole
portfolio and for the largest department the time (first run and median of
``--repeat``) and the number of SQL queries of
``projects.budget.selectors.portfolio_rows``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
FLAG = "APM_BENCH_SCRATCH"


def _scratch_and_rerun() -> int:
    env = dict(os.environ, **{FLAG: "1"})
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urlparse(url)
        name = f"apm_bench_{os.getpid()}"
        admin = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
        try:
            return subprocess.call([sys.executable, *sys.argv], env=env)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    folder = Path(tempfile.mkdtemp(prefix="apm-bench-"))
    env["APM_VAR_DIR"] = str(folder)
    env.pop("DATABASE_URL", None)
    try:
        return subprocess.call([sys.executable, *sys.argv], env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _seed(n_projects: int, n_entries: int) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from projects.models import BudgetLine, Expense, Project, StatusUpdate, TimeEntry
    from teams.models import Department, MemberRate, TeamMember

    rng = random.Random(4)
    with transaction.atomic():
        departments = Department.objects.bulk_create(Department(code=f"D{i}", name=f"Dept {i}") for i in range(5))
        members = TeamMember.objects.bulk_create(TeamMember(name=f"Person {i}") for i in range(300))
        MemberRate.objects.bulk_create(
            MemberRate(
                member=m,
                cost_rate=Decimal(rng.randrange(30, 120)),
                bill_rate=Decimal(150),
                valid_from=dt.date(2020, 1, 1),
            )
            for m in members
        )
        rates = {m.pk: Decimal(rng.randrange(30, 120)) for m in members}
        projects = Project.objects.bulk_create(
            Project(
                code=f"B{i:05d}",
                name=f"Bench {i}",
                start_date=dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 200)),
                end_date=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 400)),
            )
            for i in range(n_projects)
        )
        through = Project.departments.through
        through.objects.bulk_create(
            through(project_id=p.pk, department_id=departments[i % len(departments)].pk) for i, p in enumerate(projects)
        )
        lines = []
        for p in projects:
            for category in ("labour", "materials", "travel"):
                lines.append(BudgetLine(project=p, category=category, amount=Decimal(rng.randrange(10_000, 900_000))))
        BudgetLine.objects.bulk_create(lines, batch_size=2000)
        StatusUpdate.objects.bulk_create(
            (
                StatusUpdate(project=p, as_of=dt.date(2025, month, 28), percent_complete=Decimal(rng.randrange(5, 90)))
                for p in projects
                for month in (3, 6)
            ),
            batch_size=2000,
        )
        Expense.objects.bulk_create(
            (
                Expense(
                    project=p,
                    date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 180)),
                    amount=Decimal(rng.randrange(100, 20_000)),
                    currency="GBP",
                    category="materials",
                    supplier="Supplier",
                )
                for p in projects
                for _ in range(5)
            ),
            batch_size=2000,
        )
        batch = []
        for _ in range(n_entries):
            member = members[rng.randrange(len(members))]
            hours = Decimal(rng.choice(("1", "2.5", "4", "7.5", "8")))
            rate = rates[member.pk]
            batch.append(
                TimeEntry(
                    member=member,
                    project=projects[rng.randrange(len(projects))],
                    date=dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(0, 360)),
                    hours=hours,
                    cost_rate=rate,
                    cost=(hours * rate).quantize(Decimal("0.01")),
                    currency="GBP",
                )
            )
            if len(batch) == 5000:
                TimeEntry.objects.bulk_create(batch)
                batch = []
        if batch:
            TimeEntry.objects.bulk_create(batch)


def _measure(label: str, queryset_factory, as_of, repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.budget.selectors import portfolio_rows

    times = []
    for _ in range(max(repeat, 1)):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            rows = portfolio_rows(projects=queryset_factory(), as_of=as_of)
            times.append(time.perf_counter() - start)
    red = sum(1 for r in rows if r.rag == "red")
    print(
        f"{label}: {len(rows)} projects ({red} red), {len(queries)} queries, "
        f"first {times[0]:.3f} s, median {statistics.median(times):.3f} s over {len(times)} runs"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get(FLAG):
        return _scratch_and_rerun()

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from projects.models import Project, TimeEntry

    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    _seed(args.projects, args.entries)
    print(
        f"Seeded {Project.objects.count()} projects and {TimeEntry.objects.count()} time entries "
        f"in {time.perf_counter() - start:.1f} s"
    )
    as_of = dt.date(2025, 6, 30)
    _measure("Whole portfolio", lambda: Project.objects.all(), as_of, args.repeat)
    _measure("Department D0", lambda: Project.objects.filter(departments__code="D0"), as_of, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
