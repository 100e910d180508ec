"""Read the UK Government Major Projects Portfolio (GMPP) annual data files.

Pure functions, no database: ``read_file`` (used by every mapping import)
turns a file into ``(line_no, {column: text})`` pairs; the cell readers here
(money, dates, withheld text, departments) serve the mapping engine, of which
the GMPP layouts are the built-in preset ``projects.importers.mapping.GMPP``:
``mapping.parse_record`` turns one row into a ``Record`` in APM's terms
(pounds, dates, canonical ratings), raising :class:`RowError` with the reason
when the row cannot be used. The writing is
``projects.importers.services.portfolio_import_gmpp``.

The files (IPA annual report data, re-exported by a bootcamp team; see
``../shared/data/real/SOURCES.md``):

* 2018-2020 are comma-separated, 2021-2022 semicolon-separated: the
  delimiter is read from the header line (``apm.tabular.sniff_delimiter``).
* Read by ``apm.tabular``: a byte-order mark names the encoding, else UTF-8
  when the bytes are UTF-8, else cp1252 (the real files' encoding, with a
  few bytes that are not cp1252: decoded with ``errors="replace"``, they
  become U+FFFD).
* Quoted cells span lines (with ``\\r``, ``\\r\\n`` or ``\\r\\r\\n`` inside).
  Line numbers are *physical* lines counted by ``\\n`` (as ``grep -n`` and
  ``sed -n 'Np'`` count them); a row's number is the line where it starts, the
  header being line 1. In-cell line breaks become ``\\n`` in the text kept.
* Money is in £ million: ``£1,234.50``, ``£278``, or plain ``1234.5``;
  stored in pounds (times 1,000,000, 2 decimal places).
* Dates are ``dd.mm.yy`` (2018-2020), ISO ``yyyy-mm-dd`` (2021-2022) or
  ``dd.mm.yyyy``. Two-digit years follow ``strptime``'s ``%y`` (00-68 ->
  20xx, 69-99 -> 19xx).
* Cells may hold text published instead of a value ("Exempt under Section 43
  of the Freedom of Information Act 2000 …", "The project is not in a position
  to provide this information", "Data Not Provided", "TBD", "Early planning
  GMPP project …"): the value is None and the text is kept in
  ``GmppRecord.withheld[field]``. Any other non-value makes the row bad.
* 2022 has two columns named ``colour_rating``: the first is the IPA Delivery
  Confidence Assessment, the second the SRO's own rating. ``read_header``
  renames repeated names ``name_2``, ``name_3`` …, so the SRO column is
  ``colour_rating_2``. The IPA rating is used when it is a rating, else the
  SRO's (``GmppRecord.rating_source`` says which: ``"ipa"`` or ``"sro"``).
  Text that is not a rating goes to ``rating_note``.
* ``department`` may name several departments (``"DEFRA & DFT"``); codes are
  upper-cased (``DfT`` = ``DFT``). Project numbers are upper-cased too
  (``DfT_0022_1415-Q4`` in 2020 is ``DFT_0022_1415-Q4`` in 2021).

As-of dates. Each annual file is a snapshot at a quarter end, which the
commentary states: 2018 "as at 30 September 2017" / "At Q2 2017/18"; 2019
"Q2 18/19" / "30 September 2018"; 2020 "DCA rating at Q2 1920 (30th
September 2019)" (hundreds of times); 2021 "at Q4 2021 (31st March 2021)";
2022 "at Q4 2122 (31st March 2022)". So ``AS_OF_BY_YEAR`` below; a year not
listed (e.g. our demo files 2023/2024) is taken as at 31 March of that year,
the IPA's practice since 2021.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeAlias

from apm import tabular

#: A row as ``read_rows`` gives it: column name -> cell text, with csv.DictReader's conventions for a ragged
#: row (the extra cells a list under the key None, missing cells None).
GmppRow: TypeAlias = dict[str | None, str | list[str] | None]

ENCODING = "cp1252"
MILLION = Decimal("1000000")
CENT = Decimal("0.01")
#: StatusUpdate's money columns hold 18 digits, 2 after the point: under 10**16 pounds (£10,000,000,000 million).
MAX_POUNDS_DIGITS = 16

AS_OF_BY_YEAR: dict[int, dt.date] = {
    2018: dt.date(2017, 9, 30),
    2019: dt.date(2018, 9, 30),
    2020: dt.date(2019, 9, 30),
    2021: dt.date(2021, 3, 31),
    2022: dt.date(2022, 3, 31),
}

# Text published instead of a value. Matched on the whitespace-collapsed, lower-cased cell.
WITHHELD_PATTERNS = [
    re.compile(p)
    for p in (
        r"\bexempt",
        r"freedom of information",
        r"not (yet )?in a position to provide",
        r"\bnot provided\b",
        r"early planning",
        r"^(tbc|tbd|to be (confirmed|decided|determined))\.?$",
        r"^n/?a\.?$",
    )
]
_MONEY_RE = re.compile(r"^(?P<sign>-?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?P<suffix>[a-zA-Z]*)$")
_SYMBOL_RE = re.compile(r"^(-?)[£$€]")
THOUSAND = Decimal("1000")
BILLION = Decimal("1000000000")
#: The suffix a cell may carry for each unit (``12.5m`` in £ million).
_SUFFIXES: dict[Decimal, tuple[str, ...]] = {MILLION: ("m",), THOUSAND: ("k",), BILLION: ("bn", "b")}
_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$"), "%d.%m.%y"),
)
_DEPARTMENT_SPLIT_RE = re.compile(r"\s*(?:&|/|,|\band\b)\s*", re.IGNORECASE)
_YEAR_IN_NAME_RE = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


class GmppFormatError(ValueError):
    """The file cannot be imported at all (unreadable, no header, required columns missing)."""


class RowError(ValueError):
    """One row cannot be imported; the message says why."""


@dataclass(frozen=True)
class GmppHeader:
    """A file's delimiter and column names (repeats renamed ``name_2`` …), in file order."""

    delimiter: str
    columns: list[str]


@dataclass(frozen=True)
class GmppFile:
    """A GMPP file read: its path, encoding (as named to the user), header and ``(line, row)`` pairs."""

    path: str
    encoding: str
    header: GmppHeader
    rows: list[tuple[int, GmppRow]]


def as_of_for_year(year: int) -> dt.date:
    """The date a GMPP annual file's data stands at (see the module docstring), else 31 March of ``year``."""
    return AS_OF_BY_YEAR.get(year, dt.date(year, 3, 31))


def clean_text(text: str | None) -> str:
    """Cell text with line breaks as ``\\n`` (``\\r\\r\\n``, ``\\r\\n`` and ``\\r`` each one break), stripped."""
    if not text:
        return ""
    return re.sub(r"\r*\n|\r", "\n", text).replace("\xa0", " ").strip()


def withheld_text(text: str | None) -> str | None:
    """The cleaned text when ``text`` is a statement published instead of a value, else None.

    >>> withheld_text(" Exempt under Section 43 of the Freedom of Information Act 2000 ")
    'Exempt under Section 43 of the Freedom of Information Act 2000'
    >>> withheld_text("£12.5") is None
    True
    """
    cleaned = clean_text(text)
    key = " ".join(cleaned.split()).lower()
    if key and any(p.search(key) for p in WITHHELD_PATTERNS):
        return cleaned
    return None


def parse_money(text: str | None, *, unit: Decimal = MILLION, label: str = "£m") -> Decimal | None:
    """Pounds (Decimal, 2 places) from a cell in ``unit`` (£ million by default): ``"£1,234.50"`` ->
    ``Decimal("1234500000.00")``.

    Accepts ``£1,234.50``, ``£278``, ``1234.5``, ``-£3.2``, ``£-3.2``, ``(3.2)`` (negative), any one of
    ``£ $ €`` in front, and the unit's own suffix (``m`` for millions, ``k`` thousands, ``bn`` billions).
    Blank -> None. Raises ValueError naming ``label`` for anything else (including withheld text: check
    ``withheld_text`` first) and for amounts the database's money columns cannot hold (under 10**16).
    """
    raw = "".join((text or "").split())
    if not raw:
        return None
    compact = raw
    negative = compact.startswith("(") and compact.endswith(")")
    if negative:
        compact = compact[1:-1]
    compact = _SYMBOL_RE.sub(r"\1", compact, count=1)
    match = _MONEY_RE.match(compact)
    suffix = match["suffix"].lower() if match else ""
    if match is None or (suffix and suffix not in _SUFFIXES.get(unit, ())) or (negative and match["sign"]):
        raise ValueError(f"not an amount in {label}: {raw[:60]!r}")
    whole = match["int"].replace(",", "").lstrip("0")
    if len(whole) + _digits(unit) > MAX_POUNDS_DIGITS:
        most = MAX_POUNDS_DIGITS - _digits(unit)
        raise ValueError(f"too large an amount in {label} (at most {most} digits): {raw[:60]!r}")
    try:
        amount = Decimal(match["sign"] + match["int"].replace(",", "") + (match["frac"] or ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex only lets numbers through
        raise ValueError(f"not an amount in {label}: {raw[:60]!r}") from exc
    return ((-amount if negative else amount) * unit).quantize(CENT)


def _digits(unit: Decimal) -> int:
    """Digits a unit adds before the point: 1 -> 0, 1,000 -> 3, 1,000,000 -> 6."""
    return len(str(int(unit))) - 1


def parse_date(text: str | None) -> dt.date | None:
    """A date from ``dd.mm.yy``, ``dd.mm.yyyy`` or ``yyyy-mm-dd``; blank -> None.

    Raises ValueError for anything else, including impossible dates (``31.02.20``).
    """
    raw = (text or "").strip()
    if not raw:
        return None
    for pattern, fmt in _DATE_FORMATS:
        if pattern.match(raw):
            try:
                return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError as exc:
                raise ValueError(f"not a valid date: {raw[:60]!r}") from exc
    raise ValueError(f"not a date (dd.mm.yy, dd.mm.yyyy or yyyy-mm-dd): {raw[:60]!r}")


def parse_departments(text: str | None) -> list[str]:
    """Upper-case department codes in order, without repeats: ``"DEFRA & DfT"`` -> ``["DEFRA", "DFT"]``."""
    codes: list[str] = []
    for part in _DEPARTMENT_SPLIT_RE.split(" ".join((text or "").split())):
        code = part.strip().upper()
        if code and code not in codes:
            codes.append(code)
    return codes


def normalise_reference(text: str | None) -> str | None:
    """A project number, stripped and upper-cased (``DfT_0022_1415-Q4`` -> ``DFT_0022_1415-Q4``), or None."""
    ref = "".join((text or "").split()).upper()
    return ref or None


def normalise_name(text: str | None) -> str:
    """The key names are matched on: whitespace collapsed, case folded."""
    return " ".join((text or "").split()).casefold()


def year_from_filename(path: Path | str) -> int | None:
    """The last four-digit year (19xx/20xx) in the file name, e.g. ``uk_2021.csv`` -> 2021."""
    matches = list(_YEAR_IN_NAME_RE.finditer(Path(path).stem))
    return int(matches[-1].group(0)) if matches else None


def _header_from_cells(names: list[str], delimiter: str) -> GmppHeader:
    columns: list[str] = []
    seen: dict[str, int] = {}
    for raw in names:
        name = raw.strip()
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        columns.append(name if count == 1 else f"{name}_{count}")
    return GmppHeader(delimiter=delimiter, columns=columns)


def _header_from_line(line: str) -> GmppHeader:
    delimiter = tabular.sniff_delimiter(line)
    return _header_from_cells(next(csv.reader([line], delimiter=delimiter), []), delimiter)


def read_file(path: Path | str, *, encoding: str | None = None, fallback: str | None = ENCODING) -> GmppFile:
    """A GMPP file's header and data rows, read by ``apm.tabular`` (cp1252 with replacement as the fallback).

    ``encoding`` (the command's ``--encoding``) replaces the detection; a
    byte-order mark still wins. Raises GmppFormatError, naming the file, the
    line and the cause, when the file cannot be read (no header, bytes not in
    the encoding, a quoted cell never closed).
    """
    try:
        table = tabular.read_table(path, encoding=encoding, fallback=fallback)
    except tabular.TableError as exc:
        raise GmppFormatError(str(exc)) from exc
    header = _header_from_cells(table.header, table.delimiter)
    rows: list[tuple[int, GmppRow]] = []
    for source in table.rows:
        cells = source.cells
        row: GmppRow = dict(zip(header.columns, cells, strict=False))
        if len(cells) > len(header.columns):
            row[None] = cells[len(header.columns) :]
        for name in header.columns[len(cells) :]:
            row[name] = None
        rows.append((source.line, row))
    return GmppFile(path=table.path, encoding=table.encoding, header=header, rows=rows)


def read_header(path: Path | str) -> GmppHeader:
    """The delimiter and column names of a GMPP file. Raises GmppFormatError as ``read_file`` does."""
    return read_file(path).header


def read_rows(path: Path | str) -> Iterator[tuple[int, GmppRow]]:
    """Yield ``(line_no, row)`` for each data row; ``line_no`` is the physical line where the row starts.

    ``row`` maps column names (as ``read_header`` gives them) to cell text, with
    csv.DictReader's conventions for a ragged row: extra cells are a list under
    the key None, missing cells are None. Rows whose cells are all blank are
    skipped. Raises GmppFormatError as ``read_file`` does.
    """
    yield from read_file(path).rows
