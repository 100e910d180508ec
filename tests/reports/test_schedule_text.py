"""A schedule's rule and next run as people read them, on the schedule's own clock (reports.schedule)."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.schedule import local_text, rule_text


def rule(**fields) -> str:
    base = {"frequency": "weekly", "weekdays": [1], "day_of_month": 1, "local_time": dt.time(8, 0)}
    return rule_text(**(base | {"time_zone": "Europe/London"} | fields))


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "Mondays 08:00 Europe/London"),
        ({"weekdays": [4, 1]}, "Mondays and Thursdays 08:00 Europe/London"),
        ({"weekdays": [1, 3, 5]}, "Mondays, Wednesdays and Fridays 08:00 Europe/London"),
        ({"weekdays": [1, 2, 3, 4, 5]}, "Weekdays 08:00 Europe/London"),
        ({"weekdays": list(range(1, 8))}, "Every day 08:00 Europe/London"),
        ({"weekdays": [], "time_zone": "Asia/Tokyo"}, "Weekly, no day chosen, 08:00 Asia/Tokyo"),
        ({"frequency": "monthly", "day_of_month": 15}, "Monthly, day 15, 08:00 Europe/London"),
        ({"frequency": "monthly", "day_of_month": 0}, "Monthly, last day, 08:00 Europe/London"),
        ({"frequency": "monthly", "day_of_month": 29}, "Monthly, last working day, 08:00 Europe/London"),
    ],
)
def test_it_says_the_rule_in_the_schedules_zone(fields, text):
    assert rule(**fields) == text


@pytest.mark.parametrize(
    ("instant", "zone", "text"),
    [
        (dt.datetime(2025, 6, 9, 8, 0, tzinfo=dt.UTC), "Europe/London", "Mon 9 Jun 2025 09:00 Europe/London"),
        (dt.datetime(2025, 12, 8, 9, 0, tzinfo=dt.UTC), "Europe/London", "Mon 8 Dec 2025 09:00 Europe/London"),
        (dt.datetime(2025, 6, 8, 23, 0, tzinfo=dt.UTC), "Asia/Tokyo", "Mon 9 Jun 2025 08:00 Asia/Tokyo"),
    ],
)
def test_it_shows_an_instant_on_the_zones_clock_summer_and_winter(instant, zone, text):
    assert local_text(instant, zone) == text


def test_it_refuses_a_naive_instant_or_an_unknown_zone():
    with pytest.raises(ValueError, match="aware"):
        local_text(dt.datetime(2025, 6, 9, 8, 0), "Europe/London")
    with pytest.raises(ValueError, match="not a known time zone"):
        local_text(dt.datetime(2025, 6, 9, 8, 0, tzinfo=dt.UTC), "Mars/Olympus")
