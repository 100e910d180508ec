"""Schedule occurrences: DST-safe, in the schedule's own time zone."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine

from reports.schedule import local_instant, next_occurrence, occurrence_period, previous_occurrence

UTC = dt.UTC
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]
# Local times that fall in a spring-forward gap or an autumn overlap in at
# least one of the zones above, plus ordinary ones.
TIMES = [dt.time(0, 0), dt.time(1, 30), dt.time(2, 30), dt.time(9, 0), dt.time(23, 59)]
# (days in 2025 when the time falls in a gap, days when it happens twice).
EXPECTED_DST_DAYS = {
    ("Europe/London", dt.time(1, 30)): (1, 1),
    ("America/New_York", dt.time(1, 30)): (0, 1),
    ("America/New_York", dt.time(2, 30)): (1, 0),
    ("Australia/Sydney", dt.time(2, 30)): (1, 1),
}


def daily(time_zone: str, local_time: dt.time) -> dict:
    return {
        "frequency": "weekly",
        "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "day_of_month": None,
        "local_time": local_time,
        "time_zone": time_zone,
    }


def walk(rule: dict, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every occurrence after ``start`` up to ``end``, chained through next_occurrence."""
    found = []
    current = start
    while True:
        current = next_occurrence(**rule, after=current)
        if current > end:
            return found
        found.append(current)


def wall_time_kind(day: dt.date, local_time: dt.time, zone: zoneinfo.ZoneInfo) -> str:
    """``"normal"``, ``"gap"`` (does not exist) or ``"overlap"`` (happens twice)."""
    first = dt.datetime.combine(day, local_time, tzinfo=zone)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return "normal"
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != first.replace(tzinfo=None):
        return "gap"
    return "overlap"


@pytest.mark.parametrize("time_zone", ZONES)
@pytest.mark.parametrize("local_time", TIMES, ids=str)
def test_it_fires_exactly_once_on_every_local_day_of_a_year(time_zone, local_time):
    zone = zoneinfo.ZoneInfo(time_zone)
    rule = daily(time_zone, local_time)
    start = dt.datetime(2024, 12, 31, 12, tzinfo=zone)
    end = dt.datetime(2025, 12, 31, 12, tzinfo=zone)
    found = walk(rule, start, end)

    days = [instant.astimezone(zone).date() for instant in found]
    expected_days = [dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    if local_time < dt.time(12):
        assert days == expected_days
    else:
        assert days == [dt.date(2024, 12, 31), *expected_days[:-1]]
    assert all(instant.tzinfo is UTC for instant in found)
    assert found == sorted(set(found))

    kinds = {"normal": 0, "gap": 0, "overlap": 0}
    for instant, day in zip(found, days, strict=True):
        kind = wall_time_kind(day, local_time, zone)
        kinds[kind] += 1
        local = instant.astimezone(zone)
        if kind == "gap":
            # The first valid instant after the gap: one second earlier is
            # still on the old offset and the local wall time is later than asked.
            assert local.time() > local_time
            assert (instant - dt.timedelta(seconds=1)).astimezone(zone).utcoffset() != local.utcoffset()
        else:
            assert local.time() == local_time
            if kind == "overlap":
                # The first of the two instants with that wall time.
                later = dt.datetime.combine(day, local_time, tzinfo=zone).replace(fold=1).astimezone(UTC)
                assert instant < later
    assert (kinds["gap"], kinds["overlap"]) == EXPECTED_DST_DAYS.get((time_zone, local_time), (0, 0))


@pytest.mark.parametrize("time_zone", ZONES)
def test_it_steps_back_to_the_same_occurrences_with_previous_occurrence(time_zone):
    zone = zoneinfo.ZoneInfo(time_zone)
    rule = daily(time_zone, dt.time(2, 30))
    found = walk(rule, dt.datetime(2025, 1, 1, tzinfo=zone), dt.datetime(2026, 1, 1, tzinfo=zone))
    for earlier, later in itertools.pairwise(found):
        assert previous_occurrence(**rule, before=later) == earlier
        assert previous_occurrence(**rule, before=later, inclusive=True) == later
        assert next_occurrence(**rule, after=earlier) == later


@pytest.mark.parametrize("time_zone", ZONES)
def test_it_fires_weekly_only_on_the_chosen_iso_weekdays(time_zone):
    zone = zoneinfo.ZoneInfo(time_zone)
    rule = {**daily(time_zone, dt.time(9)), "weekdays": [1, 4]}
    found = walk(rule, dt.datetime(2025, 1, 1, tzinfo=zone), dt.datetime(2026, 1, 1, tzinfo=zone))
    local = [instant.astimezone(zone) for instant in found]
    assert {moment.isoweekday() for moment in local} == {1, 4}
    assert all(moment.time() == dt.time(9) for moment in local)
    # 2025 has 52 Mondays and 52 Thursdays.
    assert len(found) == 104


@pytest.mark.parametrize("time_zone", ZONES)
@pytest.mark.parametrize(
    ("day_of_month", "expected_days"),
    [
        (0, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]),
        (15, [15] * 12),
        # Last working day (Mon-Fri): 31 May, 31 Aug and 30 Nov 2025 fall on a weekend.
        (29, [31, 28, 31, 30, 30, 30, 31, 29, 30, 31, 28, 31]),
    ],
)
def test_it_fires_monthly_on_the_day_the_last_day_or_the_last_working_day(time_zone, day_of_month, expected_days):
    zone = zoneinfo.ZoneInfo(time_zone)
    rule = {
        "frequency": "monthly",
        "weekdays": [],
        "day_of_month": day_of_month,
        "local_time": dt.time(6),
        "time_zone": time_zone,
    }
    found = walk(rule, dt.datetime(2025, 1, 1, tzinfo=zone), dt.datetime(2026, 1, 1, tzinfo=zone))
    local = [instant.astimezone(zone) for instant in found]
    assert [moment.month for moment in local] == list(range(1, 13))
    assert [moment.day for moment in local] == expected_days


def test_it_fires_on_29_february_in_a_leap_year_for_the_last_day():
    rule = {
        "frequency": "monthly",
        "weekdays": [],
        "day_of_month": 0,
        "local_time": dt.time(9),
        "time_zone": "Europe/London",
    }
    after = dt.datetime(2024, 2, 28, 10, tzinfo=UTC)
    assert next_occurrence(**rule, after=after) == dt.datetime(2024, 2, 29, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("time_zone", "day", "local_time", "expected_utc"),
    [
        # Spring forward: the wall time does not exist; run at the end of the gap.
        ("Europe/London", dt.date(2025, 3, 30), dt.time(1, 30), dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)),
        ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 30), dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC)),
        ("Australia/Sydney", dt.date(2025, 10, 5), dt.time(2, 30), dt.datetime(2025, 10, 4, 16, 0, tzinfo=UTC)),
        # Fall back: the wall time happens twice; run at the first.
        ("Europe/London", dt.date(2025, 10, 26), dt.time(1, 30), dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
        ("America/New_York", dt.date(2025, 11, 2), dt.time(1, 30), dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
        ("Australia/Sydney", dt.date(2025, 4, 6), dt.time(2, 30), dt.datetime(2025, 4, 5, 15, 30, tzinfo=UTC)),
        # Ordinary days either side of the change.
        ("Europe/London", dt.date(2025, 3, 29), dt.time(1, 30), dt.datetime(2025, 3, 29, 1, 30, tzinfo=UTC)),
        ("Europe/London", dt.date(2025, 3, 31), dt.time(1, 30), dt.datetime(2025, 3, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_it_handles_the_named_dst_dates(time_zone, day, local_time, expected_utc):
    rule = daily(time_zone, local_time)
    day_before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=zoneinfo.ZoneInfo(time_zone))
    assert next_occurrence(**rule, after=day_before) == expected_utc
    assert local_instant(day, local_time, zoneinfo.ZoneInfo(time_zone)) == expected_utc


def test_it_runs_an_autumn_overlap_time_once_not_twice():
    rule = daily("Europe/London", dt.time(1, 30))
    first = dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    # Right after the first 01:30 (BST), the next run is the following day,
    # not the second 01:30 (GMT) an hour later.
    assert next_occurrence(**rule, after=first) == dt.datetime(2025, 10, 27, 1, 30, tzinfo=UTC)


def test_it_is_strictly_after_the_given_instant():
    rule = daily("Europe/London", dt.time(9))
    at_nine = dt.datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert next_occurrence(**rule, after=at_nine) == dt.datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
    assert next_occurrence(**rule, after=at_nine - dt.timedelta(microseconds=1)) == at_nine


def test_it_computes_the_period_from_the_previous_occurrence_date_exclusive():
    weekly_monday = {**daily("Europe/London", dt.time(9)), "weekdays": [1]}
    occurrence = dt.datetime(2025, 6, 9, 8, 0, tzinfo=UTC)  # Monday 9 June 09:00 BST
    assert occurrence_period(**weekly_monday, occurrence=occurrence) == (dt.date(2025, 6, 3), dt.date(2025, 6, 9))
    monthly_last = {
        "frequency": "monthly",
        "weekdays": [],
        "day_of_month": 0,
        "local_time": dt.time(18),
        "time_zone": "Europe/London",
    }
    end_of_march = dt.datetime(2025, 3, 31, 17, 0, tzinfo=UTC)
    assert occurrence_period(**monthly_last, occurrence=end_of_march) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def test_it_uses_the_schedule_time_zone_for_the_local_date():
    # 08:00 on Monday in Sydney is still Sunday in UTC.
    rule = {**daily("Australia/Sydney", dt.time(8)), "weekdays": [1]}
    found = next_occurrence(**rule, after=dt.datetime(2025, 6, 1, tzinfo=UTC))
    assert found == dt.datetime(2025, 6, 1, 22, 0, tzinfo=UTC)
    assert found.astimezone(zoneinfo.ZoneInfo("Australia/Sydney")).isoweekday() == 1


def test_it_follows_the_clock_when_time_moves():
    rule = daily("America/New_York", dt.time(2, 30))
    with time_machine.travel(dt.datetime(2025, 3, 8, 12, tzinfo=UTC), tick=False):
        first = next_occurrence(**rule, after=dt.datetime.now(tz=UTC))
    with time_machine.travel(first, tick=False):
        second = next_occurrence(**rule, after=dt.datetime.now(tz=UTC))
    assert first == dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT: end of the gap
    assert second == dt.datetime(2025, 3, 10, 6, 30, tzinfo=UTC)  # 02:30 EDT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekdays": []}, "at least one weekday"),
        ({"weekdays": [0, 8]}, "1-7"),
        ({"frequency": "monthly", "day_of_month": 31}, "day 1-28"),
        ({"frequency": "daily"}, "Unknown frequency"),
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
    ],
)
def test_it_rejects_an_invalid_rule_with_a_clear_message(changes, message):
    rule = {**daily("Europe/London", dt.time(9)), **changes}
    with pytest.raises(ValueError, match=message):
        next_occurrence(**rule, after=dt.datetime(2025, 1, 1, tzinfo=UTC))


def test_it_rejects_a_naive_instant():
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(**daily("Europe/London", dt.time(9)), after=dt.datetime(2025, 1, 1))
