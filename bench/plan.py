"""Benchmark: the plan of a project with 2,000 tasks and 3,000 finish-to-start links.

    .venv/bin/python bench/plan.py [--tasks 2000] [--links 3000] [--repeat 7] [--seed 5] [--json]

Always works on a temporary SQLite database (APM_VAR_DIR and DATABASE_URL
are pointed at a temporary folder before Django starts, unless DATABASE_URL
is already set: then that database is used and the rows are left behind, so
give it a scratch database). It makes one project with ``--tasks`` dated
tasks (1 to 10 days each, starts spread over a year, a third under one of 20
deliverables) and ``--links`` random links, each from a lower to a higher
index (so no loop), with a fixed seed. Then, each ``--repeat`` times:

- ``critical_path``: ``projects.planning.schedule.critical_path`` over the
  tasks' dates and links (pure Python, the data already read);
- ``plan_page``: GET ``/projects/<code>/plan/`` as the project's manager
  through the in-process test client (server time: the view, its queries and
  the template, no network), with the page's query count;
- ``task_list``: GET ``/projects/<code>/tasks/`` the same way: the baseline,
  a list page of the same project measured in the same process (its first
  hundred tasks: the list is paged).

Prints the medians (p50) and first runs in milliseconds as one JSON object
(``--json``: on one line). Nothing is asserted. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _timed(fn, repeat: int) -> tuple[float, float]:
    """(first, median) of ``repeat`` runs of ``fn``, in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return round(runs[0], 2), round(statistics.median(runs), 2)


class _Counted:
    """Counts the queries run on ``connection`` inside the block (the request's own reset of the query log
    does not lose them, as it would with ``CaptureQueriesContext``)."""

    def __init__(self, connection) -> None:
        self.connection, self.count = connection, 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> _Counted:
        self._wrapped = self.connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapped.__exit__(*exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="apm-bench-plan-")
    os.environ.setdefault("APM_VAR_DIR", tmp.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from apm.accounts.models import Role, User
    from projects.models import Deliverable, Project, Task
    from projects.planning import schedule

    rng = random.Random(args.seed)
    started = time.perf_counter()
    pm = User.objects.create_user(username="bench-pm", role=Role.PROJECT_MANAGER)
    project = Project.objects.create(code="PLAN-1", name="Bench plan", project_manager=pm)
    first = dt.date(2026, 1, 5)
    deliverables = Deliverable.objects.bulk_create(
        [
            Deliverable(project=project, name=f"Deliverable {i}", due_date=first + dt.timedelta(days=20 * i))
            for i in range(20)
        ]
    )
    tasks = []
    for i in range(args.tasks):
        start = first + dt.timedelta(days=rng.randint(0, 365))
        tasks.append(
            Task(
                project=project,
                deliverable=rng.choice(deliverables) if i % 3 == 0 else None,
                title=f"Task {i:05d}",
                start_date=start,
                due_date=start + dt.timedelta(days=rng.randint(0, 9)),
            )
        )
    tasks = Task.objects.bulk_create(tasks, batch_size=1000)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(args.links, args.tasks * (args.tasks - 1) // 2):
        a, b = sorted(rng.sample(range(args.tasks), 2))
        pairs.add((a, b))
    link = Task.depends_on.through
    link.objects.bulk_create([link(from_task=tasks[b], to_task=tasks[a]) for a, b in sorted(pairs)], batch_size=2000)
    built = time.perf_counter() - started

    dates = {t.pk: (t.start_date, t.due_date) for t in tasks}
    edges = [(tasks[a].pk, tasks[b].pk) for a, b in sorted(pairs)]
    path = schedule.critical_path(dates, edges)
    cpm_first, cpm_p50 = _timed(lambda: schedule.critical_path(dates, edges), args.repeat)

    client = Client()
    client.force_login(pm)
    plan_url = reverse("projects:plan", args=[project.code])
    list_url = reverse("projects:tasks", args=[project.code])
    with _Counted(connection) as plan_queries:
        response = client.get(plan_url)
    assert response.status_code == 200, response.status_code  # noqa: S101 - a broken page is no figure
    page_bytes = len(response.content)
    plan_first, plan_p50 = _timed(lambda: client.get(plan_url), args.repeat)
    with _Counted(connection) as list_queries:
        client.get(list_url)
    list_first, list_p50 = _timed(lambda: client.get(list_url), args.repeat)

    report = {
        "tasks": args.tasks,
        "links": len(pairs),
        "repeat": args.repeat,
        "database": connection.vendor,
        "setup_s": round(built, 2),
        "critical_path_ms": {"first": cpm_first, "p50": cpm_p50},
        "critical_tasks": len(path.critical),
        "plan_length_days": path.length_days,
        "plan_page_ms": {"first": plan_first, "p50": plan_p50},
        "plan_page_queries": plan_queries.count,
        "plan_page_kib": round(page_bytes / 1024, 1),
        "baseline_task_list_ms": {"first": list_first, "p50": list_p50},
        "baseline_task_list_queries": list_queries.count,
    }
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
