"""Send now: a queued report, never rendered in the request, refused with a clear message when it may not be sent."""

from __future__ import annotations

import datetime as dt
import runpy

import pytest
import time_machine
from django.conf import settings as django_settings

from apm.errors import Refused
from reports.models import Report, ReportStatus
from reports.selectors import report_recipients
from reports.services import report_request
from tests.reports.scheduled import NOW, addresses, render_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


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
        # Valid to Django's validator (up to 320 characters) but longer than a delivery records.
        (
            {"scope": "company", "extra_recipients": [f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.example"]},
            "Not valid",
        ),
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
    """The request is answered after one refused connection: kombu's retry loop (about 4 s) never runs.

    Connection attempts are counted rather than timed, so a loaded machine cannot fail it.
    """
    import redis.connection

    from apm.celery import app as celery_app

    attempts = []
    connect = redis.connection.AbstractConnection.connect

    def counted_connect(self):
        attempts.append(self.port)
        return connect(self)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counted_connect)
    unreachable = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = unreachable
    saved = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options, celery_app.conf.broker_transport)
    celery_app.conf.broker_url = unreachable
    celery_app.conf.broker_transport_options = redis_transport_options(monkeypatch, unreachable)
    celery_app.conf.broker_transport = None  # the embedded broker's transport class would win over the URL
    _reset_producer_pool(celery_app)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            report = report_request(
                kind="portfolio", audience="internal", scope="department", department=world["alpha"],
                requested_by=head,
            )  # fmt: skip
    finally:
        (
            celery_app.conf.broker_url,
            celery_app.conf.broker_transport_options,
            celery_app.conf.broker_transport,
        ) = saved
        _reset_producer_pool(celery_app)
    assert celery_app.conf.task_always_eager is False
    assert len(callbacks) == 1
    assert attempts, "the publish never tried the broker"
    assert set(attempts) == {1}, attempts
    assert len(attempts) <= 2, f"{len(attempts)} connection attempts: the publish retried"
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED


def _reset_producer_pool(celery_app) -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
