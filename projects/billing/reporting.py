"""The reporting currency and date a page totals its money in, as asked in its address (``?currency=&on=``).

A page of money in several currencies (the department budget table, a
client's account) adds it up in one currency at one day's exchange rates
(:mod:`projects.billing.currency`). What the address asks is checked here,
once for every such page: a currency the app does not keep, or something
that is not a date, is said in a note and the default used instead, never a
500 and never a silent guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from apm.dates import parse_date_param
from projects.models import CURRENCY_CHOICES

#: The currencies a total may be asked in, in the order the currency menu offers them.
REPORTING_CURRENCIES = [code for code, _ in CURRENCY_CHOICES]


@dataclass(frozen=True)
class Reporting:
    """The currency and day a total is in; ``notes`` what was asked and not understood (shown on the page), and
    ``keep`` the parameters a link keeps (``currency`` and ``on`` when asked and understood)."""

    currency: str
    on: dt.date
    notes: list[str] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)


def reporting_asked(params: Mapping[str, str], *, counts: Mapping[str, int], today: dt.date) -> Reporting:
    """The reporting currency and date of ``params`` (a request's GET): ``currency`` (default: the most common of
    ``counts``, currency code -> how many items are in it, ties by code; the first currency the app keeps when
    there is none) and ``on`` (default: ``today``)."""
    notes: list[str] = []
    keep: dict[str, str] = {}
    asked = (params.get("currency") or "").strip().upper()
    currency = min(counts, key=lambda code: (-counts[code], code), default=REPORTING_CURRENCIES[0])
    if asked in REPORTING_CURRENCIES:
        currency = keep["currency"] = asked
    elif asked:
        notes.append(f"“{asked[:20]}” is not a currency this table totals in; the total is in {currency}.")
    raw_on = (params.get("on") or "").strip()
    on = parse_date_param(raw_on, today)
    if raw_on and parse_date_param(raw_on, dt.date.min) == dt.date.min:
        notes.append(f"“{raw_on[:20]}” is not a date (YYYY-MM-DD, 1900 to 2200); the rates are today's.")
    elif raw_on:
        keep["on"] = on.isoformat()
    return Reporting(currency=currency, on=on, notes=notes, keep=keep)
