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


def schedule_form_data(**fields) -> dict:
    """A POST of the schedule form: weekly on Mondays at 09:00 London time to the reporting heads.

    ``fields`` add to or replace these; a valid form needs at least a name, kind, audience and scope (and the
    scope's project or department).
    """
    return {
        "frequency": "weekly",
        "weekdays": ["1"],
        "day_of_month": "1",
        "local_time": "09:00",
        "time_zone": "Europe/London",
        "send_to_reporting_heads": "on",
        "extra_recipients": "",
    } | fields


def due_schedule(**fields) -> ReportSchedule:
    fields.setdefault("next_run_at", OCCURRENCE)
    return factories.ReportScheduleFactory(**fields)


def render_ids(published) -> list[int]:
    return [args[0] for name, args in published if name == "reports.tasks.render_report"]


def addresses(report: Report) -> list[str]:
    return [r.address for r in report_recipients(report=report)]
