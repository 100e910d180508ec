"""Repeat rules of recurring tasks and obligations: a small, named subset of RFC 5545 RRULE.

The subset (anything else is refused with a sentence, ``apm.errors.Refused``):

* ``FREQ=DAILY`` every n days;
* ``FREQ=WEEKLY;BYDAY=MO,TH`` every n weeks on the named days (one at least);
* ``FREQ=MONTHLY;BYMONTHDAY=15`` every n months on a day (1-31), or ``BYMONTHDAY=-1`` on the last day;
* ``FREQ=YEARLY`` every n years on the month and day of the occurrence it counts from;

each with an optional ``INTERVAL=n`` (1-99, 1 when left out). ``COUNT`` and
``UNTIL`` are refused: a repeat stops when somebody clears it ("Does not
repeat") on the latest occurrence, which keeps one place that says whether
the work goes on. Dates follow RFC 5545 as dateutil's ``rrule`` reads it:
a month without the day (the 31st in April, the 30th in February) is
skipped, so a rule meant for month ends says "the last day"; a yearly rule
counted from 29 February falls on leap years only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# python-dateutil ships no types; its stub package is not among our dev requirements.
from dateutil import rrule  # type: ignore[import-untyped]

from apm.errors import Refused

DAILY, WEEKLY, MONTHLY, YEARLY = "DAILY", "WEEKLY", "MONTHLY", "YEARLY"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY, YEARLY)
#: The RFC's two-letter days, Monday first (``datetime.date.weekday()`` order).
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: ``BYMONTHDAY=-1``: the last day of the month.
LAST = -1
MAX_INTERVAL = 99

_UNITS = {DAILY: "day", WEEKLY: "week", MONTHLY: "month", YEARLY: "year"}
_RRULE_FREQ = {DAILY: rrule.DAILY, WEEKLY: rrule.WEEKLY, MONTHLY: rrule.MONTHLY, YEARLY: rrule.YEARLY}


@dataclass(frozen=True)
class Rule:
    """A repeat rule of the subset: ``freq`` (DAILY, WEEKLY, MONTHLY, YEARLY), every ``interval`` of them,
    ``weekdays`` (indices 0=Monday..6=Sunday, sorted) for a weekly rule, ``monthday`` (1-31 or ``LAST``) for a
    monthly one. Build it with :meth:`make` (which refuses what is outside the subset) or :func:`parse`."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None

    @classmethod
    def make(
        cls, *, freq: str, interval: int = 1, weekdays: tuple[int, ...] | list[int] = (), monthday: int | None = None
    ) -> Rule:
        """The rule, or ``Refused`` with a sentence: an unknown frequency, an interval outside 1-99, a weekly
        rule without a day, a monthly rule without a day or on a day outside 1-31, days given to another
        frequency."""
        freq = str(freq).upper()
        if freq not in FREQUENCIES:
            raise Refused("A task repeats daily, weekly, monthly or yearly.")
        if not 1 <= int(interval) <= MAX_INTERVAL:
            raise Refused(f"Repeat every 1 to {MAX_INTERVAL} {_UNITS[freq]}s.")
        days = tuple(sorted(set(weekdays)))
        if any(not 0 <= day <= 6 for day in days):
            raise Refused("A day of the week is Monday to Sunday.")
        if freq == WEEKLY and not days:
            raise Refused("Say on which days of the week it repeats.")
        if freq != WEEKLY and days:
            raise Refused("Only a weekly repeat is on days of the week.")
        if freq == MONTHLY:
            if monthday is None:
                raise Refused("Say on which day of the month it repeats (1 to 31, or the last day).")
            if monthday != LAST and not 1 <= monthday <= 31:
                raise Refused("A day of the month is 1 to 31, or the last day.")
        elif monthday is not None:
            raise Refused("Only a monthly repeat is on a day of the month.")
        return cls(freq=freq, interval=int(interval), weekdays=days, monthday=monthday)

    def __str__(self) -> str:
        """The RFC 5545 RRULE value, e.g. ``FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH``."""
        parts = [f"FREQ={self.freq}", f"INTERVAL={self.interval}"]
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(WEEKDAYS[day] for day in self.weekdays))
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        return ";".join(parts)

    @property
    def description(self) -> str:
        """In words: "Every month on the last day", "Every 2 weeks on Monday and Thursday"."""
        unit = _UNITS[self.freq]
        every = f"Every {unit}" if self.interval == 1 else f"Every {self.interval} {unit}s"
        if self.freq == WEEKLY:
            return f"{every} on {_and([WEEKDAY_NAMES[day] for day in self.weekdays])}"
        if self.freq == MONTHLY:
            return f"{every} on the last day" if self.monthday == LAST else f"{every} on the {_ordinal(self.monthday)}"
        return every


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _ordinal(number: int | None) -> str:
    number = int(number or 0)
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def parse(text: str) -> Rule | None:
    """The rule of an RRULE value (an optional ``RRULE:`` prefix, parts in any order, any case), None for a
    blank one. Raises ``Refused`` naming what is outside the subset (COUNT, UNTIL, BYSETPOS, ...), a part
    given twice, or a value that is not a number or a day."""
    text = str(text or "").strip()
    if not text:
        return None
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise Refused(f"“{part.strip()}” is not a part of a repeat rule (NAME=value).")
        if name in parts:
            raise Refused(f"{name} is given twice.")
        parts[name] = value.strip().upper()
    if "COUNT" in parts or "UNTIL" in parts:
        raise Refused("A repeat does not stop by itself here (no COUNT or UNTIL): clear it on the last occurrence.")
    unknown = sorted(set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY"})
    if unknown:
        raise Refused(
            f"Repeats are daily, weekly on days, monthly on a day or yearly; {', '.join(unknown)} is not supported."
        )
    if "FREQ" not in parts:
        raise Refused("A repeat rule names its frequency (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).")
    interval = _number(parts.get("INTERVAL", "1"), "INTERVAL")
    weekdays = []
    for day in filter(None, (d.strip() for d in parts.get("BYDAY", "").split(","))):
        if day not in WEEKDAYS:
            raise Refused(f"“{day}” is not a day of the week (MO, TU, WE, TH, FR, SA, SU).")
        weekdays.append(WEEKDAYS.index(day))
    monthday = _number(parts["BYMONTHDAY"], "BYMONTHDAY") if "BYMONTHDAY" in parts else None
    if monthday is not None and monthday < 0 and monthday != LAST:
        raise Refused("Of the days counted from a month's end, only the last (BYMONTHDAY=-1) is supported.")
    return Rule.make(freq=parts["FREQ"], interval=interval, weekdays=weekdays, monthday=monthday)


def _number(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Refused(f"{name} is a whole number, not “{value}”.") from None


def occurrence_after(rule: Rule, *, anchor: dt.date, after: dt.date) -> dt.date:
    """The first date of ``rule`` counted from ``anchor`` (the occurrence the rule repeats: its weeks, months
    and years count from it; a yearly rule takes its month and day) strictly after ``after``."""
    dates = rrule.rrule(
        _RRULE_FREQ[rule.freq],
        dtstart=dt.datetime.combine(anchor, dt.time()),
        interval=rule.interval,
        byweekday=rule.weekdays or None,
        bymonthday=rule.monthday,
    )
    found = dates.after(dt.datetime.combine(max(after, anchor), dt.time()), inc=False)
    if found is None:  # pragma: no cover - every rule of the subset has a later date (a 29 February within 8 years)
        raise Refused(f"“{rule.description}” has no date after {after:%d %b %Y}.")
    return found.date()


def next_after(rule: Rule, date: dt.date) -> dt.date:
    """The next date of ``rule`` after ``date``, counted from ``date``."""
    return occurrence_after(rule, anchor=date, after=date)


def describe(text: str) -> str:
    """The words of a stored RRULE value ("" for none, the value itself if it no longer parses)."""
    try:
        rule = parse(text)
    except Refused:
        return text
    return rule.description if rule else ""
