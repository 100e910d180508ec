"""Several dispatchers at once on PostgreSQL create one report per schedule and period.

Threads, each with its own database connection, run the dispatcher at the
same instant (a barrier releases them together) for the same due
schedules. Skips unless the database is PostgreSQL (fails under CI=true).
"""

from __future__ import annotations

import datetime as dt
import threading

from django.db import connection, connections

from reports.models import Report, ReportSchedule
from reports.services import reports_dispatch_due
from tests import factories
from tests.integration.services import unavailable

OCCURRENCE = dt.datetime(2025, 6, 9, 8, 0, tzinfo=dt.UTC)
THREADS = 6


def test_it_creates_one_report_per_period_when_dispatchers_race(transactional_db, monkeypatch):
    if connection.vendor != "postgresql":
        unavailable("the dispatcher race needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)
    schedules = [
        factories.ReportScheduleFactory(department=factories.DepartmentFactory(code=f"RACE{n}"), next_run_at=OCCURRENCE)
        for n in range(5)
    ]
    barrier = threading.Barrier(THREADS)
    created: list[list[int]] = []
    errors: list[BaseException] = []

    def dispatcher(offset: int) -> None:
        try:
            barrier.wait(timeout=10)
            # Slightly different clocks, as on two machines.
            now = OCCURRENCE + dt.timedelta(seconds=5 + offset)
            created.append([report.pk for report in reports_dispatch_due(now=now)])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    all_created = [pk for batch in created for pk in batch]
    assert len(all_created) == len(schedules)
    assert Report.objects.count() == len(schedules)
    for schedule in schedules:
        assert Report.objects.filter(schedule=schedule, scheduled_for=OCCURRENCE).count() == 1
        assert ReportSchedule.objects.get(pk=schedule.pk).next_run_at == OCCURRENCE + dt.timedelta(days=7)
