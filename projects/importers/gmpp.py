"""Read the UK Government Major Projects Portfolio (GMPP) annual data files.

Pure functions, no database: ``read_header`` and ``read_rows`` turn a file into
``(line_no, {column: text})`` pairs, ``parse_record`` turns one such row into
a :class:`GmppRecord` in APM's terms (pounds, dates, canonical ratings), and
raises :class:`RowError` with the reason when the row cannot be used. The
writing is ``projects.importers.services.portfolio_import_gmpp``.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeAlias, TypeVar

from apm import tabular
from projects.rag import RAG, canonical_rating, rating_to_rag

T = TypeVar("T")

#: A row as ``read_rows`` gives it: column name -> cell text, with csv.DictReader's conventions for a ragged
#: row (the extra cells a list under the key None, missing cells None).
GmppRow: TypeAlias = dict[str | None, str | list[str] | None]

ENCODING = "cp1252"
MILLION = Decimal("1000000")
CENT = Decimal("0.01")
#: StatusUpdate's money columns hold 18 digits, 2 after the point: under £10,000,000,000 million.
MAX_MILLIONS_DIGITS = 10

AS_OF_BY_YEAR: dict[int, dt.date] = {
    2018: dt.date(2017, 9, 30),
    2019: dt.date(2018, 9, 30),
    2020: dt.date(2019, 9, 30),
    2021: dt.date(2021, 3, 31),
    2022: dt.date(2022, 3, 31),
}

# Source column (lower case, after read_header's renaming of repeats) -> what it becomes.
COLUMN_MAP: dict[str, str] = {
    "year": "year",
    "project_number": "reference",
    "project_name": "name",
    "department": "department",
    "report_category": "category",
    "description_aims": "description",
    "colour_rating": "rating_ipa",
    "colour_rating_2": "rating_sro",
    "rating_comment": "commentary_overall",
    "start_date": "start_date",
    "end_date": "end_date",
    "schedule_comment": "commentary_schedule",
    "yearly_budget": "budget_period",
    "total_baseline": "budget_period",
    "yearly_forecast": "forecast_period",
    "forecast_incl_ngc": "forecast_period",
    "wlc_baseline_incl_ncg": "whole_life_cost",
    "variance_comment": "variance_comment",
    "budget_comment": "budget_comment",
}
REQUIRED_COLUMNS = ("project_name", "department")

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
_MONEY_RE = re.compile(r"^(?P<sign>-?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?m?$")
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

    def mapped(self) -> dict[str, str]:
        """Column name -> target, for the columns the importer knows (first one wins per target)."""
        result: dict[str, str] = {}
        taken: set[str] = set()
        for name in self.columns:
            target = COLUMN_MAP.get(name.lower())
            if target is not None and target not in taken:
                result[name] = target
                taken.add(target)
        return result

    def ignored(self) -> list[str]:
        """Columns the importer does not know (or a second column for a target already mapped)."""
        mapped = self.mapped()
        return [name for name in self.columns if name not in mapped]

    def missing_required(self) -> list[str]:
        lower = {name.lower() for name in self.columns}
        return [name for name in REQUIRED_COLUMNS if name not in lower]


@dataclass(frozen=True)
class GmppFile:
    """A GMPP file read: its path, encoding (as named to the user), header and ``(line, row)`` pairs."""

    path: str
    encoding: str
    header: GmppHeader
    rows: list[tuple[int, GmppRow]]


@dataclass
class GmppRecord:
    """One GMPP row in APM's terms. Money in pounds (GBP), None when blank or withheld.

    ``withheld`` maps a field name (``start_date``, ``end_date``,
    ``budget_period``, ``forecast_period``, ``whole_life_cost``) to the text
    published instead of its value.
    """

    year: int
    reference: str | None
    name: str
    departments: list[str]
    category: str = ""
    description: str = ""
    rating_published: str = ""
    rag: str = ""
    rating_source: str = ""
    rating_note: str = ""
    commentary_overall: str = ""
    commentary_schedule: str = ""
    commentary_budget: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget_period: Decimal | None = None
    forecast_period: Decimal | None = None
    whole_life_cost: Decimal | None = None
    withheld: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date:
        return as_of_for_year(self.year)


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


def parse_money(text: str | None) -> Decimal | None:
    """Pounds (Decimal, 2 places) from a £ million cell: ``"£1,234.50"`` -> ``Decimal("1234500000.00")``.

    Accepts ``£1,234.50``, ``£278``, ``1234.5``, ``-£3.2``, ``£-3.2`` and a
    trailing ``m``. Blank -> None. Raises ValueError for anything else
    (including withheld text: check ``withheld_text`` first) and for £10bn
    million or more (more than the database's money columns hold).
    """
    raw = "".join((text or "").split())
    if not raw:
        return None
    compact = raw.replace("£", "", 1)
    if compact.startswith("-£"):
        compact = "-" + compact[2:]
    match = _MONEY_RE.match(compact)
    if match is None:
        raise ValueError(f"not an amount in £m: {raw[:60]!r}")
    whole = match["int"].replace(",", "").lstrip("0")
    if len(whole) > MAX_MILLIONS_DIGITS:
        raise ValueError(f"too large an amount in £m (at most {MAX_MILLIONS_DIGITS} digits): {raw[:60]!r}")
    try:
        millions = Decimal(match["sign"] + match["int"].replace(",", "") + (match["frac"] or ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex only lets numbers through
        raise ValueError(f"not an amount in £m: {raw[:60]!r}") from exc
    return (millions * MILLION).quantize(CENT)


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


def read_file(path: Path | str, *, encoding: str | None = None) -> GmppFile:
    """A GMPP file's header and data rows, read by ``apm.tabular`` (cp1252 with replacement as the fallback).

    ``encoding`` (the command's ``--encoding``) replaces the detection; a
    byte-order mark still wins. Raises GmppFormatError, naming the file, the
    line and the cause, when the file cannot be read (no header, bytes not in
    the encoding, a quoted cell never closed).
    """
    try:
        table = tabular.read_table(path, encoding=encoding, fallback=ENCODING)
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


def _cell(row: GmppRow, mapping: dict[str, str], target: str) -> str:
    for name, mapped in mapping.items():
        if mapped == target:
            value = row.get(name)
            return value if isinstance(value, str) else ""
    return ""


def _value_or_withheld(raw: str, field_name: str, parse: Callable[[str], T], withheld: dict[str, str]) -> T | None:
    note = withheld_text(raw)
    if note is not None:
        withheld[field_name] = note
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise RowError(f"{field_name}: {exc}") from exc


def _rating(ipa_text: str, sro_text: str) -> tuple[str, RAG | None, str, str]:
    """(rating as published, RAG, source "ipa"/"sro"/"", note) from the IPA and SRO rating cells."""
    ipa, sro = clean_text(ipa_text), clean_text(sro_text)
    if canonical_rating(ipa):
        return canonical_rating(ipa) or "", rating_to_rag(ipa), "ipa", ""
    if canonical_rating(sro):
        return canonical_rating(sro) or "", rating_to_rag(sro), "sro", ipa
    notes: list[str] = []
    for text in (ipa, sro):
        if text and text not in notes:
            notes.append(text)
    return "", None, "", "\n\n".join(notes)


def parse_record(row: GmppRow, *, header: GmppHeader, default_year: int | None = None) -> GmppRecord:
    """One row of a GMPP file as a GmppRecord. Raises RowError saying why when the row is bad.

    Bad: a ragged row (cell count differs from the header), a NUL character, no project name,
    no department, no usable year (the ``year`` cell, else ``default_year``,
    usually from the file name), a date or amount that is neither a value nor
    withheld text. Rating cells never make a row bad: text that is not a
    rating becomes ``rating_note``.
    """
    width = len(header.columns)
    if None in row:
        extra = len(row[None] or ())
        raise RowError(f"the row has {width + extra} cells; the header has {width}")
    missing = [name for name, value in row.items() if value is None]
    if missing:
        raise RowError(f"the row has {width - len(missing)} cells; the header has {width}")
    if any("\x00" in value for value in row.values() if isinstance(value, str)):
        raise RowError("the row contains NUL characters (not text)")
    mapping = header.mapped()

    def cell(target: str) -> str:
        return _cell(row, mapping, target)

    name = " ".join(cell("name").split())
    if not name:
        raise RowError("no project name")
    departments = parse_departments(cell("department"))
    if not departments:
        raise RowError("no department")
    year_text = cell("year").strip()
    if year_text:
        if not re.fullmatch(r"(19|20)\d{2}", year_text):
            raise RowError(f"year: not a year: {year_text[:20]!r}")
        year = int(year_text)
    elif default_year is not None:
        year = default_year
    else:
        raise RowError("no year: the row has no year and the file name has none")

    withheld: dict[str, str] = {}
    start_date = _value_or_withheld(cell("start_date"), "start_date", parse_date, withheld)
    end_date = _value_or_withheld(cell("end_date"), "end_date", parse_date, withheld)
    budget = _value_or_withheld(cell("budget_period"), "budget_period", parse_money, withheld)
    forecast = _value_or_withheld(cell("forecast_period"), "forecast_period", parse_money, withheld)
    wlc = _value_or_withheld(cell("whole_life_cost"), "whole_life_cost", parse_money, withheld)
    rating, rag, source, note = _rating(cell("rating_ipa"), cell("rating_sro"))
    budget_notes = [clean_text(cell("variance_comment")), clean_text(cell("budget_comment"))]

    return GmppRecord(
        year=year,
        reference=normalise_reference(cell("reference")),
        name=name,
        departments=departments,
        category=" ".join(cell("category").split()),
        description=clean_text(cell("description")),
        rating_published=rating,
        rag=rag.value if rag else "",
        rating_source=source,
        rating_note=note,
        commentary_overall=clean_text(cell("commentary_overall")),
        commentary_schedule=clean_text(cell("commentary_schedule")),
        commentary_budget="\n\n".join(text for text in budget_notes if text),
        start_date=start_date,
        end_date=end_date,
        budget_period=budget,
        forecast_period=forecast,
        whole_life_cost=wlc,
        withheld=withheld,
    )
