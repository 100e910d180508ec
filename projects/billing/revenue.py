"""Revenue and margin, as pure functions of plain inputs (no database): what a project earns under its billing
model, month by month, and its margin against cost.

Money is Decimal in the project's currency, rounded half-up to the minor unit
(``projects.budget.evm.money``) where it is computed, line by line.

**Time and materials.** Revenue = approved billable hours x the bill rate
stored on each entry + billable expenses x (1 + markup % / 100), by the date
of the entry or expense; never more than the contract value (the agreed
not-to-exceed amount, or the budget when none): what passes it is written
off, and said. Hours with no bill rate earn nothing and are counted apart
(``unpriced_hours``): a gap to fix, never a silent zero rate.

**Fixed price.** Contract value = the price. Revenue is recognised as
billing milestones fall due (a deliverable's acceptance, or a date), or by
percent complete: price x the latest percent complete reported / 100.

**Retainer.** Each calendar month from the retainer's first month earns the
fee and allows ``hours``. Hours used are taken from the hours rolled over
from earlier months first (oldest first), then from the month's own; what
is left of a month's own hours rolls over for at most ``rollover_months``
months, then expires (0: at the month's end). Hours beyond everything
available are overage at the overage rate.

**Margin** = revenue - cost; margin % = margin / revenue x 100 (None when
there is no revenue). Forecast at completion: the contract value against
the forecast cost at completion (EAC).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from projects.budget.evm import HUNDRED, ZERO, money

PERCENT_PLACES = Decimal("0.1")


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included (none when ``last`` is
    before ``first``)."""
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


# --- Inputs --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BilledTime:
    """Approved billable hours on ``date`` and what they earn: ``amount`` (money: each entry's hours x its
    stored bill rate, half-up, summed), None when no bill rate applied."""

    date: dt.date
    hours: Decimal
    amount: Decimal | None


@dataclass(frozen=True)
class BilledExpense:
    """A billable expense of ``amount`` on ``date`` (before markup)."""

    date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class MilestoneDue:
    """A billing milestone of ``amount`` and the date it fell due (None: not yet)."""

    amount: Decimal
    due: dt.date | None


@dataclass(frozen=True)
class RetainerTerms:
    """``fee`` a month allowing ``hours``; unused hours roll over for ``rollover_months``; beyond, overage at
    ``overage_rate`` an hour (None: overage earns nothing, and is said). Months from ``start``'s to ``end``'s."""

    fee: Decimal
    hours: Decimal
    rollover_months: int
    overage_rate: Decimal | None
    start: dt.date
    end: dt.date | None = None


# --- Answers -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revenue:
    """Revenue recognised to a date: ``total`` and by month (``by_month``: first day of the month -> money);
    ``unpriced_hours`` approved billable hours with no bill rate; ``written_off`` what passed the contract
    value (time and materials); ``overage_unpriced_hours`` retainer overage with no overage rate."""

    total: Decimal
    by_month: dict[dt.date, Decimal] = field(default_factory=dict)
    unpriced_hours: Decimal = ZERO
    written_off: Decimal = ZERO
    overage_unpriced_hours: Decimal = ZERO


def _by_month(items: Iterable[tuple[dt.date, Decimal]]) -> dict[dt.date, Decimal]:
    totals: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in items:
        totals[month_of(day)] += amount
    return dict(sorted(totals.items()))


def time_and_materials(
    *,
    time: Sequence[BilledTime],
    expenses: Sequence[BilledExpense],
    markup_percent: Decimal,
    cap: Decimal | None,
    as_of: dt.date,
) -> Revenue:
    """Time and materials revenue to ``as_of`` (inclusive): the priced time's amounts, each expense
    ``money(amount x (1 + markup / 100))``; the months in date order until ``cap`` is reached, the rest
    written off (``cap`` None: no cap)."""
    factor = 1 + markup_percent / HUNDRED
    lines: list[tuple[dt.date, Decimal]] = []
    unpriced = ZERO
    for entry in time:
        if entry.date > as_of:
            continue
        if entry.amount is None:
            unpriced += entry.hours
        else:
            lines.append((entry.date, money(entry.amount)))
    lines += [(expense.date, money(expense.amount * factor)) for expense in expenses if expense.date <= as_of]
    by_month = _by_month(lines)
    written_off = ZERO
    if cap is not None:
        left = money(cap)
        for month, amount in by_month.items():
            kept = min(amount, max(left, ZERO))
            written_off += amount - kept
            by_month[month] = kept
            left -= kept
    return Revenue(
        total=money(sum(by_month.values(), ZERO)),
        by_month=by_month,
        unpriced_hours=unpriced,
        written_off=money(written_off),
    )


def fixed_price_milestones(*, milestones: Sequence[MilestoneDue], as_of: dt.date) -> Revenue:
    """Fixed-price revenue recognised as milestones fall due, to ``as_of`` (inclusive)."""
    due = [(m.due, money(m.amount)) for m in milestones if m.due is not None and m.due <= as_of]
    by_month = _by_month(due)
    return Revenue(total=money(sum(by_month.values(), ZERO)), by_month=by_month)


def fixed_price_percent(*, price: Decimal, progress: Sequence[tuple[dt.date, Decimal]], as_of: dt.date) -> Revenue:
    """Fixed-price revenue by percent complete: ``price x pct / 100`` with the latest ``(date, percent)`` of
    ``progress`` on or before ``as_of``; each month earns the growth of that figure over the month (a fall in
    percent complete takes revenue back)."""
    reported = sorted((day, pct) for day, pct in progress if day <= as_of)
    by_month: dict[dt.date, Decimal] = {}
    recognised = ZERO
    for day, pct in reported:
        now = money(price * max(ZERO, min(HUNDRED, pct)) / HUNDRED)
        by_month[month_of(day)] = by_month.get(month_of(day), ZERO) + now - recognised
        recognised = now
    return Revenue(total=recognised, by_month=dict(sorted(by_month.items())))


@dataclass(frozen=True)
class RetainerMonth:
    """One month of a retainer: its ``fee`` and own ``allowance`` (hours), the hours ``rolled_in`` from earlier
    months available at its start, hours ``used``, ``overage_hours`` and their ``overage`` money, hours that
    ``expired`` at its end and the ``balance`` (hours still available) carried into the next month."""

    month: dt.date
    fee: Decimal
    allowance: Decimal
    rolled_in: Decimal
    used: Decimal
    overage_hours: Decimal
    overage: Decimal
    expired: Decimal
    balance: Decimal

    @property
    def revenue(self) -> Decimal:
        return money(self.fee + self.overage)


def retainer_months(
    *, terms: RetainerTerms, hours: Iterable[tuple[dt.date, Decimal]], as_of: dt.date
) -> list[RetainerMonth]:
    """The retainer's months from its first to ``as_of``'s (or its last, if earlier), with the hours used
    (``hours``: (date, hours) of approved time, any order) as the module docstring says."""
    last = min(as_of, terms.end) if terms.end else as_of
    used_by_month = _by_month((day, h) for day, h in hours if day <= last)
    buckets: list[tuple[dt.date, Decimal]] = []  # (month the hours were allowed in, hours left), oldest first
    months = []
    for month in months_between(terms.start, last):
        rolled_in = sum((left for _, left in buckets), ZERO)
        used = used_by_month.get(month, ZERO)
        need = used
        kept = []
        for origin, left in buckets:
            take = min(left, need)
            need -= take
            if left - take > 0:
                kept.append((origin, left - take))
        own = terms.hours
        take = min(own, need)
        need -= take
        overage_hours = need
        if own - take > 0:
            kept.append((month, own - take))
        # At the month's end, hours allowed more than rollover_months months ago expire.
        after = next_month(month)
        expired = ZERO
        buckets = []
        for origin, left in kept:
            if len(months_between(origin, after)) - 1 > terms.rollover_months:
                expired += left
            else:
                buckets.append((origin, left))
        rate = terms.overage_rate
        months.append(
            RetainerMonth(
                month=month,
                fee=money(terms.fee),
                allowance=own,
                rolled_in=rolled_in,
                used=used,
                overage_hours=overage_hours,
                overage=money(overage_hours * rate) if rate is not None else ZERO,
                expired=expired,
                balance=sum((left for _, left in buckets), ZERO),
            )
        )
    return months


def retainer(*, terms: RetainerTerms, hours: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> Revenue:
    """Retainer revenue to ``as_of``: every month's fee and overage (:func:`retainer_months`)."""
    months = retainer_months(terms=terms, hours=hours, as_of=as_of)
    unpriced = sum((m.overage_hours for m in months), ZERO) if terms.overage_rate is None else ZERO
    return Revenue(
        total=money(sum((m.revenue for m in months), ZERO)),
        by_month={m.month: m.revenue for m in months},
        overage_unpriced_hours=unpriced,
    )


def retainer_contract_value(terms: RetainerTerms) -> Decimal | None:
    """The fees of every month of the retainer (None while it has no last month)."""
    if terms.end is None:
        return None
    return money(terms.fee * len(months_between(terms.start, terms.end)))


# --- Margin --------------------------------------------------------------------------------------------------------


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part / whole x 100`` rounded half-up to one place; None when ``whole`` is zero."""
    if not whole:
        return None
    return (part / whole * HUNDRED).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Margin:
    """``revenue - cost`` and its share of revenue (``percent``, None without revenue)."""

    revenue: Decimal
    cost: Decimal
    margin: Decimal
    percent: Decimal | None


def margin(*, revenue: Decimal, cost: Decimal) -> Margin:
    revenue, cost = money(revenue), money(cost)
    return Margin(revenue=revenue, cost=cost, margin=money(revenue - cost), percent=percent(revenue - cost, revenue))
