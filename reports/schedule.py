"""When a report schedule fires: pure date arithmetic, DST-safe, no database.

A schedule fires at ``local_time`` in its own ``time_zone`` on

* weekly: each ISO weekday in ``weekdays`` (1 = Monday ... 7 = Sunday);
* monthly: day ``day_of_month`` (1-28) of each month, the last day when it is
  :data:`LAST_DAY` (0), or the last working day (Monday to Friday; public
  holidays are not known to schedules) when it is :data:`LAST_WORKING_DAY` (29).

Daylight-saving time (PEP 495 semantics through ``zoneinfo``):

* a local time that does not exist (spring forward, e.g. 01:30 on the last
  Sunday of March in Europe/London) runs at the first valid instant after the
  gap (02:00 BST there);
* a local time that happens twice (autumn, e.g. 01:30 on the last Sunday of
  October in London) runs once, at the first of the two (01:30 BST).

All instants given and returned are aware; returned ones are in UTC.

The period an occurrence covers runs from the day after the previous
occurrence's local date to this occurrence's local date, both inclusive
(:func:`occurrence_period`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator

UTC = dt.UTC
WEEKLY = "weekly"
MONTHLY = "monthly"
# Monthly schedules fire within 31 days and weekly ones within 7; a year of
# local dates is far more than enough to find the next one.
_SEARCH_DAYS = 400


#: ``day_of_month`` values with a meaning of their own.
LAST_DAY = 0
LAST_WORKING_DAY = 29


def _last_working_day(year: int, month: int) -> int:
    """The day of the month of the last Monday-to-Friday of ``year``-``month``."""
    day = calendar.monthrange(year, month)[1]
    while dt.date(year, month, day).isoweekday() > 5:
        day -= 1
    return day


def zone_info(time_zone: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``time_zone``; ValueError when unknown."""
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{time_zone!r} is not a known time zone (e.g. Europe/London).") from exc


def _check_rule(frequency: str, weekdays: Iterable[int] | None, day_of_month: int | None) -> frozenset[int]:
    if frequency == WEEKLY:
        days = frozenset(int(day) for day in (weekdays or ()))
        if not days:
            raise ValueError("A weekly schedule needs at least one weekday (1 = Monday ... 7 = Sunday).")
        if not days <= set(range(1, 8)):
            raise ValueError(f"Weekdays must be ISO weekday numbers 1-7, not {sorted(days)}.")
        return days
    if frequency == MONTHLY:
        if day_of_month is None or not LAST_DAY <= int(day_of_month) <= LAST_WORKING_DAY:
            raise ValueError(
                "A monthly schedule runs on day 1-28, 0 for the last day or 29 for the last working day, "
                f"not {day_of_month!r}."
            )
        return frozenset()
    raise ValueError(f"Unknown frequency {frequency!r}; expected 'weekly' or 'monthly'.")


def _fires_on(day: dt.date, frequency: str, weekdays: frozenset[int], day_of_month: int) -> bool:
    if frequency == WEEKLY:
        return day.isoweekday() in weekdays
    if day_of_month == LAST_DAY:
        return day.day == calendar.monthrange(day.year, day.month)[1]
    if day_of_month == LAST_WORKING_DAY:
        return day.day == _last_working_day(day.year, day.month)
    return day.day == day_of_month


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}.")


def local_instant(day: dt.date, local_time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of ``local_time`` on ``day`` in ``zone``, DST-safe.

    Ambiguous wall times (autumn) resolve to the first occurrence (fold=0).
    Wall times inside a spring-forward gap resolve to the first valid instant
    after the gap, i.e. the transition itself.
    """
    wall = dt.datetime.combine(day, local_time.replace(tzinfo=None, fold=0), tzinfo=zone)
    first = wall.astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return first
    # In a gap: fold=0 reads the wall time with the offset before the
    # transition, fold=1 with the offset after, so the transition instant lies
    # between the two readings. Find it to the second by bisection.
    low = int(min(first, wall.replace(fold=1).astimezone(UTC)).timestamp()) - 1
    high = int(max(first, wall.replace(fold=1).astimezone(UTC)).timestamp()) + 1
    after_offset = dt.datetime.fromtimestamp(high, UTC).astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


def _dates(start: dt.date, step: int) -> Iterator[dt.date]:
    for offset in range(_SEARCH_DAYS):
        yield start + dt.timedelta(days=offset * step)


def next_occurrence(
    *,
    frequency: str,
    weekdays: Iterable[int] | None,
    day_of_month: int | None,
    local_time: dt.time,
    time_zone: str,
    after: dt.datetime,
) -> dt.datetime:
    """The first occurrence strictly after ``after``, as an aware UTC datetime.

    ``frequency`` is ``"weekly"`` (``weekdays``: ISO weekday numbers) or
    ``"monthly"`` (``day_of_month``: 1-28, 0 = last day, 29 = last working day). Computed in
    ``time_zone`` (IANA name) with the DST rules in the module docstring.
    Raises ``ValueError`` for an unknown frequency or time zone, an empty or
    out-of-range rule, or a naive ``after``.
    """
    _require_aware(after, "after")
    days = _check_rule(frequency, weekdays, day_of_month)
    zone = zone_info(time_zone)
    after_utc = after.astimezone(UTC)
    # Start a day early: a gap-shifted instant can fall on the next UTC day.
    start = after_utc.astimezone(zone).date() - dt.timedelta(days=1)
    for day in _dates(start, 1):
        if _fires_on(day, frequency, days, int(day_of_month or 0)):
            instant = local_instant(day, local_time, zone)
            if instant > after_utc:
                return instant
    raise ValueError("The schedule never fires.")  # unreachable for a valid rule


def previous_occurrence(
    *,
    frequency: str,
    weekdays: Iterable[int] | None,
    day_of_month: int | None,
    local_time: dt.time,
    time_zone: str,
    before: dt.datetime,
    inclusive: bool = False,
) -> dt.datetime:
    """The last occurrence strictly before ``before`` (at or before it when ``inclusive``), in UTC.

    Same rule arguments and errors as :func:`next_occurrence`.
    """
    _require_aware(before, "before")
    days = _check_rule(frequency, weekdays, day_of_month)
    zone = zone_info(time_zone)
    before_utc = before.astimezone(UTC)
    start = before_utc.astimezone(zone).date() + dt.timedelta(days=1)
    for day in _dates(start, -1):
        if _fires_on(day, frequency, days, int(day_of_month or 0)):
            instant = local_instant(day, local_time, zone)
            if instant < before_utc or (inclusive and instant == before_utc):
                return instant
    raise ValueError("The schedule never fires.")  # unreachable for a valid rule


def occurrence_period(
    *,
    frequency: str,
    weekdays: Iterable[int] | None,
    day_of_month: int | None,
    local_time: dt.time,
    time_zone: str,
    occurrence: dt.datetime,
) -> tuple[dt.date, dt.date]:
    """``(period_start, period_end)``, both inclusive local dates, covered by ``occurrence``.

    ``period_end`` is the occurrence's local date; ``period_start`` the day
    after the previous occurrence's local date (that date itself is excluded:
    it belonged to the previous report).
    """
    zone = zone_info(time_zone)
    previous = previous_occurrence(
        frequency=frequency,
        weekdays=weekdays,
        day_of_month=day_of_month,
        local_time=local_time,
        time_zone=time_zone,
        before=occurrence,
    )
    end = occurrence.astimezone(zone).date()
    start = previous.astimezone(zone).date() + dt.timedelta(days=1)
    return min(start, end), end


_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _spoken_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def rule_text(
    *,
    frequency: str,
    weekdays: Iterable[int] | None,
    day_of_month: int | None,
    local_time: dt.time,
    time_zone: str,
) -> str:
    """The rule as people say it, in the schedule's own zone: "Mondays and Thursdays 08:00 Europe/London",
    "Weekdays 07:30 Asia/Tokyo", "Monthly, last working day, 09:00 Europe/London".

    Same rule arguments as :func:`next_occurrence`; a rule it would refuse is described as well as it can be.
    """
    at = f"{local_time:%H:%M} {time_zone}"
    if frequency == MONTHLY:
        day = int(day_of_month or 0)
        when = {LAST_DAY: "last day", LAST_WORKING_DAY: "last working day"}.get(day, f"day {day}")
        return f"Monthly, {when}, {at}"
    days = sorted({int(day) for day in (weekdays or ()) if 1 <= int(day) <= 7})
    if days == [1, 2, 3, 4, 5]:
        return f"Weekdays {at}"
    if days == list(range(1, 8)):
        return f"Every day {at}"
    if not days:
        return f"Weekly, no day chosen, {at}"
    return f"{_spoken_list([_DAY_NAMES[day - 1] for day in days])} {at}"


def local_text(instant: dt.datetime, time_zone: str) -> str:
    """``instant`` on the clock of ``time_zone``: "Mon 9 Jun 2025 09:00 Europe/London"; ValueError for an unknown
    zone or a naive instant."""
    _require_aware(instant, "instant")
    local = instant.astimezone(zone_info(time_zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {time_zone}"
