"""Benchmark (b): N highlight reports rendered and emailed by two Celery worker processes.

    .venv/bin/python bench/report_pipeline.py [--reports 500] [--workers 2]

Real services: Redis (REDIS_URL, default redis://127.0.0.1:6379; this script
uses database 11 and flushes it before and after), PostgreSQL (a database
``apm_bench_pipeline`` it creates and drops; PG_URL, default
postgres://postgres@127.0.0.1:5432) and a local SMTP catcher (aiosmtpd)
that counts what arrives. Each worker is ``celery worker -P solo`` started
through ``bench/_timed_worker.py``, which adds the seconds spent inside
WeasyPrint (layout and PDF writing) to a Redis counter.

Printed: reports and emails, wall seconds from queueing to the last email,
reports per minute, the share of the workers' time spent inside WeasyPrint,
and any report or email not done. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "apm_bench_pipeline"
REDIS_DB = 11


class Catcher:
    def __init__(self) -> None:
        self.count = 0
        self.ids: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        for line in (envelope.original_content or envelope.content).splitlines():
            if line.lower().startswith(b"message-id:"):
                self.ids.add(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def seed(n: int) -> list[int]:
    """``n`` projects (each with a client, an opted-in contact, a reporting head, an update and milestones)."""
    import datetime as dt
    from decimal import Decimal

    from apm.accounts.models import Role, User
    from projects.models import Client, ClientContact, Milestone, Project, StatusUpdate
    from teams.models import Department

    department = Department.objects.create(code="BENCH", name="Benchmark department")
    head = User.objects.create(username="bench-head", email="head@bench.example", role=Role.DEPARTMENT_HEAD)
    department.heads.add(head)
    clients = Client.objects.bulk_create(Client(name=f"Client {i:04d} Société Générale 北京") for i in range(n))
    ClientContact.objects.bulk_create(
        ClientContact(client=c, name=f"Contact {i}", email=f"c{i}@client.example", opted_in_reports=True)
        for i, c in enumerate(clients)
    )
    projects = Project.objects.bulk_create(
        Project(code=f"BENCH-{i:04d}", name=f"Benchmark project {i}", client=c, bac=Decimal("1250000"), rag="amber")
        for i, c in enumerate(clients)
    )
    Project.departments.through.objects.bulk_create(
        Project.departments.through(project_id=p.pk, department_id=department.pk) for p in projects
    )
    Project.reporting_heads.through.objects.bulk_create(
        Project.reporting_heads.through(project_id=p.pk, user_id=head.pk) for p in projects
    )
    today = dt.datetime.now(dt.UTC).date()
    updates = []
    for p in projects:
        for weeks, rag in ((1, "green"), (0, "amber")):
            updates.append(
                StatusUpdate(
                    project=p,
                    as_of=today - dt.timedelta(weeks=weeks),
                    rag=rag,
                    rag_time="amber",
                    rag_cost="green",
                    rag_scope="green",
                    rag_quality="green",
                    rag_risk="red",
                    commentary_overall="Steady progress; two risks need attention. " * 4,
                    work_done="Finished the discovery workshops and the data mapping.\nSigned off the design.",
                    work_planned="Build the first release and test it with the client's team.",
                    decisions_needed="Approve the release window\nConfirm the test users",
                    risks_issues="Supplier capacity in June\nData quality in the legacy system",
                    lessons_learned="Early prototypes shortened the design phase.",
                    budget_period=Decimal("100000"),
                    forecast_period=Decimal("104000"),
                    percent_complete=Decimal("45"),
                )
            )
    StatusUpdate.objects.bulk_create(updates)
    Milestone.objects.bulk_create(
        Milestone(project=p, name=f"Milestone {k}", due_date=today + dt.timedelta(days=30 * (k - 2)))
        for p in projects
        for k in range(5)
    )
    return [p.pk for p in projects]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args()

    import psycopg
    import redis
    from aiosmtpd.controller import Controller

    pg = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379")
    redis_url = urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    folder = Path(tempfile.mkdtemp(prefix="apm-bench-pipeline-"))
    catcher = Catcher()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "apm.settings",
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "APM_VAR_DIR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "media"),
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    workers: list[subprocess.Popen] = []
    try:
        call_command("migrate", verbosity=0)
        print(f"Seeding {args.reports} projects …", flush=True)
        project_ids = seed(args.reports)
        for n in range(args.workers):
            log = (folder / f"worker{n}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [sys.executable, str(BASE_DIR / "bench" / "_timed_worker.py"), f"bench{n}@%h"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        time.sleep(6)  # worker start-up (not counted)
        from apm.accounts.models import Role, User
        from projects.models import Project
        from reports.models import Report, ReportStatus
        from reports.services import report_request

        admin = User.objects.create(username="bench-admin", email="admin@bench.example", role=Role.ADMINISTRATOR)
        started = time.perf_counter()
        for project in Project.objects.filter(pk__in=project_ids).order_by("pk"):
            report_request(kind="highlight", audience="client", scope="project", project=project, requested_by=admin)
        queued = time.perf_counter() - started
        expected_emails = args.reports * 2  # the opted-in contact and the requester
        while catcher.count < expected_emails and time.perf_counter() - started < args.timeout:
            time.sleep(0.5)
        wall = time.perf_counter() - started
        rendered = Report.objects.filter(status=ReportStatus.RENDERED).count()
        weasy = float(store.get("bench:weasyprint_seconds") or 0)
        busy = float(store.get("bench:task_seconds") or 0)
        print(f"Reports rendered:      {rendered} of {args.reports} (queued in {queued:.1f} s)")
        print(f"Emails received:       {catcher.count} of {expected_emails} ({len(catcher.ids)} distinct Message-IDs)")
        print(f"Wall time:             {wall:.1f} s with {args.workers} workers")
        print(f"Reports per minute:    {rendered / wall * 60:.0f}")
        share = weasy / busy * 100 if busy else 0
        print(f"Inside WeasyPrint:     {weasy:.1f} s of {busy:.1f} s in tasks ({share:.0f}%)")
        print(f"                       {weasy / (wall * args.workers) * 100:.0f}% of the workers' wall time")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        controller.stop()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        store.flushdb()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
