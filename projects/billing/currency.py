"""Money in another currency: exchange rates of a stated date, conversions and totals. Reads only.

Rates are stored as the European Central Bank quotes its euro foreign exchange
reference rates (``projects.models.ExchangeRate``): ``rate`` is the units of a
currency that one euro bought on a day (GBP 0.8612 means 1 EUR = 0.8612 GBP);
EUR itself is 1 on any date. The ECB publishes rates against the euro only,
and says that rates between two other currencies are derived from them
("cross rates", www.ecb.europa.eu, "Euro foreign exchange reference rates"):
so every conversion goes through EUR::

    amount in B = amount in A / rate(A) * rate(B)
    cross rate A -> B = rate(B) / rate(A)     (units of B per unit of A)

Rounding: the conversion is exact Decimal arithmetic, rounded half-up to the
cent once, at the end (:func:`projects.budget.evm.money`). A total converts
each currency's amount that way and adds the rounded parts, so the parts
shown always add up to the total.

The rate of a stated date is that day's, or the latest within
:data:`LOOKBACK_DAYS` (5) days before it: the ECB publishes none on weekends
and TARGET holidays, so a Saturday or Sunday reads Friday's rate and says so
(each :class:`Rate` carries the day it is from). A currency without a rate in
that window is a gap: its amounts are left out of a total and named
(:class:`Gap`), never converted at an assumed 1.0.

Currency codes are ISO 4217, upper case (``"GBP"``). One query reads every
rate a conversion or a total needs, whatever the number of currencies; none
when no rate is needed (EUR only, or every amount already in the currency
wanted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from projects.budget.evm import money, money_sum
from projects.models import ExchangeRate

#: The euro, the currency every rate is quoted against.
EUR = "EUR"
#: How many days before the stated date a rate may come from (the stated day itself included).
LOOKBACK_DAYS = 5
ONE = Decimal(1)


@dataclass(frozen=True)
class Rate:
    """Units of ``currency`` that one euro bought (Decimal, as stored, up to 6 places) on ``date``, the day the
    rate is from: the stated date or up to :data:`LOOKBACK_DAYS` days before it. EUR: 1, dated the stated day."""

    currency: str
    rate: Decimal
    date: dt.date


class MissingRate(LookupError):
    """No rate of ``currency`` within :data:`LOOKBACK_DAYS` days before ``on``; ``str()`` says so in words."""

    def __init__(self, currency: str, on: dt.date) -> None:
        self.currency = currency
        self.on = on
        super().__init__(f"No {currency} rate within {LOOKBACK_DAYS} days before {on.isoformat()}.")


@dataclass(frozen=True)
class CrossRate:
    """How ``source`` becomes ``target``: ``rate_from`` and ``rate_to`` are their rates against EUR (units per
    euro; both 1 for the same currency), ``legs`` the stored rates used, each with its day (EUR's and the same
    currency's need none, so EUR to GBP has one leg and GBP to GBP none)."""

    source: str
    target: str
    rate_from: Decimal
    rate_to: Decimal
    legs: tuple[Rate, ...]

    @property
    def rate(self) -> Decimal:
        """Units of ``target`` per unit of ``source``: ``rate_to / rate_from`` (28 significant digits)."""
        return self.rate_to / self.rate_from

    @property
    def rate_text(self) -> str:
        """The cross rate to 6 significant digits, trailing zeros dropped: ``"0.8612"``, ``"187.215"``."""
        return significant(self.rate)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """The days of the rates used, newest first, each once (empty when no rate was needed)."""
        return tuple(sorted({leg.date for leg in self.legs}, reverse=True))

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` (Decimal, in ``source``) in ``target``: ``amount / rate_from * rate_to``, money."""
        if self.source == self.target:
            return money(amount)
        return money(amount / self.rate_from * self.rate_to)


@dataclass(frozen=True)
class Conversion:
    """``amount`` (as given, in ``cross.source``) is ``converted`` (money, in ``cross.target``)."""

    cross: CrossRate
    amount: Decimal
    converted: Decimal


@dataclass(frozen=True)
class Gap:
    """Amounts in ``currency`` left out of a total: ``missing`` names the currencies without a rate within
    :data:`LOOKBACK_DAYS` days before the date (``currency`` itself, the total's currency, or both)."""

    currency: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Total:
    """Amounts in several currencies totalled in ``currency`` at the rates of ``on``.

    ``amount`` is money in ``currency``: the exact sum of the ``parts``'
    converted amounts (each rounded to the cent), gaps left out. ``parts``
    has one :class:`Conversion` per currency converted (the total's own
    currency included, at 1), by code; ``gaps`` one :class:`Gap` per
    currency left out because a rate was missing, by code.
    """

    currency: str
    on: dt.date
    amount: Decimal
    parts: tuple[Conversion, ...]
    gaps: tuple[Gap, ...]

    @property
    def complete(self) -> bool:
        """True when every amount is in the total (no gap)."""
        return not self.gaps

    @property
    def left_out(self) -> tuple[str, ...]:
        """The currencies whose amounts are not in the total."""
        return tuple(gap.currency for gap in self.gaps)


@dataclass(frozen=True)
class Rates:
    """The rates of ``asked`` (currency codes) on the stated date ``on``, as read by :func:`rates_on`.

    ``found`` maps a code to its :class:`Rate` (EUR always there); an asked
    code missing from it had no rate within :data:`LOOKBACK_DAYS` days before
    ``on``. Asking these rates about a currency that was not asked is a bug
    and raises ValueError (it would read as a gap that is not one).
    """

    on: dt.date
    asked: frozenset[str]
    found: Mapping[str, Rate]

    def rate(self, currency: str) -> Rate:
        """``currency``'s rate against EUR. Raises MissingRate when none was found, ValueError when not asked."""
        if currency != EUR and currency not in self.asked:
            raise ValueError(f"{currency} was not among the rates read ({', '.join(sorted(self.asked))}).")
        found = self.found.get(currency)
        if found is None:
            raise MissingRate(currency, self.on)
        return found

    def cross(self, source: str, target: str) -> CrossRate:
        """The cross rate from ``source`` to ``target`` through EUR (see the module docstring).

        The same currency needs no rate (1, no legs). Raises MissingRate for
        the first of ``source`` and ``target`` without a rate.
        """
        if source == target:
            return CrossRate(source=source, target=target, rate_from=ONE, rate_to=ONE, legs=())
        rate_from, rate_to = self.rate(source), self.rate(target)
        legs = tuple(rate for rate in (rate_from, rate_to) if rate.currency != EUR)
        return CrossRate(source=source, target=target, rate_from=rate_from.rate, rate_to=rate_to.rate, legs=legs)

    def convert(self, amount: Decimal, *, source: str, target: str) -> Conversion:
        """``amount`` (Decimal, in ``source``) in ``target``, money. Raises MissingRate (see :meth:`cross`)."""
        cross = self.cross(source, target)
        return Conversion(cross=cross, amount=amount, converted=cross.apply(amount))

    def total(self, amounts: Mapping[str, Decimal], *, currency: str) -> Total:
        """``amounts`` (Decimal by currency code, e.g. ``{"GBP": Decimal("100"), "EUR": Decimal("50")}``)
        totalled in ``currency``; a currency without a rate (or every other one, when ``currency`` has none) is
        a :class:`Gap`, not in the total."""
        parts: list[Conversion] = []
        gaps: list[Gap] = []
        for source in sorted(amounts):
            if source != currency:
                missing = tuple(code for code in (source, currency) if self._missing(code))
                if missing:
                    gaps.append(Gap(currency=source, missing=missing))
                    continue
            parts.append(self.convert(amounts[source], source=source, target=currency))
        return Total(
            currency=currency,
            on=self.on,
            amount=money_sum(part.converted for part in parts),
            parts=tuple(parts),
            gaps=tuple(gaps),
        )

    def _missing(self, currency: str) -> bool:
        try:
            self.rate(currency)
        except MissingRate:
            return True
        return False


def rates_on(currencies: Iterable[str], on: dt.date) -> Rates:
    """The rates of ``currencies`` (codes) on ``on``: each the stated day's, else the latest within
    :data:`LOOKBACK_DAYS` days before it. One query (none when only EUR is asked).

    At most six rows a currency come back (one a day of the window); the
    newest of each is kept, in Python rather than with ``DISTINCT ON``, which
    only PostgreSQL has.
    """
    asked = frozenset(currencies)
    found: dict[str, Rate] = {EUR: Rate(currency=EUR, rate=ONE, date=on)}
    wanted = sorted(asked - {EUR})
    if wanted:
        since = on - dt.timedelta(days=LOOKBACK_DAYS) if on > dt.date.min + dt.timedelta(days=LOOKBACK_DAYS) else on
        rows = (
            ExchangeRate.objects.filter(currency__in=wanted, date__gte=since, date__lte=on)
            .order_by("currency", "-date")
            .values_list("currency", "date", "rate")
        )
        for code, day, rate in rows:
            found.setdefault(code, Rate(currency=code, rate=rate, date=day))
    return Rates(on=on, asked=asked, found=found)


def rates_to(currency: str, *, sources: Iterable[str], on: dt.date) -> Rates:
    """The rates needed to bring amounts in ``sources`` (codes) into ``currency`` on ``on``: those of the sources
    that are not ``currency`` and, when there is any, of ``currency`` itself. One query; none when every source
    is ``currency`` (a total in the amounts' own currency needs no rate) or EUR to EUR."""
    others = set(sources) - {currency}
    return rates_on(others | {currency} if others else (), on)


def rate_on(currency: str, on: dt.date) -> Rate | None:
    """``currency``'s rate against EUR on ``on`` (or the latest within :data:`LOOKBACK_DAYS` days before it), with
    the day it is from; None when there is none (a gap: never assume 1). EUR: 1, no query. One query."""
    return rates_on([currency], on).found.get(currency)


def convert(amount: Decimal, *, source: str, target: str, on: dt.date) -> Conversion:
    """``amount`` (Decimal, in ``source``) in ``target`` at the rates of ``on``, through EUR, money. One query at
    most. Raises MissingRate when ``source`` or ``target`` has no rate within :data:`LOOKBACK_DAYS` days before
    ``on``."""
    return rates_to(target, sources=[source], on=on).convert(amount, source=source, target=target)


def total_in(amounts: Mapping[str, Decimal], *, currency: str, on: dt.date) -> Total:
    """``amounts`` (Decimal by currency code) totalled in ``currency`` at the rates of ``on``; currencies
    without a rate are gaps, left out and named. One query at most, whatever the number of currencies."""
    return rates_to(currency, sources=amounts, on=on).total(amounts, currency=currency)


@dataclass(frozen=True)
class ColumnTotals:
    """Rows of figures in several currencies (a table's BAC, AC, EAC...), each column totalled in ``currency``
    at the rates of ``on``.

    ``columns`` maps a column's name to its :class:`Total` (money in
    ``currency``); every column uses the same ``rates`` (one
    :class:`CrossRate` per other currency converted, by code; the total's
    own currency needs none) and leaves out the same currencies: ``gaps``
    pairs each :class:`Gap` with the number of rows it leaves out.
    """

    currency: str
    on: dt.date
    columns: dict[str, Total]
    rates: tuple[CrossRate, ...]
    gaps: tuple[tuple[Gap, int], ...]


def totals_in(rows: Iterable[tuple[str, Mapping[str, Decimal]]], *, currency: str, on: dt.date) -> ColumnTotals:
    """Each column of ``rows`` (``(currency code, {column: Decimal})`` pairs, every row with the same columns)
    totalled in ``currency`` at the rates of ``on``: sums per currency first, then one conversion per currency
    and column (:meth:`Rates.total`). One query at most, whatever the number of rows and currencies."""
    sums: dict[str, dict[str, Decimal]] = {}
    counts: dict[str, int] = {}
    for code, figures in rows:
        counts[code] = counts.get(code, 0) + 1
        for column, value in figures.items():
            by_currency = sums.setdefault(column, {})
            by_currency[code] = by_currency.get(code, Decimal(0)) + value
    rates = rates_to(currency, sources=counts, on=on)
    columns = {column: rates.total(by_currency, currency=currency) for column, by_currency in sums.items()}
    first = next(iter(columns.values()), None)
    return ColumnTotals(
        currency=currency,
        on=on,
        columns=columns,
        rates=tuple(part.cross for part in first.parts if part.cross.source != currency) if first else (),
        gaps=tuple((gap, counts[gap.currency]) for gap in first.gaps) if first else (),
    )


def significant(value: Decimal, digits: int = 6) -> str:
    """``value`` rounded half-up to ``digits`` significant digits, trailing zeros dropped, never in exponent
    notation: ``Decimal("0.861200")`` -> ``"0.8612"``, ``Decimal("187.21504")`` -> ``"187.215"``."""
    if not value:
        return "0"
    rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}"
