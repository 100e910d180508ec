"""PostgreSQL stops and starts again under a running worker: the worker recovers without a restart.

The worker and beat (dispatch and sweeps every second) run on an own
PostgreSQL cluster (initdb'd and migrated once per session), an own Redis
and an SMTP catcher, with the production CONN_MAX_AGE of 60 s. One report is
delivered first (the worker has used its connections); then, with the
worker frozen (SIGSTOP) so that no dispatcher can take it before the
database is down, however slow the machine, a second schedule falls due and
the cluster stops with ``pg_ctl stop -m fast`` (every connection cut); the
worker goes on while beat keeps publishing (those tasks fail), and the
cluster starts again. A third schedule falls due after the restart. The same worker
process renders and emails both, once each.
"""

from __future__ import annotations

import pytest

from tests.faults.results import FaultResult, record_fault
from tests.faults.services import (  # noqa: F401 (fixtures)
    frozen,
    postgres_cluster_fixture,
    redis_server_fixture,
    run_django,
    service_env,
    smtp_catcher_fixture,
    wait_for_sweeps,
    wait_until,
    worker_and_beat,
)

HEADS = ["pg.head1@example.com", "pg.head2@example.com"]


def task_errors(worker) -> int:
    """Tasks the worker saw fail on a database error (one log line each)."""
    return sum(1 for line in worker.log().splitlines() if "raised unexpected" in line and "OperationalError" in line)


#: Guards against a hang, not timings.
GUARD = 150
SEED = """
from django.utils import timezone
from tests import factories
from tests.faults.services import department_with_heads

department = department_with_heads("PGF", {heads!r})
for n in range(3):
    schedule = factories.ReportScheduleFactory(
        name=f"PostgreSQL fault {{n}}", department=department, weekdays=[1, 2, 3, 4, 5, 6, 7],
        next_run_at=timezone.now() if n == 0 else None,
    )
    print(schedule.pk)
"""


@pytest.mark.integration
def test_it_renders_and_emails_reports_after_postgres_restarts_under_the_same_worker(
    postgres_cluster, redis_server, smtp_catcher, tmp_path, settings
):
    cluster = postgres_cluster
    first, during, after = (
        int(pk)
        for pk in run_django(SEED.format(heads=HEADS), database_url=cluster.url, media_root=settings.MEDIA_ROOT).split()
    )
    env = service_env(cluster.url, redis_server, smtp_catcher, tmp_path, CONN_MAX_AGE="60")

    def sent() -> int:
        [(count,)] = cluster.query("SELECT count(*) FROM outbox_outboundemail WHERE status = 'sent'")
        return count

    with worker_and_beat(env, tmp_path) as (worker, _beat):
        wait_until(lambda: sent() == len(HEADS), GUARD, "the first report's emails", interval=0.5)

        # The second schedule falls due; no dispatcher runs until the database is down.
        with frozen(worker.process):
            cluster.query("UPDATE reports_reportschedule SET next_run_at = now() WHERE id = %s", (during,))
            failures_before = task_errors(worker)
            cluster.stop()
        wait_until(
            lambda: task_errors(worker) > failures_before,
            GUARD,
            "a task to fail on the stopped database after the second schedule fell due",
        )
        failed_during_outage = task_errors(worker) - failures_before
        cluster.start()
        cluster.query("UPDATE reports_reportschedule SET next_run_at = now() WHERE id = %s", (after,))

        expected_emails = 3 * len(HEADS)
        wait_until(
            lambda: (
                sent() == expected_emails and sum(smtp_catcher.accepted_per_message_id().values()) >= expected_emails
            ),
            GUARD,
            f"{expected_emails} emails after the restart:\n{worker.log()[-3000:]}",
            interval=0.5,
        )
        wait_for_sweeps(worker, 3, GUARD)

    assert failed_during_outage >= 1
    reports = cluster.query("SELECT schedule_id, status FROM reports_report ORDER BY schedule_id")
    assert reports == [(first, "rendered"), (during, "rendered"), (after, "rendered")]
    rows = cluster.query(
        "SELECT r.schedule_id, d.email_address, e.message_id, e.status FROM reports_delivery d "
        "JOIN reports_report r ON r.id = d.report_id JOIN outbox_outboundemail e ON e.id = d.email_id"
    )
    assert len(rows) == expected_emails
    accepted = smtp_catcher.accepted_per_message_id()
    assert sum(accepted.values()) == expected_emails
    delivered = duplicated = 0
    for schedule_id in (first, during, after):
        mine = [row for row in rows if row[0] == schedule_id]
        assert sorted(row[1] for row in mine) == sorted(HEADS)
        assert all(row[3] == "sent" for row in mine)
        delivered += all(accepted[row[2]] >= 1 for row in mine)
        duplicated += any(accepted[row[2]] > 1 for row in mine)
    record_fault(
        FaultResult(
            fault="PostgreSQL stopped and started under worker",
            trials=1,
            expected=3,
            delivered=delivered,
            duplicates=duplicated,
            lost=3 - delivered,
            note=f"reports (1 before, 1 due during, 1 after); {failed_during_outage} task errors in the outage; "
            "same worker process",
        )
    )
    assert (delivered, duplicated) == (3, 0)
