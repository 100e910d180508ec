"""The reports tasks are thin, registered under the names beat uses, and never run eagerly."""

from __future__ import annotations

import datetime as dt
import gc
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from apm.celery import app as celery_app
from apm.outbox.tasks import send_email
from reports import tasks
from reports.models import Report, ReportStatus
from tests import factories

UTC = dt.UTC
OCCURRENCE = dt.datetime(2025, 6, 9, 8, 0, tzinfo=UTC)
NOW = OCCURRENCE + dt.timedelta(seconds=30)


class Retried(Exception):
    pass


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)


def test_it_never_runs_celery_in_eager_mode():
    assert celery_app.conf.task_always_eager is False
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_it_registers_every_beat_task_under_its_scheduled_name():
    celery_app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.tasks.dispatch_due_reports", "reports.tasks.sweep_stuck_reports"} <= names
    for name in names:
        assert name in celery_app.tasks, name
    assert tasks.render_report.name == "reports.tasks.render_report"
    assert send_email.name == "apm.outbox.tasks.send_email"


@pytest.mark.parametrize("task", [tasks.dispatch_due_reports, tasks.render_report, tasks.sweep_stuck_reports])
def test_it_acknowledges_late_and_limits_time(task):
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert task.time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert task.soft_time_limit < task.time_limit


@pytest.mark.django_db
def test_it_dispatches_through_the_task_body(world):
    factories.ReportScheduleFactory(department=world["alpha"], next_run_at=OCCURRENCE)
    with time_machine.travel(NOW, tick=False):
        ids = tasks.dispatch_due_reports.run()
        assert tasks.dispatch_due_reports.run() == []
    assert ids == list(Report.objects.values_list("pk", flat=True))
    assert len(ids) == 1


@pytest.mark.django_db
def test_it_retries_the_render_task_with_backoff_after_a_failure(world, monkeypatch):
    factories.ReportScheduleFactory(department=world["alpha"], next_run_at=OCCURRENCE)
    monkeypatch.setattr("reports.services.delivery.report_render_snapshot", lambda snapshot: 1 / 0)
    countdowns = []

    def fake_retry(countdown=None, **kwargs):
        countdowns.append(countdown)
        return Retried()

    monkeypatch.setattr(tasks.render_report, "retry", fake_retry)
    with time_machine.travel(NOW, tick=False):
        [report_id] = tasks.dispatch_due_reports.run()
        with pytest.raises(Retried):
            tasks.render_report.run(report_id)
    assert countdowns == [30.0]
    report = Report.objects.get(pk=report_id)
    assert report.status == ReportStatus.QUEUED
    assert "ZeroDivisionError" in report.last_error


@pytest.mark.django_db
def test_it_returns_the_status_when_there_is_nothing_to_retry(world):
    factories.ReportScheduleFactory(department=world["alpha"], next_run_at=OCCURRENCE)
    with time_machine.travel(NOW, tick=False):
        [report_id] = tasks.dispatch_due_reports.run()
        assert tasks.render_report.run(report_id) == ReportStatus.RENDERED
        assert tasks.render_report.run(report_id) == ReportStatus.RENDERED
        assert tasks.sweep_stuck_reports.run() == 0


@pytest.mark.django_db
def test_it_prints_what_run_due_reports_created(world):
    schedule = factories.ReportScheduleFactory(name="Alpha weekly", department=world["alpha"], next_run_at=OCCURRENCE)
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("run_due_reports", stdout=out)
        call_command("run_due_reports", stdout=out)
    report = Report.objects.get()
    text = out.getvalue()
    assert f"Report {report.pk}: Alpha weekly, 9 June 2025 (schedule {schedule.pk}" in text
    assert "period 2025-06-03 to 2025-06-09" in text
    assert "1 report(s) queued" in text
    assert "0 report(s) queued" in text


@pytest.fixture
def unfrozen():
    """The garbage collector's permanent generation emptied after the test (a worker's start freezes it)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_new_worker_process_warms_the_report_renderer_up_then_freezes_what_lives(monkeypatch, unfrozen):
    from celery.signals import worker_process_init

    calls = []
    monkeypatch.setattr(tasks, "renderer_warm_up", lambda: calls.append(gc.get_freeze_count()))
    worker_process_init.send(sender=None)
    # Warmed up first; then what lives is frozen, so that a collection after a layout skips it.
    assert calls == [0]
    assert gc.get_freeze_count() > 1000


def test_a_warm_up_that_fails_is_logged_and_the_worker_process_still_starts(monkeypatch, caplog, unfrozen):
    from celery.signals import worker_process_init

    def fails():
        raise OSError("no fonts")

    monkeypatch.setattr(tasks, "renderer_warm_up", fails)
    worker_process_init.send(sender=None)  # raises nothing
    assert "Warming the report renderer up failed" in caplog.text


def test_the_warm_up_leaves_the_number_kit_of_both_footers_laid_out():
    from apm.pdf import page_number_kit
    from reports.rendering import AUDIENCE_LINES, renderer_warm_up

    renderer_warm_up()
    kit = page_number_kit(tuple(AUDIENCE_LINES.values()))
    assert page_number_kit(tuple(AUDIENCE_LINES.values())) is kit  # kept: not laid out again
    assert set(kit.footers) == set(AUDIENCE_LINES.values())
    assert kit.pieces == ("Page ", " of ", *"0123456789")
    assert b"] TJ" in kit.content(AUDIENCE_LINES[True], "Page 3 of 12")
