"""A render or a send whose worker dies on every try fails after APM_MAX_TRIES instead of looping.

A worker killed mid-render (out of memory on a huge report, say) leaves the
report in rendering; the sweeper takes it over after APM_STUCK_AFTER_SECONDS
and each takeover counts a try. Before this rule a report (or an email)
that killed its worker every time was taken over forever, never failed and
never shown to an operator. Time moves with time-machine; no broker.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apm.outbox import services as outbox_services
from apm.outbox.models import EmailStatus, OutboundEmail
from apm.outbox.services import SendResult, outbox_enqueue, outbox_send, outbox_sweep
from reports.models import Report, ReportStatus
from reports.services import report_render, reports_dispatch_due, reports_sweep
from reports.services.delivery import _claim_render
from tests import factories

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 6, 9, 8, 0, 30, tzinfo=dt.UTC)


def lose_the_worker_each_try(claim, sweep, settings, tries: int) -> dt.datetime:
    """Claim ``tries`` times, each claim's worker dying at once; returns when the last one is stuck."""
    now = START
    for _ in range(tries):
        with time_machine.travel(now, tick=False):
            assert claim(now)
        now += dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS + 1)
        with time_machine.travel(now, tick=False):
            sweep(now)
    return now


def test_a_report_whose_worker_dies_on_every_try_fails_after_the_last_try(world, settings, published):
    settings.APM_MAX_TRIES = 3
    factories.ReportScheduleFactory(department=world["alpha"], next_run_at=START - dt.timedelta(seconds=30))
    [report] = reports_dispatch_due(now=START)
    published.clear()

    now = lose_the_worker_each_try(
        lambda at: _claim_render(report.pk, at), lambda at: reports_sweep(now=at), settings, tries=3
    )

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.tries == 3
    assert report.last_error == "Its worker was lost during the last of 3 tries (killed, or out of memory?)"
    # Published again after each of the first two lost tries, not after the last.
    assert [args for name, args in published if name == "reports.tasks.render_report"] == [(report.pk,)] * 2
    with time_machine.travel(now, tick=False):
        assert report_render(report_id=report.pk).status == ReportStatus.FAILED
        assert reports_sweep(now=now) == 0
    assert Report.objects.get(pk=report.pk).tries == 3


def test_a_report_stuck_before_its_last_try_is_still_taken_over(world, settings, published):
    settings.APM_MAX_TRIES = 3
    factories.ReportScheduleFactory(department=world["alpha"], next_run_at=START - dt.timedelta(seconds=30))
    [report] = reports_dispatch_due(now=START)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RENDERING, tries=2, render_started_at=START)
    later = START + dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert reports_sweep(now=later) == 1
        report = report_render(report_id=report.pk)
    assert (report.status, report.tries) == (ReportStatus.RENDERED, 3)


def test_an_email_whose_worker_dies_on_every_try_fails_after_the_last_try(settings, published):
    settings.APM_MAX_TRIES = 3
    with time_machine.travel(START, tick=False):
        email = outbox_enqueue(kind="notification", to=["ann@example.com"], subject="Hello", body_text="Body")
    published.clear()

    now = lose_the_worker_each_try(
        lambda at: outbox_services._claim(email.pk, at), lambda at: outbox_sweep(now=at), settings, tries=3
    )

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.tries == 3
    assert email.last_error == "Its worker was lost during the last of 3 tries; it may have been delivered"
    assert [args for name, args in published if name == "apm.outbox.tasks.send_email"] == [(email.pk,)] * 2
    with time_machine.travel(now, tick=False):
        assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
        assert outbox_sweep(now=now) == 0
    assert OutboundEmail.objects.get(pk=email.pk).tries == 3
