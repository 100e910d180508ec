"""Dates and ids from query strings, bounded so edge-of-calendar or huge values cannot 500 a page; dates from
snapshots and chart rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Dates outside this range fall back to the default: arithmetic near year 1 or 9999 overflows.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)

#: The largest id a database column holds (signed 64-bit).
MAX_ID = 2**63 - 1


def parse_date_param(value: str | None, default: dt.date) -> dt.date:
    """``YYYY-MM-DD`` from a query string, or ``default`` when missing, malformed or outside 1900-01-01..2200-12-31."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return default
    return day if EARLIEST <= day <= LATEST else default


def parse_id_param(value: str | None) -> int | None:
    """A primary key from a query string: an int in 1..2**63-1, else None (ignore the filter)."""
    raw = (value or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_ID else None


def as_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime (its date) or an ISO string (as a snapshot holds it); None for None or ""."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def required_date(value: dt.date | str) -> dt.date:
    """:func:`as_date` of a value that must be there; ``ValueError`` when it is empty."""
    day = as_date(value)
    if day is None:
        raise ValueError("A date is required.")
    return day
