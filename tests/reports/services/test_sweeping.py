"""The sweeper publishes again the reports whose render message was lost."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.services import reports_dispatch_due, reports_sweep
from tests.reports.scheduled import NOW, due_schedule, render_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("colleagues")]


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
