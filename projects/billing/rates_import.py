"""Exchange rates from the European Central Bank's reference-rate files (``manage.py import_rates``).

Two layouts, both read by :func:`apm.tabular.read_table` (encoding, lines):

- the daily ``eurofxref.csv``: a header ``Date, USD, JPY, ...`` with a space
  after each comma and one row dated like ``04 December 2026``;
- the historical ``eurofxref-hist.csv``: a header ``Date,USD,JPY,...``, one
  row a day, ISO dates (``2026-12-04``), ``N/A`` where a currency was not
  quoted that day.

Both may end each line with a comma (an empty last column). A rate is the
units of a currency that one euro bought that day (``ExchangeRate``).

A file is read whole before anything is written: a bad file or row is
refused (:class:`apm.errors.Refused`, naming the file and the line), writing
nothing. Then one transaction writes it with bulk inserts and updates:
a (date, currency) not stored yet is added; one stored with another rate is
changed (the file wins over an earlier file or an administrator's entry, and
its source is written); one with the same rate is left alone. Running the
same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import IntegrityError, transaction

from apm import tabular
from apm.errors import Refused
from projects.models import ExchangeRate

#: The cell of a currency not quoted that day (the historical file's); an empty cell is refused, as a row cut short.
NOT_QUOTED = "N/A"
#: What the rate column holds (``ExchangeRate.rate``: 18 digits, 6 of them decimals).
RATE_PLACES = 6
RATE_DIGITS = 18
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_CODE = re.compile(r"[A-Z]{3}")
_LONG_DATE = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})")
_BATCH = 500


@dataclass(frozen=True)
class Quote:
    """One rate of a file: ``rate`` units of ``currency`` per euro on ``date``, read from ``line``."""

    date: dt.date
    currency: str
    rate: Decimal
    line: int


@dataclass(frozen=True)
class RatesFile:
    """A reference-rate file read and checked: its quotes, the currencies of its header and its dates."""

    path: str
    quotes: list[Quote]
    currencies: list[str]
    dates: list[dt.date]

    @property
    def source(self) -> str:
        """What ``ExchangeRate.source`` says of its rates: ``"ECB reference rates (eurofxref-hist.csv)"``."""
        return f"ECB reference rates ({Path(self.path).name})"


@dataclass(frozen=True)
class RatesImported:
    """What importing a file did: ``added``, ``changed`` and ``unchanged`` rates, over ``dates`` days."""

    path: str
    added: int
    changed: int
    unchanged: int
    dates: int

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.added} added, {self.changed} changed, {self.unchanged} unchanged "
            f"({self.dates} day{'s' if self.dates != 1 else ''})."
        )


def _date(cell: str, *, where: str) -> dt.date:
    text = cell.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = _LONG_DATE.fullmatch(text)
    month = MONTHS.get(match.group(2).lower()) if match else None
    if match and month:
        try:
            return dt.date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            pass
    raise Refused(f"{where}: {text!r} is not a date (2026-12-04 or 04 December 2026).")


def _rate(cell: str, *, currency: str, where: str) -> Decimal:
    text = cell.strip()
    try:
        rate = Decimal(text)
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite():
        raise Refused(f"{where}: the {currency} rate {text!r} is not a number (or N/A).")
    if rate <= 0:
        raise Refused(f"{where}: the {currency} rate {text} is not above zero.")
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RATE_PLACES:
        raise Refused(f"{where}: the {currency} rate {text} has more than {RATE_PLACES} decimal places.")
    if rate.adjusted() >= RATE_DIGITS - RATE_PLACES:
        raise Refused(f"{where}: the {currency} rate {text} is too large.")
    return rate


def _currencies(header: list[str], *, path: str) -> dict[int, str]:
    """The columns of the header's currencies by position; empty trailing cells (a comma at the end) ignored."""
    cells = [cell.strip() for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    if not cells or cells[0].lower() != "date":
        raise Refused(f"{path}, line 1: the header must start with Date (the ECB's reference-rate layout).")
    columns: dict[int, str] = {}
    for position, code in enumerate(cells[1:], start=1):
        if not _CODE.fullmatch(code):
            raise Refused(f"{path}, line 1: column {position + 1} {code!r} is not a currency code (three capitals).")
        if code == "EUR":
            raise Refused(f"{path}, line 1: EUR is the currency the rates are quoted against, not a column.")
        if code in columns.values():
            raise Refused(f"{path}, line 1: {code} is named twice.")
        columns[position] = code
    if not columns:
        raise Refused(f"{path}, line 1: the header names no currency.")
    return columns


def rates_file_read(*, path: Path | str) -> RatesFile:
    """Read and check an ECB reference-rate file (either layout, see the module docstring). Writes nothing.

    Raises Refused, naming the file and the line: a file that cannot be
    read, a header that is not ``Date`` and currency codes, a row with a
    cell more or fewer than the header, a bad date, a date twice, an empty
    rate, a rate that is not a positive number of at most 6 decimal
    places, a file without any rate.
    """
    try:
        table = tabular.read_table(path, delimiter=",")
    except tabular.TableError as exc:
        raise Refused(str(exc)) from exc
    name = table.path
    columns = _currencies(table.header, path=name)
    width = max(columns) + 1
    quotes: list[Quote] = []
    seen: dict[dt.date, int] = {}
    for row in table.rows:
        where = f"{name}, line {row.line}"
        cells = [cell.strip() for cell in row.cells]
        if len(cells) < width or any(cells[width:]):
            raise Refused(f"{where}: {len(cells)} cells where the header has {width} columns.")
        day = _date(cells[0], where=where)
        if day in seen:
            raise Refused(f"{where}: {day.isoformat()} again (first on line {seen[day]}).")
        seen[day] = row.line
        for position, currency in columns.items():
            if cells[position] == NOT_QUOTED:
                continue
            if not cells[position]:
                raise Refused(f"{where}: the {currency} rate is empty (the ECB writes {NOT_QUOTED} when not quoted).")
            quotes.append(Quote(day, currency, _rate(cells[position], currency=currency, where=where), row.line))
    if not quotes:
        raise Refused(f"{name}: no rates in the file.")
    return RatesFile(path=name, quotes=quotes, currencies=sorted(columns.values()), dates=sorted(seen))


def exchange_rates_import(*, rates: RatesFile) -> RatesImported:
    """Write the rates of a file read by :func:`rates_file_read` in one transaction, in bulk (see the module
    docstring): one query reads what is stored for the file's days, then one a batch of 500 rates added or
    changed.

    Raises Refused when another import wrote the same rates at the same time
    (nothing of this file is then written; running it again finishes it).
    """
    source = rates.source
    try:
        with transaction.atomic():
            stored = {
                (day, currency): (pk, rate)
                for pk, day, currency, rate in ExchangeRate.objects.filter(
                    date__gte=rates.dates[0], date__lte=rates.dates[-1], currency__in=rates.currencies
                ).values_list("pk", "date", "currency", "rate")
            }
            added: list[ExchangeRate] = []
            changed: list[ExchangeRate] = []
            for quote in rates.quotes:
                new = ExchangeRate(date=quote.date, currency=quote.currency, rate=quote.rate, source=source)
                known = stored.get((quote.date, quote.currency))
                if known is None:
                    added.append(new)
                elif known[1] != quote.rate:
                    new.pk = known[0]
                    changed.append(new)
            ExchangeRate.objects.bulk_create(added, batch_size=_BATCH)
            ExchangeRate.objects.bulk_update(changed, ["rate", "source"], batch_size=_BATCH)
    except IntegrityError as exc:
        raise Refused(
            f"{rates.path}: another import wrote rates of the same days at the same time; nothing of this file "
            "was written, run it again."
        ) from exc
    return RatesImported(
        path=rates.path,
        added=len(added),
        changed=len(changed),
        unchanged=len(rates.quotes) - len(added) - len(changed),
        dates=len(rates.dates),
    )
