"""Capacity, bookings and free hours, week by week. Pure arithmetic: no database, no projects.

Weeks are ISO weeks starting on Monday and are named by that Monday's date.
Hours are hours (Decimal). A person's weekly capacity is spread evenly over
their working days (ISO weekday numbers 1 Monday … 7 Sunday); a public
holiday or a whole day of time off on a working day takes that day's hours
out of the week; part-day time off takes its hours (never more than the day).

A booking (an allocation of so many hours per week from ``start`` to ``end``,
both inclusive) counts in full in the weeks it covers entirely and pro rata
to the person's working days it covers in a first or last partial week.

In a week: ``free = max(0, capacity - confirmed)``; ``over`` when confirmed
hours exceed capacity (an over-allocation: a warning, never hidden);
tentative bookings are reported apart and never reduce ``free``;
``utilisation`` is ``confirmed / capacity * 100`` (percent 0-100, more when
over-allocated; None when the week has no capacity, where any booking is over).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
WEEK = dt.timedelta(days=7)
DAY = dt.timedelta(days=1)
DEFAULT_WEEKDAYS: frozenset[int] = frozenset({1, 2, 3, 4, 5})


@dataclass(frozen=True, slots=True)
class Booking:
    """Hours per week booked from ``start`` to ``end`` (inclusive); ``confirmed`` or tentative."""

    start: dt.date
    end: dt.date
    hours_per_week: Decimal
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class Absence:
    """Time off from ``start`` to ``end`` (inclusive); ``hours_per_day`` None means whole days."""

    start: dt.date
    end: dt.date
    hours_per_day: Decimal | None = None


@dataclass(frozen=True, slots=True)
class WeekLoad:
    """One person's week: hours of capacity, confirmed and tentative bookings, and free hours (≥ 0)."""

    week: dt.date
    capacity: Decimal
    confirmed: Decimal
    tentative: Decimal
    full_capacity: Decimal

    @property
    def free(self) -> Decimal:
        """Hours still free: capacity less confirmed bookings, never below zero."""
        return max(ZERO, self.capacity - self.confirmed)

    @property
    def over(self) -> bool:
        """True when confirmed bookings exceed the week's capacity (over-allocated)."""
        return self.confirmed > self.capacity

    @property
    def away(self) -> bool:
        """True when time off or a holiday took hours out of this week."""
        return self.capacity < self.full_capacity

    @property
    def utilisation(self) -> Decimal | None:
        """Confirmed hours as a percent of capacity (whole number), None when nothing to compare."""
        if self.capacity > 0:
            return (self.confirmed * 100 / self.capacity).quantize(Decimal(1), ROUND_HALF_UP)
        return None

    @property
    def tentative_utilisation(self) -> Decimal | None:
        """Tentative hours as a percent of capacity (whole number), None without capacity."""
        if self.capacity > 0:
            return (self.tentative * 100 / self.capacity).quantize(Decimal(1), ROUND_HALF_UP)
        return None


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def weeks_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays of the ISO weeks that touch ``start``…``end`` (inclusive); [] when end < start."""
    if end < start:
        return []
    first, last = week_start(start), week_start(end)
    return [first + WEEK * i for i in range((last - first).days // 7 + 1)]


def _working_days_in(week: dt.date, weekdays: frozenset[int], start: dt.date, end: dt.date) -> int:
    """How many of the person's working days of ``week`` fall within ``start``…``end``."""
    lo = max(week, start)
    hi = min(week + dt.timedelta(days=6), end)
    if hi < lo:
        return 0
    return sum(1 for i in range((hi - lo).days + 1) if (lo + DAY * i).isoweekday() in weekdays)


def week_loads(
    *,
    weeks: Sequence[dt.date],
    weekly_hours: Decimal,
    weekdays: Iterable[int] = DEFAULT_WEEKDAYS,
    bookings: Iterable[Booking] = (),
    absences: Iterable[Absence] = (),
    holidays: Iterable[dt.date] = (),
) -> list[WeekLoad]:
    """One ``WeekLoad`` per Monday in ``weeks`` (ascending, consecutive or not) for one person.

    ``weekly_hours`` is the contracted capacity per week; ``weekdays`` the ISO
    weekday numbers worked (none: capacity zero). Bookings and absences may
    reach outside ``weeks``; only the part inside counts.
    """
    days = frozenset(weekdays)
    per_day = weekly_hours / len(days) if days else ZERO
    index = {week: i for i, week in enumerate(weeks)}
    capacity = [weekly_hours if days else ZERO] * len(weeks)
    full = list(capacity)
    confirmed = [ZERO] * len(weeks)
    tentative = [ZERO] * len(weeks)

    # Hours off per working day, by day (a holiday and leave on one day count once).
    off: dict[dt.date, Decimal] = {}
    for holiday in holidays:
        if week_start(holiday) in index and holiday.isoweekday() in days:
            off[holiday] = per_day
    # Only the weeks asked for: a booking or absence of years must not cost a loop step per week of it.
    window_start = min(weeks, default=None)
    window_end = max(weeks) + dt.timedelta(days=6) if weeks else None

    def touched(start: dt.date, end: dt.date) -> list[dt.date]:
        if window_start is None or window_end is None:
            return []
        return weeks_between(max(start, window_start), min(end, window_end))

    for absence in absences:
        for week in touched(absence.start, absence.end):
            if week not in index:
                continue
            for i in range(7):
                day = week + DAY * i
                if absence.start <= day <= absence.end and day.isoweekday() in days:
                    hours = per_day if absence.hours_per_day is None else min(per_day, absence.hours_per_day)
                    off[day] = min(per_day, off.get(day, ZERO) + hours)
    for day, hours in off.items():
        i = index[week_start(day)]
        capacity[i] = max(ZERO, capacity[i] - hours)

    n_days = len(days)
    for booking in bookings:
        for week in touched(booking.start, booking.end):
            at = index.get(week)
            if at is None:
                continue
            if booking.start <= week and week + dt.timedelta(days=6) <= booking.end:
                hours = booking.hours_per_week
            elif n_days:
                hours = booking.hours_per_week * _working_days_in(week, days, booking.start, booking.end) / n_days
            else:
                hours = booking.hours_per_week
            if booking.confirmed:
                confirmed[at] += hours
            else:
                tentative[at] += hours
    return [
        WeekLoad(week=week, capacity=capacity[i], confirmed=confirmed[i], tentative=tentative[i], full_capacity=full[i])
        for i, week in enumerate(weeks)
    ]


def needed_hours(*, week: dt.date, hours_per_week: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """Hours a role needs in ``week``: all of ``hours_per_week`` in a full week, pro rata to the
    weekdays (Monday to Friday) it covers in a first or last partial week."""
    covered = _working_days_in(week, DEFAULT_WEEKDAYS, start, end)
    return hours_per_week if covered == 5 else hours_per_week * covered / 5


@dataclass(frozen=True, slots=True)
class Gap:
    """``hours_per_week`` of a role still unbooked from ``start`` to ``end`` (inclusive)."""

    start: dt.date
    end: dt.date
    hours_per_week: Decimal


def cover_gaps(*, start: dt.date, end: dt.date, hours_per_week: Decimal, bookings: Iterable[Booking]) -> list[Gap]:
    """What is left to book of ``hours_per_week`` from ``start`` to ``end`` once ``bookings`` (tentative
    ones too) are counted: the stretches where the booked hours fall short, in date order.

    The booked hours change only where a booking starts or ends, so the period is cut there; a stretch
    with no weekday in it (a weekend between two bookings) is no gap. Neighbouring stretches with the same
    shortfall are one gap. Bookings may reach outside the period; only the part inside counts.
    """
    inside = [b for b in bookings if b.start <= end and b.end >= start]
    cuts = {start, end + DAY}
    for booking in inside:
        cuts.update(day for day in (booking.start, booking.end + DAY) if start < day <= end)
    edges = sorted(cuts)
    gaps: list[Gap] = []
    for lo, hi in itertools.pairwise(edges):
        last = hi - DAY
        span = (last - lo).days + 1
        if span < 7 and not any((lo + DAY * i).isoweekday() in DEFAULT_WEEKDAYS for i in range(span)):
            continue
        booked = sum((b.hours_per_week for b in inside if b.start <= lo and b.end >= last), ZERO)
        short = max(ZERO, hours_per_week - booked)
        if not short:
            continue
        if gaps and gaps[-1].hours_per_week == short and gaps[-1].end + DAY == lo:
            gaps[-1] = Gap(gaps[-1].start, last, short)
        else:
            gaps.append(Gap(lo, last, short))
    return gaps
