"""Benchmark: the portfolio report of a synthetic department at growing sizes, one process per size.

    .venv/bin/python bench/report_scale.py --projects 500,1000 --json

On a temporary SQLite database (migrated here, deleted at the end) it builds
one department per size, each with N projects (a client, two weekly status
updates with commentary, five milestones each), then, for each size and each
worker count of ``--workers`` (default 1 and 2), starts that many Celery
workers (bench/_fleet.py: prefork, one pool child each, on the embedded
broker), has them render a warm-up department's report of 50 projects (running
workers have rendered reports before), then renders the department's internal
portfolio report through them in parts ``--repeat`` times (default 3), the
chunk cache emptied before each. Prints one JSON object, ``{"rows":
[{"projects", "workers", "seconds", "runs_s", "pages", "peak_rss_mb", "mode",
"parts"}], "load_avg", "notes"}`` (``pages`` and ``parts`` of the last run); ``seconds`` the median of the runs' seconds
from the publish of the render task to the rendered report (a run on two
shared cores moves by a tenth either way), ``peak_rss_mb`` the largest peak
resident memory (VmHWM) of the workers' pool children and of the merge
process a large report's assembly starts (``worker_peak_rss_mb`` and
``merge_peak_rss_mb`` apart). ``--single`` adds
one single-pass render per size in a fresh process (``mode``
"single_pass", the render alone, one run: no ``runs_s``). Nothing is asserted: it prints figures.
Without ``--json`` it prints one line per run.
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


def setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    import django

    django.setup()


def department_code(projects: int) -> str:
    return f"SCALE{projects}"


#: The department whose report warms a fleet's workers up before the timed runs (just over the size laid out
#: in parts: every step of the pipeline runs once).
WARM_UP_PROJECTS = 50


def seed(sizes: list[int]) -> None:
    """Migrate the (temporary) database and build one department of ``n`` projects for each size."""
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from projects.models import Client, Milestone, Project, StatusUpdate
    from teams.models import Department

    call_command("migrate", verbosity=0, stdout=sys.stderr)
    today = dt.datetime.now(dt.UTC).date()
    rags = ("green", "amber", "red", "amber", "green")
    for n in dict.fromkeys([WARM_UP_PROJECTS, *sizes]):
        department = Department.objects.create(code=department_code(n), name=f"Scale department of {n} projects")
        clients = Client.objects.bulk_create(Client(name=f"Client {n}-{i:03d} Société Générale") for i in range(50))
        projects = Project.objects.bulk_create(
            (
                Project(
                    code=f"S{n}-{i:05d}",
                    name=f"Scale project {i} of the {n}: infrastructure renewal phase {i % 7 + 1}",
                    client=clients[i % len(clients)],
                    bac=Decimal(250_000 + 1_000 * (i % 900)),
                    rag=rags[i % len(rags)],
                )
                for i in range(n)
            ),
            batch_size=1000,
        )
        Project.departments.through.objects.bulk_create(
            (Project.departments.through(project_id=p.pk, department_id=department.pk) for p in projects),
            batch_size=1000,
        )
        updates = [
            StatusUpdate(
                project=p,
                as_of=today - dt.timedelta(weeks=weeks),
                rag=rags[(i + weeks) % len(rags)],
                rag_time="amber",
                rag_cost="green",
                rag_scope="green",
                rag_quality="green",
                rag_risk=rags[i % len(rags)],
                commentary_overall=f"Project {i}: steady progress this week; two risks need attention. " * 4,
                work_done="Finished the discovery workshops and the data mapping.\nSigned off the design.",
                work_planned="Build the first release and test it with the client's team.",
                decisions_needed="Approve the release window\nConfirm the test users",
                risks_issues="Supplier capacity in June\nData quality in the legacy system",
                lessons_learned="Early prototypes shortened the design phase.",
                budget_period=Decimal("100000"),
                forecast_period=Decimal(100_000 + 500 * (i % 20)),
                percent_complete=Decimal(i % 100),
            )
            for i, p in enumerate(projects)
            for weeks in (1, 0)
        ]
        StatusUpdate.objects.bulk_create(updates, batch_size=1000)
        Milestone.objects.bulk_create(
            (
                Milestone(project=p, name=f"Milestone {k}", due_date=today + dt.timedelta(days=30 * (k - 2)))
                for p in projects
                for k in range(5)
            ),
            batch_size=1000,
        )


def own_peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM: ru_maxrss would carry its parent's across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def render(projects: int) -> dict[str, object]:
    """Snapshot and one single-pass render of the size's department, in this (fresh) process."""
    from django.utils import timezone

    from reports.rendering import report_render_snapshot
    from reports.snapshot import report_build_snapshot
    from teams.models import Department

    department = Department.objects.get(code=department_code(projects))
    started = time.perf_counter()
    snapshot = report_build_snapshot(
        kind="portfolio",
        audience="internal",
        scope="department",
        department=department,
        period_start=None,
        period_end=timezone.localdate(),
        title=f"{department.name}: portfolio report (benchmark)",
    )
    snapshot_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rendered = report_render_snapshot(snapshot, chunked=False)
    seconds = time.perf_counter() - started
    return {
        "projects": projects,
        "workers": 1,
        "mode": "single_pass",
        "seconds": round(seconds, 3),
        "pages": rendered.page_count,
        "peak_rss_mb": own_peak_rss_mb(),
        "snapshot_s": round(snapshot_seconds, 3),
    }


def render_with_workers(projects: int, workers: int, repeat: int) -> dict[str, object]:
    """The size's report through ``workers`` Celery workers started for it (bench/_fleet.py), ``repeat`` times,
    the chunk cache emptied before each: the median of the seconds from the publish of the render task to the
    rendered report (each run in ``runs_s``); the workers' peak memory over all runs. The workers first
    render the warm-up department's report (running workers have rendered reports before)."""
    from reports.models import RenderedChunk, Report, ReportChunk
    from teams.models import Department

    sys.path.insert(0, str(BASE_DIR / "bench"))
    from _fleet import Fleet, queue_report, render_through_workers

    department = Department.objects.get(code=department_code(projects))
    warm_up = Department.objects.get(code=department_code(WARM_UP_PROJECTS))
    runs = []
    with Fleet(workers=workers) as fleet:
        render_through_workers(queue_report(warm_up, title=f"{warm_up.name}: portfolio report (warm-up)"))
        for _ in range(repeat):
            RenderedChunk.objects.all().delete()
            report_id = queue_report(department, title=f"{department.name}: portfolio report (benchmark)")
            runs.append(round(render_through_workers(report_id), 3))
        peak = fleet.peak_rss_mb()
        merge_peak = fleet.merge_peak_rss_mb()
    return {
        "projects": projects,
        "workers": workers,
        "mode": "parts",
        "seconds": round(statistics.median(runs), 3),
        "runs_s": runs,
        "pages": Report.objects.get(pk=report_id).page_count,
        "peak_rss_mb": max(peak, merge_peak),
        "worker_peak_rss_mb": peak,
        "merge_peak_rss_mb": merge_peak or None,
        "parts": ReportChunk.objects.filter(report_id=report_id).count(),
    }


def run_self(arguments: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, __file__, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default="500,1000", help="Sizes, comma-separated (default 500,1000).")
    parser.add_argument("--workers", default="1,2", help="Worker counts, comma-separated (default 1,2).")
    parser.add_argument("--single", action="store_true", help="Also one single-pass render per size, no workers.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument("--repeat", type=int, default=3, help="Renders per size and worker count (default 3).")
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    parser.add_argument("--render", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--with-workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        setup_django()
        seed([int(n) for n in args.seed.split(",")])
        return 0
    if args.render:
        setup_django()
        if args.with_workers:
            print(json.dumps(render_with_workers(args.render, args.with_workers, max(args.repeat, 1))))
        else:
            print(json.dumps(render(args.render)))
        return 0

    sizes = [int(n) for n in args.projects.split(",") if n.strip()]
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    notes: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="apm-bench-scale-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'scale.sqlite3'}",
        "APM_VAR_DIR": str(folder / "var"),
        "DJANGO_SETTINGS_MODULE": "apm.settings",
    }
    rows = []
    try:
        started = time.perf_counter()
        print(f"Seeding {', '.join(map(str, sizes))} projects …", file=sys.stderr, flush=True)
        run_self(["--seed", ",".join(map(str, sizes))], env)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        load_before = os.getloadavg()
        for n in sizes:
            runs = [
                ["--render", str(n), "--with-workers", str(count), "--repeat", str(args.repeat)] for count in workers
            ]
            if args.single:
                runs.append(["--render", str(n)])
            for arguments in runs:
                row = json.loads(run_self(arguments, env).strip().splitlines()[-1])
                rows.append(row)
                print(
                    f"{n:>6} projects, {row['mode']}, {row['workers']} worker(s): {row['seconds']:.2f} s, "
                    f"{row['pages']} pages, peak RSS {row['peak_rss_mb']:.0f} MiB",
                    file=sys.stderr if args.json else sys.stdout,
                    flush=True,
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_avg = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    if args.json:
        print(json.dumps({"rows": rows, "load_avg": load_avg, "cpus": os.cpu_count(), "notes": notes}, indent=2))
    else:
        print(f"Load average before/after: {load_avg['before']} / {load_avg['after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
