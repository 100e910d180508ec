"""Rendering and delivery: each report rendered once, one email per recipient, retried with backoff, taken over."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage

from apm.outbox.models import OutboundEmail
from apm.outbox.services import SendResult, outbox_send
from reports.models import Delivery, Report, ReportStatus
from reports.services import report_render, reports_dispatch_due, reports_sweep
from tests import factories
from tests.reports.scheduled import NOW, due_schedule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


@pytest.fixture
def alpha_schedule(world, head, travel, published):
    second_head = factories.UserFactory(username="second_head", email="second@example.com")
    world["alpha"].heads.add(second_head)
    factories.StatusUpdateFactory(project=world["alpha_project"], as_of=dt.date(2025, 6, 1))
    return due_schedule(
        name="Alpha weekly", department=world["alpha"], extra_recipients="boss@example.com\nann@acme.example"
    )


def test_it_renders_once_and_queues_one_email_per_recipient(
    alpha_schedule, head, published, django_capture_on_commit_callbacks
):
    [report] = reports_dispatch_due(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        rendered = report_render(report_id=report.pk)

    assert rendered.status == ReportStatus.RENDERED
    assert rendered.tries == 1
    assert rendered.rendered_at == NOW
    with default_storage.open(rendered.pdf.name, "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    assert rendered.sha256 == hashlib.sha256(pdf).hexdigest()
    assert rendered.page_count >= 1
    assert rendered.snapshot["title"] == "Alpha weekly, 9 June 2025"
    assert [p["code"] for p in rendered.snapshot["projects"]] == ["ALPHA-1"]

    deliveries = list(Delivery.objects.filter(report=report).order_by("pk"))
    assert [d.email_address for d in deliveries] == [head.email, "second@example.com", "boss@example.com"]
    assert [d.recipient_kind for d in deliveries] == ["reporting_head", "reporting_head", "extra"]
    emails = OutboundEmail.objects.filter(delivery__report=report)
    assert emails.count() == 3
    email = deliveries[0].email
    assert email.kind == "report"
    assert email.to == [head.email]
    assert email.subject == "[Internal] Alpha weekly, 9 June 2025"
    for line in rendered.snapshot["summary_lines"]:
        assert line in email.body_text
    assert f"/reports/{report.pk}/" in email.body_text
    assert f"/reports/{report.pk}/" in email.body_html
    assert [(a.file.name, a.mimetype) for a in email.attachments.all()] == [(rendered.pdf.name, "application/pdf")]
    assert sorted(args[0] for name, args in published if name == "apm.outbox.tasks.send_email") == sorted(
        e.pk for e in emails
    )

    # A second run of the render task (a redelivered broker message) sends nothing.
    again = report_render(report_id=report.pk)
    assert again.status == ReportStatus.RENDERED
    assert again.tries == 1
    assert Delivery.objects.filter(report=report).count() == 3
    assert OutboundEmail.objects.count() == 3

    for email in emails:
        assert outbox_send(email_id=email.pk) is SendResult.SENT
        assert outbox_send(email_id=email.pk) is SendResult.NOTHING_TO_DO
    assert sorted(m.to[0] for m in mail.outbox) == sorted([head.email, "second@example.com", "boss@example.com"])
    assert all(m.attachments[0][1].startswith(b"%PDF") for m in mail.outbox)


def test_it_passes_the_previous_report_snapshot_of_the_same_schedule(alpha_schedule, published):
    [first] = reports_dispatch_due(now=NOW)
    report_render(report_id=first.pk)
    week_later = NOW + dt.timedelta(days=7)
    with time_machine.travel(week_later, tick=False):
        [second] = reports_dispatch_due(now=week_later)
        second = report_render(report_id=second.pk)
    assert Report.objects.get(pk=first.pk).snapshot["changes"]["first_report"] is True
    assert second.snapshot["changes"]["first_report"] is False
    assert second.period_start == dt.date(2025, 6, 10)


def test_it_requeues_a_failed_render_with_backoff_then_fails_after_the_last_try(
    alpha_schedule, settings, monkeypatch, published
):
    settings.APM_MAX_TRIES = 2
    [report] = reports_dispatch_due(now=NOW)

    def broken(snapshot):
        raise RuntimeError("WeasyPrint fell over")

    monkeypatch.setattr("reports.services.delivery.report_render_snapshot", broken)
    report = report_render(report_id=report.pk)
    assert report.status == ReportStatus.QUEUED
    assert report.tries == 1
    assert report.last_error == "RuntimeError: WeasyPrint fell over"
    assert report.next_attempt_at == NOW + dt.timedelta(seconds=30)
    # Before the backoff has passed, a task run claims nothing.
    assert report_render(report_id=report.pk).tries == 1

    with time_machine.travel(report.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        report = report_render(report_id=report.pk)
    assert report.status == ReportStatus.FAILED
    assert report.tries == 2
    assert "WeasyPrint fell over" in report.last_error
    assert Report.objects.filter(status=ReportStatus.FAILED).count() == 1
    assert Delivery.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert list(Path(settings.MEDIA_ROOT).rglob("*.pdf")) == []


def test_it_takes_over_a_render_stuck_after_a_worker_died(alpha_schedule, settings, published):
    [report] = reports_dispatch_due(now=NOW)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RENDERING, tries=1, render_started_at=NOW)
    assert report_render(report_id=report.pk).status == ReportStatus.RENDERING
    later = NOW + dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert reports_sweep(now=later) == 1
        report = report_render(report_id=report.pk)
    assert report.status == ReportStatus.RENDERED
    assert report.tries == 2
    assert Delivery.objects.filter(report=report).count() == 3
