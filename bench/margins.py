"""Benchmark: revenue and margin of a department's and of a client's projects, beside the department table's read.

    .venv/bin/python bench/margins.py [--projects 1000] [--entries 200000] [--repeat 5] [--json]

1. A throw-away database ``apm_bench_margins`` on the PostgreSQL server of
   bench/_postgres.py (``APM_BENCH_DATABASE_URL``, never ``DATABASE_URL``; a
   private cluster started here when none answers), dropped at the end.
2. A child process with ``DATABASE_URL`` set to it and ``DEBUG`` off migrates
   it, collects the static files (pages name them through the manifest) and
   seeds ``--projects`` projects in 5 departments for 50 clients (each with a
   margin target), three budget lines, two status updates, five expenses and a
   billing each (about half time and materials, three in ten a fixed price with
   three billing milestones or by percent complete, one in five a retainer),
   a tenth of them in EUR (with the day's exchange rate), and ``--entries``
   time entries of 300 people over 18 months, three in four approved, nine in
   ten billable with their bill rate and amount; then ANALYZE.
3. In that process, each read ``--repeat`` times after a warm-up: wall-clock
   milliseconds (median, and each run) and the queries of the last run
   (``CaptureQueriesContext``):

   * ``baseline``: ``SELECT 1`` (the floor of one query's round trip here);
   * ``margins_department``: ``projects.billing.margin.project_margins`` over
     the first department's projects (a fifth of them);
   * ``margins_client``: the same over the first client's projects;
   * ``margins_all``: the same over every project;
   * ``portfolio_table``: ``projects.budget.selectors.portfolio_table`` of the
     same department (the department budget table's read), and
     ``portfolio_table_margin`` with the margin rows asked for, as the page asks
     when its user may see the margin (when the selector takes ``margin_of``);
   * ``portfolio_snapshot``: the internal department portfolio report's
     snapshot (``reports.snapshot.report_build_snapshot``), which reads the
     margins of every project of the department;
   * the pages, through Django's test client as an administrator, when their
     routes exist: ``page_department_budget``
     (``projects:department_budget``) and ``page_client_account``
     (``projects:client_account``).

Prints a table, or with ``--json`` one JSON object on stdout (progress on
stderr): ``{"sizes": {...}, "seed_s", "rows": {"<read>": {"median_ms",
"runs_ms", "queries", "items"}}, "load_avg": {"before", "after"}, "cpus",
"notes"}``. Small sizes for a quick check: ``--projects 100 --entries 10000
--repeat 2``. Nothing is asserted. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from _postgres import bench_server, temporary_database  # noqa: E402

DATABASE = "apm_bench_margins"
DEPARTMENTS = 5
CLIENTS = 50
PEOPLE = 300


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The child: seed and measure, in-process --------------------------------------------------------------------


def seed(projects: int, entries: int, as_of: Any) -> dict[str, Any]:
    """The data of the module docstring (deterministic: a seeded random generator); the ids the reads need."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.db import transaction

    from apm.accounts.models import Role, User
    from projects.models import (
        BillingMilestone,
        BillingModel,
        BudgetLine,
        Client,
        ExchangeRate,
        Expense,
        Project,
        ProjectBilling,
        ProjectBudget,
        Recognition,
        StatusUpdate,
        TimeEntry,
    )
    from teams.models import Department, MemberRate, TeamMember

    rng = random.Random(7)
    d = Decimal
    start = as_of - dt.timedelta(days=540)
    with transaction.atomic():
        admin = User.objects.create_superuser(
            username="bench_admin", email="bench.admin@example.com", password=secrets.token_urlsafe(16)
        )
        User.objects.filter(pk=admin.pk).update(role=Role.ADMINISTRATOR)
        departments = Department.objects.bulk_create(
            Department(code=f"MB{i}", name=f"Margin bench {i}") for i in range(DEPARTMENTS)
        )
        clients = Client.objects.bulk_create(
            Client(name=f"Bench client {i:02d}", margin_target_percent=d(rng.choice((15, 20, 25, 30))))
            for i in range(CLIENTS)
        )
        members = TeamMember.objects.bulk_create(
            TeamMember(name=f"Person {i:03d}", department=departments[i % DEPARTMENTS]) for i in range(PEOPLE)
        )
        cost = {m.pk: d(rng.randrange(35, 95)) for m in members}
        MemberRate.objects.bulk_create(
            MemberRate(member=m, cost_rate=cost[m.pk], bill_rate=cost[m.pk] * 2, valid_from=start) for m in members
        )
        made = Project.objects.bulk_create(
            Project(
                code=f"MB{i:05d}",
                name=f"Margin bench project {i}",
                client=clients[i % CLIENTS],
                currency="EUR" if i % 10 == 9 else "GBP",
                bac=d(rng.randrange(50_000, 900_000)),
                start_date=start + dt.timedelta(days=rng.randrange(0, 120)),
                end_date=as_of + dt.timedelta(days=rng.randrange(60, 500)),
            )
            for i in range(projects)
        )
        through = Project.departments.through
        through.objects.bulk_create(
            through(project_id=p.pk, department_id=departments[i % DEPARTMENTS].pk) for i, p in enumerate(made)
        )
        BudgetLine.objects.bulk_create(
            (
                BudgetLine(project=p, category=category, amount=d(rng.randrange(10_000, 300_000)))
                for p in made
                for category in ("labour", "travel", "subcontractors")
            ),
            batch_size=2000,
        )
        ProjectBudget.objects.bulk_create(
            ProjectBudget(
                project=p,
                etc_bottom_up=d(rng.randrange(20_000, 400_000)) if i % 3 == 0 else None,
                cost_basis="approved" if i % 4 == 0 else "all",
            )
            for i, p in enumerate(made)
        )
        StatusUpdate.objects.bulk_create(
            (
                StatusUpdate(project=p, as_of=as_of - dt.timedelta(days=days), percent_complete=d(rng.randrange(5, 95)))
                for p in made
                for days in (35, 7)
            ),
            batch_size=2000,
        )
        Expense.objects.bulk_create(
            (
                Expense(
                    project=p,
                    date=start + dt.timedelta(days=rng.randrange(0, 540)),
                    amount=d(rng.randrange(100, 20_000)),
                    currency=p.currency,
                    category="travel",
                    supplier="Supplier",
                    billable=rng.random() < 0.8,
                )
                for p in made
                for _ in range(5)
            ),
            batch_size=2000,
        )
        billings, milestones = [], []
        for p in made:
            kind = rng.randrange(10)
            if kind < 5:
                billings.append(
                    ProjectBilling(
                        project=p,
                        model=BillingModel.TIME_AND_MATERIALS,
                        expense_markup_percent=d(10),
                        contract_value=p.bac * d("1.3") if kind % 2 else None,
                    )
                )
            elif kind < 8:
                percent = kind == 7
                billings.append(
                    ProjectBilling(
                        project=p,
                        model=BillingModel.FIXED_PRICE,
                        contract_value=p.bac * d("1.25"),
                        recognition=Recognition.PERCENT_COMPLETE if percent else Recognition.MILESTONES,
                    )
                )
                if not percent:
                    share = (p.bac * d("1.25") / 3).quantize(d("0.01"))
                    milestones += [
                        BillingMilestone(
                            project=p, name=f"Stage {k}", amount=share, due_on=p.start_date + dt.timedelta(days=200 * k)
                        )
                        for k in (1, 2, 3)
                    ]
            else:
                billings.append(
                    ProjectBilling(
                        project=p,
                        model=BillingModel.RETAINER,
                        retainer_fee=d(rng.randrange(5_000, 20_000)),
                        retainer_hours=d(rng.randrange(40, 160)),
                        rollover_months=rng.choice((0, 1, 2)),
                        overage_rate=d(110),
                    )
                )
        ProjectBilling.objects.bulk_create(billings, batch_size=2000)
        BillingMilestone.objects.bulk_create(milestones, batch_size=2000)
        ExchangeRate.objects.bulk_create(
            [
                ExchangeRate(date=as_of, currency="GBP", rate=d("0.8612"), source="bench"),
                ExchangeRate(date=as_of, currency="USD", rate=d("1.0550"), source="bench"),
            ]
        )
        approvals = ["approved"] * 15 + ["submitted", "submitted", "open", "open", "rejected"]
        batch: list[TimeEntry] = []
        for _ in range(entries):
            member, project = members[rng.randrange(PEOPLE)], made[rng.randrange(projects)]
            hours = d(rng.choice(("1", "2.5", "4", "7.5", "8")))
            billable = rng.random() < 0.9
            bill = cost[member.pk] * 2 if billable else None
            batch.append(
                TimeEntry(
                    member=member,
                    project=project,
                    date=start + dt.timedelta(days=rng.randrange(0, 540)),
                    hours=hours,
                    billable=billable,
                    cost_rate=cost[member.pk],
                    cost=(hours * cost[member.pk]).quantize(d("0.01")),
                    currency=project.currency,
                    approval=rng.choice(approvals),
                    bill_rate=bill,
                    bill_rate_source="person" if billable else "",
                    bill_amount=(hours * bill).quantize(d("0.01")) if bill is not None else None,
                )
            )
            if len(batch) == 5000:
                TimeEntry.objects.bulk_create(batch)
                batch = []
        if batch:
            TimeEntry.objects.bulk_create(batch)
    return {"admin": admin.pk, "department": departments[0].pk, "client": clients[0].pk}


def timed(label: str, read: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """``read`` once to warm up, then ``repeat`` times: median and each run's milliseconds, the last run's queries,
    and how many items it answered (a list's length, a page's status)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    read()
    runs: list[float] = []
    answer: Any = None
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            answer = read()
            runs.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    if hasattr(answer, "status_code"):
        items: Any = answer.status_code
    elif isinstance(answer, dict):
        items = len(answer.get("projects") or [])
    elif hasattr(answer, "rows"):
        items = answer.total
    else:
        items = len(answer)
    row = {"median_ms": round(statistics.median(runs), 1), "runs_ms": [round(r, 1) for r in runs], "queries": queries}
    row["items"] = items
    _progress(f"  {label:26} {row['median_ms']:9.1f} ms  {queries:3d} queries  ({items})")
    return row


def child(projects: int, entries: int, repeat: int) -> None:
    """Migrate, collect the static files, seed, ANALYZE and measure; one JSON line on stdout."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    import datetime as dt
    import inspect

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from apm.accounts.models import User
    from projects.billing.margin import project_margins
    from projects.budget.selectors import portfolio_table
    from projects.models import Project
    from reports.snapshot import report_build_snapshot
    from teams.models import Department

    call_command("migrate", verbosity=0, stdout=sys.stderr)
    call_command("collectstatic", "--noinput", verbosity=0, stdout=sys.stderr)
    as_of = dt.date(2026, 12, 4)
    started = time.perf_counter()
    _progress(f"Seeding {projects} projects and {entries} time entries …")
    ids = seed(projects, entries, as_of)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_s = round(time.perf_counter() - started, 1)
    _progress(f"  seeded in {seed_s} s")
    department = Department.objects.get(pk=ids["department"])

    def select_one() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchall()

    def in_department() -> Any:
        return Project.objects.filter(departments=department)

    rows: dict[str, Any] = {}
    notes: list[str] = []
    rows["baseline"] = timed("baseline (SELECT 1)", select_one, repeat)
    rows["margins_department"] = timed(
        "margins_department", lambda: project_margins(projects=in_department(), as_of=as_of), repeat
    )
    rows["margins_client"] = timed(
        "margins_client",
        lambda: project_margins(projects=Project.objects.filter(client_id=ids["client"]), as_of=as_of),
        repeat,
    )
    rows["margins_all"] = timed(
        "margins_all", lambda: project_margins(projects=Project.objects.all(), as_of=as_of), repeat
    )
    rows["portfolio_table"] = timed(
        "portfolio_table", lambda: portfolio_table(projects=in_department(), as_of=as_of, status="all"), repeat
    )
    if "margin_of" in inspect.signature(portfolio_table).parameters:
        rows["portfolio_table_margin"] = timed(
            "portfolio_table_margin",
            lambda: portfolio_table(
                projects=in_department(), as_of=as_of, status="all", margin_of=Project.objects.all()
            ),
            repeat,
        )
    else:
        notes.append("portfolio_table takes no margin_of: the table's margin rows were not timed.")
    rows["portfolio_snapshot"] = timed(
        "portfolio_snapshot",
        lambda: report_build_snapshot(
            kind="portfolio",
            audience="internal",
            scope="department",
            department=department,
            period_start=None,
            period_end=as_of,
            title="Margin bench",
        ),
        repeat,
    )
    browser = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
    browser.force_login(User.objects.get(pk=ids["admin"]))
    pages = {
        "page_department_budget": ("projects:department_budget", [department.code], {"status": "all"}),
        "page_client_account": ("projects:client_account", [ids["client"]], {}),
    }
    for label, (name, args, query) in pages.items():
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            notes.append(f"{name} does not exist: its page was not timed.")
            continue
        rows[label] = timed(
            label, lambda url=url, query=query: browser.get(url, {**query, "as_of": as_of.isoformat()}), repeat
        )
        if rows[label]["items"] != 200:
            notes.append(f"{url} answered {rows[label]['items']}.")
    print(json.dumps({"seed_s": seed_s, "rows": rows, "notes": notes}))


# --- The parent: the database, the child, the figures -----------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000, help="Projects (default 1000).")
    parser.add_argument("--entries", type=int, default=200_000, help="Time entries (default 200000).")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each read (default 5).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeat = max(args.repeat, 1)
    if args.child:
        child(args.projects, args.entries, repeat)
        return 0

    load_before = os.getloadavg()
    with (
        bench_server() as server,
        temporary_database(server, DATABASE) as url,
        tempfile.TemporaryDirectory(prefix="apm-bench-margins-") as var,
    ):
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EMAIL_URL", "REDIS_URL")},
            "DJANGO_SETTINGS_MODULE": "apm.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            "APM_TRUSTED_PROXY_COUNT": "1",
            "APM_VAR_DIR": var,
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable,
            __file__,
            "--child",
            f"--projects={args.projects}",
            f"--entries={args.entries}",
            f"--repeat={repeat}",
        ]
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"The measuring process failed (exit {result.returncode}); its output is above.")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    load_avg = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    answer = {
        "sizes": {"projects": args.projects, "entries": args.entries, "repeat": repeat},
        "seed_s": measured["seed_s"],
        "rows": measured["rows"],
        "load_avg": load_avg,
        "cpus": os.cpu_count(),
        "notes": measured["notes"],
    }
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    sizes = f"{args.projects} projects, {args.entries} time entries"
    print(f"{sizes}, median of {repeat} runs (seeded in {answer['seed_s']} s)")
    print(f"{'read':26} {'median ms':>10} {'queries':>8} {'items':>6}")
    for label, row in answer["rows"].items():
        print(f"{label:26} {row['median_ms']:10.1f} {row['queries']:8d} {row['items']!s:>6}")
    print(f"Load average before/after: {load_avg['before']} / {load_avg['after']}")
    for note in answer["notes"]:
        print(f"Note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
