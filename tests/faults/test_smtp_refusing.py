"""SMTP refuses for a while, then accepts: report emails wait, retry with backoff and go out once.

A real Celery worker (own Redis, the PostgreSQL test database) renders a
department report for three heads. The SMTP server is first down
(connection refused) until every email was refused at least once; then,
with the worker frozen (SIGSTOP) so that no try races the restart however
long it takes, the server starts listening and the worker goes on. From then
on the server cuts the connection on the first try of each message and
answers "421" to the second (counted per Message-ID, not in time), then
accepts; one head's mailbox answers "550" every time. The two good emails go
out exactly once, every attempt carrying the row's Message-ID; the bounced
one is "failed" after APM_MAX_TRIES tries and listed as failed on the
deliveries page. Publishing every send task again sends nothing more.

Nothing here depends on how fast things happen but one poll: the worker is
frozen at the first poll that sees every email refused once, and a good
email has room for MAX_TRIES - 3 refused tries, the last of which comes
0.2 x (2**(MAX_TRIES - 3) - 1) = 6.2 s after its first (retries 0.2 s apart,
doubling); the three first tries come one after the other from one pool child.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.services import backoff_seconds
from reports.models import Delivery, Report, ReportStatus
from reports.services import reports_dispatch_due
from tests import factories
from tests.faults.results import FaultResult, record_fault
from tests.faults.services import (  # noqa: F401 (fixtures)
    DROPPED,
    department_with_heads,
    frozen,
    redis_server_fixture,
    service_env,
    smtp_catcher_fixture,
    start_celery,
    wait_until,
)
from tests.integration.services import celery_broker, stop

# Once the catcher listens, a good email needs DROP_FIRST + REFUSE_FIRST + 1 more tries: up to
# MAX_TRIES - 3 = 5 tries may go to refused connections before the worker is frozen.
MAX_TRIES = 8
DROP_FIRST = 1
REFUSE_FIRST = 1
GOOD = ["smtp.head1@example.com", "smtp.head2@example.com"]
BOUNCE = "smtp.bounce@example.com"
#: A guard against a hang, not a timing: the whole exchange takes seconds.
GUARD = 120


def test_it_backs_off_from_the_retry_base_setting(settings):
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    settings.APM_RETRY_BASE_SECONDS = 0.2
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == pytest.approx([0.2, 0.4, 0.8, 1.6])
    assert backoff_seconds(40) == 3600


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_it_sends_each_email_once_after_smtp_refused_and_fails_the_bounced_one_visibly(
    postgres_url, redis_server, smtp_catcher, tmp_path, client
):
    department = department_with_heads("SMTPF", [*GOOD, BOUNCE])
    schedule = factories.ReportScheduleFactory(
        name="SMTP fault weekly",
        department=department,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        next_run_at=timezone.now() - dt.timedelta(minutes=1),
    )
    smtp_catcher.stop()  # connection refused
    smtp_catcher.drop_first = DROP_FIRST
    smtp_catcher.refuse_first = REFUSE_FIRST
    smtp_catcher.permanent = {BOUNCE}
    env = service_env(
        postgres_url, redis_server, smtp_catcher, tmp_path, CONN_MAX_AGE="0", APM_MAX_TRIES=str(MAX_TRIES)
    )
    worker = start_celery("worker", env=env, log_path=tmp_path / "worker.log")
    try:
        with celery_broker(redis_server.url()):
            [report] = reports_dispatch_due(now=timezone.now())

        def all_refused_once():
            emails = list(OutboundEmail.objects.filter(delivery__report=report))
            return len(emails) == 3 and all(e.tries >= 1 and "refused" in e.last_error.lower() for e in emails)

        wait_until(all_refused_once, GUARD, "every email to be refused a connection once", interval=0.05)
        with frozen(worker.process):
            # No try can happen now: the count is final and the restart may take as long as it takes.
            tries_when_listening = dict(
                Delivery.objects.filter(report=report).values_list("email_address", "email__tries")
            )
            smtp_catcher.start()
        budget = MAX_TRIES - (DROP_FIRST + REFUSE_FIRST + 1)
        assert max(tries_when_listening[address] for address in GOOD) <= budget, (
            f"a good email spent more than {budget} tries on refused connections before the worker was frozen "
            f"(the test process stalled for seconds in one poll): {tries_when_listening}"
        )

        def settled():
            statuses = dict(Delivery.objects.filter(report=report).values_list("email_address", "email__status"))
            return statuses == {GOOD[0]: EmailStatus.SENT, GOOD[1]: EmailStatus.SENT, BOUNCE: EmailStatus.FAILED}

        wait_until(settled, GUARD, f"two emails sent and one failed:\n{worker.log()[-3000:]}")

        # Every send task delivered again (a duplicate broker message): nothing more goes out.
        from apm.outbox.tasks import send_email

        rows = {d.email_address: d.email for d in Delivery.objects.filter(report=report).select_related("email")}
        with celery_broker(redis_server.url()):
            task_ids = [send_email.apply_async(args=[row.pk]).id for row in rows.values()]
        for task_id in task_ids:
            worker.wait_for(f"[{task_id}] succeeded", GUARD)
        assert worker.process.poll() is None
    finally:
        stop(worker.process)

    report.refresh_from_db()
    assert report.status == ReportStatus.RENDERED
    assert Report.objects.filter(schedule=schedule).count() == 1
    accepted = smtp_catcher.accepted_per_message_id()
    refusals = 0
    for address in GOOD:
        row = rows[address]
        row.refresh_from_db()
        assert accepted[row.message_id] == 1, (address, accepted)
        assert smtp_catcher.attempted_message_ids(address) == {row.message_id}
        codes = [code for mid, _rcpts, code in smtp_catcher.attempts if mid == row.message_id]
        assert codes == [DROPPED] * DROP_FIRST + [421] * REFUSE_FIRST + [250]
        # The tries before the server listened were refused connections: at least one,
        # and none after it listened (a try in flight at the freeze reached the server).
        assert len(codes) + 1 <= row.tries <= tries_when_listening[address] + len(codes)
        refusals += row.tries - 1
    bounced = rows[BOUNCE]
    bounced.refresh_from_db()
    assert bounced.tries == MAX_TRIES
    assert "550" in bounced.last_error
    assert bounced.message_id not in accepted
    assert smtp_catcher.attempted_message_ids(BOUNCE) == {bounced.message_id}
    assert sum(accepted.values()) == len(GOOD)

    # The failed email is listed, as failed, on the deliveries page.
    client.force_login(factories.UserFactory(username="smtp_admin", role="administrator", is_staff=True))
    page = client.get("/reports/outbox/", {"status": "failed"})
    assert page.status_code == 200
    html = page.content.decode()
    assert BOUNCE in html
    assert "Failed" in html
    assert GOOD[0] not in html

    record_fault(
        FaultResult(
            fault="SMTP refusing (conn refused, dropped, 421)",
            trials=refusals,
            expected=len(GOOD),
            delivered=sum(1 for address in GOOD if accepted[rows[address].message_id] >= 1),
            duplicates=sum(1 for address in GOOD if accepted[rows[address].message_id] > 1),
            lost=sum(1 for address in GOOD if accepted[rows[address].message_id] == 0),
            note="emails; trials = failed tries (refused, dropped, 421); same Message-ID on every try",
        )
    )
    record_fault(
        FaultResult(
            fault="SMTP permanent 550",
            trials=bounced.tries,
            expected=0,
            delivered=0,
            duplicates=0,
            lost=0,
            note=f"1 email failed as it should, after APM_MAX_TRIES={MAX_TRIES}; visible as failed in /reports/outbox/",
        )
    )
