"""The timesheet's start/stop timer: one at a time, the time logged in quarter hours on the day it started,
through the grid's own checks."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apm.errors import Refused
from projects.budget.services.approval import timesheet_week_submit
from projects.budget.services.costs import time_entry_record
from projects.budget.services.timer import timer_discard, timer_start, timer_stop
from projects.models import TimeEntry, TimeTimer

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
WEDNESDAY = dt.date(2025, 3, 12)


def _at(hour: int, minute: int = 0, day: dt.date = WEDNESDAY):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON), tick=False)


def _logged() -> list[tuple[dt.date, Decimal, Decimal]]:
    return [(e.date, e.hours, e.cost) for e in TimeEntry.objects.order_by("date", "pk")]


def test_a_timer_logs_its_time_rounded_up_to_the_quarter_hour_on_its_day(world, mo, member):
    project = world["alpha_project"]
    with _at(9, 0):
        timer_start(member=mo, project=project, actor=member)
    with _at(10, 20):  # 1 h 20 min -> 1.5 h at 55.00 = 82.50
        _, hours = timer_stop(member=mo, actor=member)
    assert hours == D("1.5")
    assert _logged() == [(WEDNESDAY, D("1.50"), D("82.50"))]
    assert not TimeTimer.objects.exists()
    with _at(11, 0):
        timer_start(member=mo, project=project, actor=member)
    with _at(11, 1):  # a minute is a quarter hour, added to the day's cell
        timer_stop(member=mo, actor=member)
    assert _logged() == [(WEDNESDAY, D("1.75"), D("96.25"))]


def test_one_timer_at_a_time_and_only_on_ones_own_projects(world, mo, member):
    with _at(9):
        timer_start(member=mo, project=world["alpha_project"], actor=member)
        with pytest.raises(Refused, match="already running on ALPHA-1"):
            timer_start(member=mo, project=world["alpha_project"], actor=member)
        timer_discard(member=mo)
        with pytest.raises(Refused, match="not on BETA-1's team"):
            timer_start(member=mo, project=world["beta_project"], actor=member)
    with pytest.raises(Refused, match="No timer"):
        timer_stop(member=mo, actor=member)


def test_a_timer_left_running_for_days_logs_nothing_and_stays_until_discarded(world, mo, member):
    with _at(9):
        timer_start(member=mo, project=world["alpha_project"], actor=member)
    with _at(10, day=WEDNESDAY + dt.timedelta(days=2)), pytest.raises(Refused, match="more than a day"):
        timer_stop(member=mo, actor=member)
    assert TimeTimer.objects.count() == 1
    assert _logged() == []


def test_a_submitted_day_gets_the_timers_time_as_an_entry_of_its_own(world, mo, member):
    project = world["alpha_project"]
    with _at(8):
        time_entry_record(member=mo, project=project, date=dt.date(2025, 3, 10), hours=D("2"), actor=member)
        time_entry_record(member=mo, project=project, date=WEDNESDAY, hours=D("2"), actor=member)
        timesheet_week_submit(member=mo, week_start=dt.date(2025, 3, 10), actor=member)
        timer_start(member=mo, project=project, actor=member)
    with _at(8, 30):
        timer_stop(member=mo, actor=member)
    assert _logged() == [
        (dt.date(2025, 3, 10), D("2.00"), D("110.00")),
        (WEDNESDAY, D("2.00"), D("110.00")),
        (WEDNESDAY, D("0.50"), D("27.50")),
    ]
    assert TimeEntry.objects.get(hours=D("0.50")).note == "Timer"


def test_the_timesheet_page_starts_and_stops_the_timer(client, world, mo, member):
    client.force_login(member)
    url = reverse("projects:timesheet_timer") + "?week=2025-W11"
    with _at(9):
        page = client.get(reverse("projects:timesheet") + "?week=2025-W11").content.decode()
        assert "Start timer" in page
        page = client.post(url, {"action": "start", "project": world["alpha_project"].pk}, follow=True)
        assert "Timer started on ALPHA-1." in page.content.decode()
        assert "Running on <strong>ALPHA-1</strong> since" in page.content.decode()
    with _at(9, 40):
        page = client.post(url, {"action": "stop"}, follow=True).content.decode()
    assert "0.75 h logged on ALPHA-1." in page
    assert _logged() == [(WEDNESDAY, D("0.75"), D("41.25"))]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "start", "project": "x"},
        {"action": "start", "project": "99999999999999999999"},
        {"action": "start", "project": "²"},
        {"action": "go"},
    ],
)
def test_junk_posted_to_the_timer_is_refused_with_a_message(client, world, mo, member, data):
    client.force_login(member)
    with _at(9):
        page = client.post(reverse("projects:timesheet_timer"), data, follow=True)
    assert page.status_code == 200
    assert "Timer:" in page.content.decode()
    assert not TimeTimer.objects.exists()


def test_a_day_stays_at_most_24_hours_whichever_way_time_is_logged(world, mo, member):
    project = world["alpha_project"]
    with _at(8):
        time_entry_record(member=mo, project=project, date=WEDNESDAY, hours=D("20"), actor=member)
        time_entry_record(member=mo, project=project, date=WEDNESDAY, hours=D("3"), note="Call", actor=member)
        with pytest.raises(Refused, match="A day has at most 24 hours"):
            time_entry_record(member=mo, project=project, date=WEDNESDAY, hours=D("2"), note="More", actor=member)
        timer_start(member=mo, project=project, actor=member)
    with _at(9, 30), pytest.raises(Refused, match="A day has at most 24 hours"):  # 1.5 h into a cell of two entries
        timer_stop(member=mo, actor=member)
    assert _logged() == [(WEDNESDAY, D("20.00"), D("1100.00")), (WEDNESDAY, D("3.00"), D("165.00"))]
    assert TimeTimer.objects.count() == 1
