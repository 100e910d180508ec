"""The dispatcher across daylight-saving changes (time-machine), and after downtime.

The choice (reports/schedule.py): a local time that does not exist on the
spring-forward day runs at the first valid instant after the gap (New York
02:30 -> 03:00 EDT); a local time that happens twice on the fall-back day
runs once, at the first of the two (01:30 BST / 01:30 EDT). The beat is
simulated by calling the dispatcher every five minutes through the whole
weekend with the clock moved by time-machine.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reports.models import Report
from reports.services import reports_dispatch_due, schedule_activate
from tests import factories

UTC = dt.UTC


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("apm.queueing.publish", lambda task, *args, countdown=None: True)


def run_beat(start: dt.datetime, end: dt.datetime, step_minutes: int = 5) -> list[Report]:
    created = []
    now = start
    while now <= end:
        with time_machine.travel(now, tick=False):
            created += reports_dispatch_due(now=now)
        now += dt.timedelta(minutes=step_minutes)
    return created


# (zone, Sunday of the change, local time, expected UTC instant, what happens)
CASES = [
    ("Europe/London", dt.date(2025, 3, 30), dt.time(1, 30), dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC), "gap"),
    ("Europe/London", dt.date(2025, 3, 30), dt.time(2, 30), dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC), "after"),
    ("Europe/London", dt.date(2025, 10, 26), dt.time(1, 30), dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "twice"),
    ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 30), dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC), "gap"),
    ("America/New_York", dt.date(2025, 11, 2), dt.time(1, 30), dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC), "twice"),
]


@pytest.mark.parametrize(("zone", "sunday", "local_time", "expected", "_what"), CASES)
def test_it_fires_once_per_period_across_daylight_saving_changes(world, zone, sunday, local_time, expected, _what):
    schedule = factories.ReportScheduleFactory(
        department=world["alpha"], weekdays=[7], local_time=local_time, time_zone=zone
    )
    saturday_noon = dt.datetime.combine(sunday - dt.timedelta(days=1), dt.time(12, 0), tzinfo=UTC)
    schedule_activate(schedule=schedule, now=saturday_noon)
    assert schedule.next_run_at == expected

    created = run_beat(saturday_noon, saturday_noon + dt.timedelta(hours=36))

    assert [report.scheduled_for for report in created] == [expected]
    assert Report.objects.filter(schedule=schedule).count() == 1
    report = created[0]
    assert report.period_end == sunday
    assert report.period_start == sunday - dt.timedelta(days=6)
    schedule.refresh_from_db()
    # The next one is a week later at the same wall-clock time (the DST change is behind it).
    following = schedule.next_run_at.astimezone(ZoneInfo(zone))
    assert following.date() == sunday + dt.timedelta(days=7)
    assert following.time() == local_time


def test_it_fires_on_the_right_instant_when_the_beat_is_late_by_minutes(world):
    schedule = factories.ReportScheduleFactory(
        department=world["alpha"], weekdays=[7], local_time=dt.time(1, 30), time_zone="Europe/London"
    )
    schedule_activate(schedule=schedule, now=dt.datetime(2025, 10, 25, 12, 0, tzinfo=UTC))
    # The first 01:30 (BST) is 00:30 UTC; the beat runs at 00:33 and again during the repeated hour.
    created = run_beat(dt.datetime(2025, 10, 26, 0, 33, tzinfo=UTC), dt.datetime(2025, 10, 26, 2, 0, tzinfo=UTC), 1)
    assert [r.scheduled_for for r in created] == [dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)]


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_it_catches_up_once_after_downtime_not_once_per_missed_occurrence(world, zone):
    schedule = factories.ReportScheduleFactory(
        department=world["alpha"], frequency="weekly", weekdays=[1, 3, 5], local_time=dt.time(9, 0), time_zone=zone
    )
    schedule_activate(schedule=schedule, now=dt.datetime(2025, 3, 1, tzinfo=UTC))
    # Down for three weeks across the spring change; back on Tuesday 25 March at 12:00 UTC.
    back = dt.datetime(2025, 3, 25, 12, 0, tzinfo=UTC)
    created = run_beat(back, back + dt.timedelta(minutes=30), 1)
    assert len(created) == 1
    # The report is for the latest missed occurrence (Monday 24 March, 09:00 local) ...
    assert created[0].period_end == dt.date(2025, 3, 24)
    schedule.refresh_from_db()
    # ... and the schedule carries on with Wednesday 26 March.
    assert schedule.next_run_at.astimezone(ZoneInfo(zone)).date() == dt.date(2025, 3, 26)
