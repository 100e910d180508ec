"""Schedules due at one occurrence, shared by the tests of dispatch, requests, delivery and recipients.

Their fixtures (``colleagues``, ``travel``) are in ``tests/reports/conftest.py``.
"""

from __future__ import annotations

import datetime as dt

from reports.models import Report, ReportSchedule
from reports.selectors import report_recipients
from tests import factories

UTC = dt.UTC
# Monday 9 June 2025, 09:00 BST, and a moment just after it.
OCCURRENCE = dt.datetime(2025, 6, 9, 8, 0, tzinfo=UTC)
NOW = OCCURRENCE + dt.timedelta(seconds=30)


def due_schedule(**fields) -> ReportSchedule:
    fields.setdefault("next_run_at", OCCURRENCE)
    return factories.ReportScheduleFactory(**fields)


def render_ids(published) -> list[int]:
    return [args[0] for name, args in published if name == "reports.tasks.render_report"]


def addresses(report: Report) -> list[str]:
    return [r.address for r in report_recipients(report=report)]
