"""Dispatch, send-now, render and delivery: each report and each email exactly once."""

from __future__ import annotations

import datetime as dt
import hashlib
import runpy
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from apm.outbox.services import SendResult, outbox_send
from reports.models import Delivery, Report, ReportSchedule, ReportStatus
from reports.selectors import report_recipients
from reports.services import (
    report_render,
    report_request,
    reports_dispatch_due,
    reports_sweep,
    schedule_activate,
    schedule_claim_occurrence,
)
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Monday 9 June 2025, 09:00 BST, and a moment just after it.
OCCURRENCE = dt.datetime(2025, 6, 9, 8, 0, tzinfo=UTC)
NOW = OCCURRENCE + dt.timedelta(seconds=30)


@pytest.fixture(autouse=True)
def _colleagues(settings):
    """The colleagues these tests add as extra recipients have company addresses (example.com)."""
    settings.APM_INTERNAL_EMAIL_DOMAINS = ["example.com"]


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def due_schedule(**fields) -> ReportSchedule:
    fields.setdefault("next_run_at", OCCURRENCE)
    return factories.ReportScheduleFactory(**fields)


def render_ids(published) -> list[int]:
    return [args[0] for name, args in published if name == "reports.tasks.render_report"]


# --- Dispatch ------------------------------------------------------------------


def test_it_creates_one_queued_report_per_due_schedule(world, travel, published, django_capture_on_commit_callbacks):
    department = due_schedule(name="Alpha weekly", department=world["alpha"])
    project = due_schedule(
        name="Alpha highlight", kind="highlight", scope="project", department=None, project=world["alpha_project"]
    )
    due_schedule(name="Not yet", department=world["beta"], next_run_at=OCCURRENCE + dt.timedelta(days=7))
    due_schedule(name="Paused", department=world["beta"], active=False)

    with django_capture_on_commit_callbacks(execute=True):
        created = reports_dispatch_due(now=NOW)

    assert sorted(r.schedule_id for r in created) == sorted([department.pk, project.pk])
    assert Report.objects.count() == 2
    report = Report.objects.get(schedule=department)
    assert report.status == ReportStatus.QUEUED
    assert report.scheduled_for == OCCURRENCE
    assert (report.kind, report.audience, report.scope) == ("portfolio", "internal", "department")
    assert report.department == world["alpha"]
    assert (report.period_start, report.period_end) == (dt.date(2025, 6, 3), dt.date(2025, 6, 9))
    assert report.title == "Alpha weekly, 9 June 2025"
    assert report.queued_at == NOW
    assert Report.objects.get(schedule=project).project == world["alpha_project"]
    department.refresh_from_db()
    assert department.next_run_at == OCCURRENCE + dt.timedelta(days=7)
    assert department.last_run_at == NOW
    assert sorted(render_ids(published)) == sorted(r.pk for r in created)


def test_it_creates_nothing_when_dispatched_twice(world, travel, published):
    due_schedule(department=world["alpha"])
    assert len(reports_dispatch_due(now=NOW)) == 1
    assert reports_dispatch_due(now=NOW) == []
    assert reports_dispatch_due(now=NOW + dt.timedelta(minutes=1)) == []
    assert Report.objects.count() == 1


def test_it_lets_only_one_of_two_concurrent_claims_through(world, travel, published):
    schedule = due_schedule(department=world["alpha"])
    # Two dispatchers read the same schedule row before either claimed it.
    first_view = ReportSchedule.objects.get(pk=schedule.pk)
    second_view = ReportSchedule.objects.get(pk=schedule.pk)
    first = schedule_claim_occurrence(schedule=first_view, expected_next_run_at=OCCURRENCE, now=NOW)
    second = schedule_claim_occurrence(schedule=second_view, expected_next_run_at=OCCURRENCE, now=NOW)
    assert first is not None
    assert second is None
    assert Report.objects.filter(schedule=schedule).count() == 1


def test_it_relies_on_the_unique_constraint_when_the_schedule_is_rewound(world, travel, published):
    schedule = due_schedule(department=world["alpha"])
    [report] = reports_dispatch_due(now=NOW)
    # An operator rewinds the schedule to the occurrence already reported on.
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=OCCURRENCE)
    assert reports_dispatch_due(now=NOW) == []
    assert list(Report.objects.values_list("pk", flat=True)) == [report.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            schedule=schedule, scheduled_for=OCCURRENCE, kind="portfolio", audience="internal",
            scope="department", title="dup", period_end=dt.date(2025, 6, 9), queued_at=NOW,
        )  # fmt: skip


def test_it_sends_one_report_for_the_latest_missed_occurrence_not_a_burst(world, published):
    schedule = due_schedule(department=world["alpha"], next_run_at=OCCURRENCE - dt.timedelta(days=21))
    with time_machine.travel(NOW, tick=False):
        created = reports_dispatch_due(now=NOW)
    assert len(created) == 1
    assert created[0].scheduled_for == OCCURRENCE
    assert created[0].period_end == dt.date(2025, 6, 9)
    schedule.refresh_from_db()
    assert schedule.next_run_at == OCCURRENCE + dt.timedelta(days=7)


def test_it_sets_the_next_run_when_a_schedule_is_activated(world):
    schedule = factories.ReportScheduleFactory(department=world["alpha"], weekdays=[3], local_time=dt.time(7, 30))
    with time_machine.travel(NOW, tick=False):
        schedule_activate(schedule=schedule, now=NOW)
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2025, 6, 11, 6, 30, tzinfo=UTC)  # Wednesday 07:30 BST
    schedule.active = False
    schedule.save()
    schedule_activate(schedule=schedule, now=NOW)
    schedule.refresh_from_db()
    assert schedule.next_run_at is None
    assert reports_dispatch_due(now=NOW + dt.timedelta(days=30)) == []


# --- Recipients ------------------------------------------------------------------


def addresses(report: Report) -> list[str]:
    return [r.address for r in report_recipients(report=report)]


def test_it_never_sends_a_client_report_to_reporting_heads(world, travel, published):
    factories.ClientContactFactory(client=world["acme"], email="quiet@acme.example", opted_in_reports=False)
    schedule = due_schedule(
        kind="highlight", scope="project", audience="client", department=None, project=world["alpha_project"],
        send_to_reporting_heads=True, send_to_client_contacts=True,
    )  # fmt: skip
    [report] = reports_dispatch_due(now=NOW)
    assert world["alpha_project"].reporting_heads.exists()
    assert addresses(report) == ["ann@acme.example"]
    schedule.send_to_client_contacts = False
    schedule.save()
    report.refresh_from_db()
    assert addresses(report) == []


def test_it_never_sends_an_internal_report_to_a_client_contact(world, travel, published, outside_head):
    due_schedule(
        kind="highlight", scope="project", department=None, project=world["alpha_project"],
        send_to_reporting_heads=True, send_to_client_contacts=True,
        extra_recipients="ANN@acme.example\nclient@example.com\nboss@example.com\nnot an address",
    )  # fmt: skip
    [report] = reports_dispatch_due(now=NOW)
    # ann is an Acme contact; client@example.com is the client user's login address.
    assert addresses(report) == [outside_head.email, "boss@example.com"]


def test_it_sends_to_the_right_heads_for_each_scope(world, head, outside_head, pm, admin_user, travel, published):
    silent = factories.UserFactory(username="silent", email="")
    world["alpha"].heads.add(silent)
    department = due_schedule(department=world["alpha"], extra_recipients=f"{head.email.upper()}\nx@example.com")
    company = due_schedule(scope="company", department=None)
    portfolio = due_schedule(scope="pm_portfolio", department=None, project_manager=pm)
    reports_dispatch_due(now=NOW)
    assert addresses(Report.objects.get(schedule=department)) == [head.email, "x@example.com"]
    # The company report covers every project: only administrators may see them all,
    # so department heads (who see their departments' slice) are not sent it.
    assert addresses(Report.objects.get(schedule=company)) == [admin_user.email]
    assert addresses(Report.objects.get(schedule=portfolio)) == [pm.email]


# --- Send now ----------------------------------------------------------------------


def test_it_queues_a_send_now_report_without_rendering(world, head, published, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            kind="portfolio", audience="internal", scope="department", department=world["alpha"],
            requested_by=head, extra_recipients=["  extra@example.com  ", ""],
        )  # fmt: skip
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    assert report.schedule is None
    assert report.scheduled_for == NOW
    assert report.requested_by == head
    assert report.snapshot is None
    assert not report.pdf
    assert report.period_end == dt.date(2025, 6, 9)
    assert report.period_start == dt.date(2025, 5, 13)
    assert render_ids(published) == [report.pk]
    # The department's heads, the requester (already there) and the extra address.
    assert addresses(report) == [head.email, "extra@example.com"]


def test_it_adds_the_requester_to_the_recipients(world, pm, outside_head, published):
    report = report_request(
        kind="highlight", audience="internal", scope="project", project=world["alpha_project"], requested_by=pm
    )
    assert addresses(report) == [outside_head.email, pm.email]
    recipients = report_recipients(report=report)
    assert [r.kind for r in recipients] == ["reporting_head", "requester"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scope": "project"}, "needs a project"),
        ({"scope": "department"}, "needs a department"),
        ({"scope": "pm_portfolio"}, "needs a project manager"),
        ({"scope": "company", "project": "alpha_project"}, "takes no project"),
        ({"scope": "project", "project": "alpha_project", "department": "alpha"}, "takes no department"),
        ({"kind": "highlight", "scope": "department", "department": "alpha"}, "highlight report covers one project"),
        ({"audience": "client", "scope": "department", "department": "alpha"}, "client-audience report"),
        ({"kind": "weekly", "scope": "company"}, "Unknown report kind"),
        ({"audience": "public", "scope": "company"}, "Unknown audience"),
        ({"scope": "galaxy"}, "Unknown scope"),
        ({"scope": "company", "extra_recipients": ["ok@example.com", "nope"]}, "Not valid email addresses: nope"),
        ({"scope": "company", "extra_recipients": ["Ann@Acme.example"]}, "never sent to client contacts"),
    ],
)
def test_it_rejects_inconsistent_requests_with_a_clear_message(world, admin_user, fields, message, published):
    arguments = {"kind": "portfolio", "audience": "internal", "requested_by": admin_user, **fields}
    for key in ("project", "department"):
        if key in arguments:
            arguments[key] = world[{"project": "alpha_project", "department": "alpha"}[key]]
    with pytest.raises(Refused, match=message):
        report_request(**arguments)
    assert Report.objects.count() == 0


def test_it_refuses_a_send_now_from_someone_who_may_not(world, member, client_user, head, pm):
    project = {"kind": "highlight", "audience": "internal", "scope": "project", "project": world["beta_project"]}
    for user in (member, client_user, head):
        with pytest.raises(Refused):
            report_request(**project, requested_by=user)
    with pytest.raises(Refused):
        report_request(kind="portfolio", audience="internal", scope="company", requested_by=pm)
    assert Report.objects.count() == 0


def redis_transport_options(monkeypatch, url: str) -> dict:
    """The broker transport options apm/settings.py builds when REDIS_URL is set."""
    monkeypatch.setenv("REDIS_URL", url)
    return runpy.run_path(str(django_settings.BASE_DIR / "apm" / "settings.py"))["CELERY_BROKER_TRANSPORT_OPTIONS"]


def test_it_answers_send_now_when_the_broker_is_unreachable(
    world, head, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from apm.celery import app as celery_app

    unreachable = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = unreachable
    saved = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url = unreachable
    celery_app.conf.broker_transport_options = redis_transport_options(monkeypatch, unreachable)
    _reset_producer_pool(celery_app)
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            report = report_request(
                kind="portfolio", audience="internal", scope="department", department=world["alpha"],
                requested_by=head,
            )  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
        _reset_producer_pool(celery_app)
    assert celery_app.conf.task_always_eager is False
    assert len(callbacks) == 1
    # Generous bound; it takes well under a second (kombu alone would retry for ~4 s).
    assert elapsed < 3
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED


def _reset_producer_pool(celery_app) -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


# --- Render and deliver ---------------------------------------------------------------


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

    monkeypatch.setattr("reports.services._render", broken)
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


def test_it_sweeps_reports_whose_render_message_was_lost(world, settings, travel, published):
    due_schedule(department=world["alpha"])
    [report] = reports_dispatch_due(now=NOW)
    published.clear()
    assert reports_sweep(now=NOW) == 0
    later = NOW + dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS + 1)
    assert reports_sweep(now=later) == 1
    assert render_ids(published) == [report.pk]
    report.refresh_from_db()
    assert report.queued_at == later
    assert reports_sweep(now=later) == 0
