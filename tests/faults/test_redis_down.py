"""Redis stops while schedules fall due and while a user presses "send now"; nothing is lost or doubled.

A real Celery worker and beat (dispatch and sweeps every second) run on an
own ``redis-server`` (no persistence: whatever it held is gone when it comes
back), the PostgreSQL test database and an SMTP catcher. Redis is killed;
three schedules fall due while beat cannot publish; a department head's
"send now" POST (this process's Celery app on the dead Redis) is answered
with a redirect and a message, its Report row written. Redis comes back on
the same port: worker and beat reconnect by themselves, and every due report
goes out exactly once (one Report per occurrence, one email per recipient).
"""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apm.outbox.models import EmailStatus, OutboundEmail
from reports.models import Delivery, Report, ReportSchedule, ReportStatus
from tests import factories
from tests.faults.results import FaultResult, record_fault
from tests.faults.services import (  # noqa: F401 (fixtures)
    department_with_heads,
    redis_server_fixture,
    service_env,
    smtp_catcher_fixture,
    wait_for_sweeps,
    wait_until,
    worker_and_beat,
)
from tests.integration.services import celery_broker

HEADS = ["redis.head1@example.com", "redis.head2@example.com"]
REQUESTER = "redis.admin@example.com"
SCHEDULES = 3
#: Guards against a hang, not timings.
REQUEST_GUARD = 10
GUARD = 150


def log_count(worker, text: str) -> int:
    return worker.log().count(text)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_it_answers_send_now_and_sends_every_due_report_once_when_redis_stops(
    postgres_url, redis_server, smtp_catcher, tmp_path, client
):
    department = department_with_heads("REDISF", HEADS)
    requester = factories.UserFactory(username="redis_admin", email=REQUESTER, role="administrator")
    schedules = [
        factories.ReportScheduleFactory(
            name=f"Redis fault {n}", department=department, weekdays=[1, 2, 3, 4, 5, 6, 7], next_run_at=None
        )
        for n in range(SCHEDULES)
    ]
    env = service_env(postgres_url, redis_server, smtp_catcher, tmp_path, CONN_MAX_AGE="0")
    with worker_and_beat(env, tmp_path) as (worker, beat):
        # The pipeline is live: beat publishes, the worker runs the dispatcher.
        worker.wait_for("Task reports.tasks.dispatch_due_reports", GUARD)

        redis_server.stop()
        worker.wait_for("Connection to broker lost", GUARD)
        beat.wait_for("Message Error", GUARD)

        # The schedules fall due while Redis is down.
        ReportSchedule.objects.filter(pk__in=[s.pk for s in schedules]).update(next_run_at=timezone.now())
        failed_publishes = log_count(beat, "Message Error")
        wait_until(lambda: log_count(beat, "Message Error") > failed_publishes, GUARD, "beat to fail a publish again")

        # "Send now" while Redis is down: answered, the row written.
        client.force_login(requester)
        with celery_broker(redis_server.url()):
            started = time.monotonic()
            response = client.post(
                reverse("reports:department_send", kwargs={"code": department.code}),
                {"kind": "portfolio", "audience": "internal"},
            )
            elapsed = time.monotonic() - started
        assert elapsed < REQUEST_GUARD, f"send now hung for {elapsed:.1f}s with Redis down"
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:department", kwargs={"code": department.code})
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "Report queued; it will be emailed when ready."
        ]
        on_demand = Report.objects.get(schedule=None, requested_by=requester)
        assert on_demand.status == ReportStatus.QUEUED
        # Nothing was rendered while the broker was down. (A dispatcher that was
        # already running when Redis died, on a slow machine, may have written a
        # scheduled Report row; its render task could not be published, so it
        # stays queued until the sweeper publishes it again.)
        assert not Report.objects.filter(schedule__in=schedules).exclude(status=ReportStatus.QUEUED).exists()
        assert not OutboundEmail.objects.exists()

        redis_server.start()
        expected_emails = SCHEDULES * len(HEADS) + len(HEADS) + 1

        def all_sent() -> bool:
            sent = OutboundEmail.objects.filter(status=EmailStatus.SENT).count()
            return sent >= expected_emails and sum(smtp_catcher.accepted_per_message_id().values()) >= expected_emails

        wait_until(all_sent, GUARD, f"{expected_emails} emails sent:\n{worker.log()[-3000:]}", interval=0.5)
        # Let the sweepers run a few more times: nothing more may go out.
        wait_for_sweeps(worker, 3, GUARD)

    accepted = smtp_catcher.accepted_per_message_id()
    rows = {row.pk: row for row in OutboundEmail.objects.all()}
    assert len(rows) == expected_emails
    assert sum(accepted.values()) == expected_emails
    assert set(accepted) == {row.message_id for row in rows.values()}

    def outcome(reports: list[Report], recipients: set[str]) -> tuple[int, int]:
        delivered = duplicated = 0
        for report in reports:
            deliveries = list(Delivery.objects.filter(report=report).select_related("email"))
            assert {d.email_address for d in deliveries} == recipients
            counts = [accepted[d.email.message_id] for d in deliveries]
            delivered += all(counts)
            duplicated += any(count > 1 for count in counts)
        return delivered, duplicated

    scheduled = []
    for schedule in schedules:
        [report] = Report.objects.filter(schedule=schedule)
        assert report.status == ReportStatus.RENDERED, report.last_error
        scheduled.append(report)
    on_demand.refresh_from_db()
    assert on_demand.status == ReportStatus.RENDERED, on_demand.last_error
    assert Report.objects.count() == SCHEDULES + 1

    delivered, duplicated = outcome(scheduled, set(HEADS))
    record_fault(
        FaultResult(
            fault="Redis stopped while schedules fall due",
            trials=1,
            expected=SCHEDULES,
            delivered=delivered,
            duplicates=duplicated,
            lost=SCHEDULES - delivered,
            note=f"reports; {SCHEDULES * len(HEADS)} emails, each accepted once",
        )
    )
    assert (delivered, duplicated) == (SCHEDULES, 0)
    delivered, duplicated = outcome([on_demand], {*HEADS, REQUESTER})
    record_fault(
        FaultResult(
            fault="Redis stopped during send now",
            trials=1,
            expected=1,
            delivered=delivered,
            duplicates=duplicated,
            lost=1 - delivered,
            note=f"report; POST answered 302 in {elapsed:.2f}s, row written; {len(HEADS) + 1} emails once",
        )
    )
    assert (delivered, duplicated) == (1, 0)
