"""The one reader of tabular text files (CSV and tab-separated) for every importer.

``read_table(path)`` gives a :class:`Table`: the encoding it was read in (by
name), the delimiter, the header cells and each data row with its file and
line. What it cannot read raises :class:`TableError`, whose message names the
file, the line and the cause.

Encoding, in this order:

1. A byte-order mark always wins (UTF-8, UTF-16 or UTF-32 with BOM), over a
   preset and over an encoding given.
2. ``encoding`` (a preset's or the user's ``--encoding``) is used strictly.
3. Bytes without NUL that are valid UTF-8 are UTF-8 (plain ASCII included).
   Bytes without NUL that are not, but hold a well-formed UTF-8 multibyte
   sequence, are UTF-8 with a stray byte: refused, naming the line and the
   byte, rather than read (garbled) in the fallback.
4. ``fallback`` (e.g. the GMPP presets' ``cp1252``) decodes with
   ``errors="replace"``: bytes the encoding lacks become U+FFFD.
5. Otherwise ``charset-normalizer`` names the encoding; when it cannot, the
   file is refused and the message asks for an encoding.

Lines are *physical* lines counted by ``\\n`` (as ``grep -n`` counts them),
the header being line 1; a row's line is the line where it starts, so quoted
cells spanning lines (``\\r``, ``\\r\\n`` or ``\\r\\r\\n`` inside) stay valid.
A quoted cell still open at the end of the file is refused, naming the line
where its quote opened.

An Excel workbook (``.xlsx``, told by its ZIP signature, not its name) is read
with openpyxl, first worksheet only: a row's line is its row number in Excel,
dates become ISO ``yyyy-mm-dd`` text and numbers plain text (``12.5``, ``3``),
so that the importers read one kind of cell. Its ``encoding`` is ``"XLSX"``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

#: Candidate delimiters, in order of preference when the header line has as many of two.
DELIMITERS = (",", ";", "\t", "|")

_LONE_CR = re.compile(r"\r(?!\n)")

# Longest first: UTF-32 LE's mark begins with UTF-16 LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 with BOM"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 with BOM"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 with BOM"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 with BOM"),
)


class TableError(ValueError):
    """The file cannot be read as a table; the message names the file, the line (when known) and the cause."""


@dataclass(frozen=True)
class Row:
    """One data row: the file it came from, the physical line where it starts, its cells as text."""

    path: str
    line: int
    cells: list[str]


@dataclass(frozen=True)
class Table:
    """A file read: ``encoding`` as named to the user (``"UTF-8 with BOM"``, ``"cp1252"``), ``delimiter``,
    the header cells as written, and the data rows (rows whose cells are all blank left out)."""

    path: str
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[Row]


def decode(data: bytes, *, path: str, encoding: str | None = None, fallback: str | None = None) -> tuple[str, str]:
    """``(text, encoding name)`` of a file's bytes, by the rules in the module docstring.

    Raises TableError naming the file, the line of the first byte that is
    not in the encoding, and the encoding; or, when no encoding can be told,
    asking for one.
    """
    for mark, codec, name in _BOMS:
        if data.startswith(mark):
            return _strict(data[len(mark) :], path=path, codec=codec.replace("-sig", ""), name=name, offset=mark), name
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise TableError(f"{path}: unknown encoding {encoding!r}") from exc
        return _strict(data, path=path, codec=encoding, name=encoding), encoding
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            _refuse_mostly_utf8(data, path=path, error=exc)
    if fallback:
        return data.decode(fallback, errors="replace"), fallback
    best = from_bytes(data).best()
    if best is None:
        raise TableError(f"{path}: cannot tell the file's encoding; give one (e.g. --encoding cp1252)")
    return str(best), best.encoding


def _refuse_mostly_utf8(data: bytes, *, path: str, error: UnicodeDecodeError) -> None:
    """Refuse UTF-8 bytes with a stray byte that is not (``\\x92`` pasted from Excel), rather than garble them.

    Bytes holding a well-formed UTF-8 multibyte sequence (as Python's strict
    decoder reads them: no overlong form, surrogate or code point past
    U+10FFFF) are UTF-8 with a stray byte: a cp1252 file almost never has one
    (it would read as mojibake such as ``Ã©``). Read as the fallback, every
    accented letter of the file would be garbled.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    if not any(ord(char) > 0x7F and not 0xDC80 <= ord(char) <= 0xDCFF for char in text):
        return
    line = data.count(b"\n", 0, error.start) + 1
    raise TableError(
        f"{path}, line {line}: byte 0x{data[error.start]:02x} is not UTF-8 ({error.reason}), though the file is "
        "otherwise UTF-8; fix the byte or give an encoding (--encoding)"
    ) from error


def _strict(data: bytes, *, path: str, codec: str, name: str, offset: bytes = b"") -> str:
    if codec == "utf-16" and offset:
        codec = "utf-16-le" if offset == codecs.BOM_UTF16_LE else "utf-16-be"
    elif codec == "utf-32" and offset:
        codec = "utf-32-le" if offset == codecs.BOM_UTF32_LE else "utf-32-be"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise TableError(f"{path}, line {line}: not {name} ({exc.reason} at byte {exc.start + len(offset)})") from exc


def physical_lines(text: str) -> Iterator[str]:
    """Lines ending at each ``\\n`` (a lone ``\\r`` stays inside its line), for ``csv.reader``."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def sniff_delimiter(line: str) -> str:
    """The candidate delimiter the header line has most of (ties: the first in ``DELIMITERS``)."""
    return max(DELIMITERS, key=lambda d: (line.count(d), -DELIMITERS.index(d)))


def _quoted_cells(text: str, *, delimiter: str) -> list[tuple[int, int | None]]:
    """The ``(opening quote, closing quote)`` offsets of each quoted cell in ``text`` (one record); the closing
    one None when the cell is still open at the end.

    Follows ``csv``'s reading: a quote opens a quoted cell only at the start
    of a cell; inside one, a doubled quote is a quote.
    """
    cells: list[tuple[int, int | None]] = []
    opened: int | None = None
    at_start = True
    i = 0
    while i < len(text):
        char = text[i]
        if opened is not None:
            if char == '"':
                if text.startswith('""', i):
                    i += 1
                else:
                    cells.append((opened, i))
                    opened = None
        elif char == '"' and at_start:
            opened = i
        at_start = opened is None and char in (delimiter, "\n", "\r")
        i += 1
    if opened is not None:
        cells.append((opened, None))
    return cells


def _check_quotes(text: str, *, path: str, start: int, delimiter: str, columns: int, at_end: bool) -> None:
    """Refuse the record ``text`` (starting at line ``start``) when a quoted cell in it is still open at the end
    of the file, or spans lines of which one looks like a whole row (``columns - 1`` delimiters or more): a
    stray quote that a later quote closed, swallowing the rows between."""
    for opened, closed in _quoted_cells(text, delimiter=delimiter):
        line = start + text.count("\n", 0, opened)
        if closed is None and at_end:
            raise TableError(f"{path}, line {line}: unterminated quote (the quoted cell opened here never closes)")
        inside = text[opened + 1 : len(text) if closed is None else closed].split("\n")[1:]
        rows = [
            line + n for n, part in enumerate(inside, start=1) if columns > 1 and part.count(delimiter) >= columns - 1
        ]
        if rows:
            span = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}..{rows[-1]}"
            raise TableError(
                f"{path}, line {line}: unterminated quote? the quoted cell opened here runs over what look like {span}"
            )


def parse(text: str, *, path: str, encoding: str, delimiter: str | None = None, quoting: bool = True) -> Table:
    """The table in ``text`` (already decoded). ``delimiter`` None: sniffed from the header line.

    ``quoting=False`` for files whose quotes are text (O*NET's); a lone ``\r`` is then a line end. Raises
    TableError for a file without a header line, text after a closing quote, or a quoted cell still open at
    the end of the file or running over lines that look like rows (naming the line where its quote opened).
    """
    if not quoting:
        # Without quoted cells a lone carriage return can only be an old Mac line end.
        text = _LONE_CR.sub("\n", text)
    lines = list(physical_lines(text))
    if not lines or not lines[0].strip():
        raise TableError(f"{path}: the file is empty or has no header line")
    delimiter = delimiter or sniff_delimiter(lines[0])
    reader = csv.reader(
        lines, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE, strict=quoting
    )
    rows: list[Row] = []
    header: list[str] = []
    columns = lines[0].count(delimiter) + 1

    def check(start: int) -> None:
        if quoting and (reader.line_num > start or reader.line_num == len(lines)):
            record = "".join(lines[start - 1 : reader.line_num])
            at_end = reader.line_num == len(lines)
            _check_quotes(record, path=path, start=start, delimiter=delimiter, columns=columns, at_end=at_end)

    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            check(start)
            raise TableError(
                f"{path}, line {reader.line_num}: cannot parse the file read as {encoding} ({exc})"
            ) from exc
        check(start)
        if start == 1:
            header = cells
            columns = len(header)
        elif any(cell.strip() for cell in cells):
            rows.append(Row(path, start, cells))
    return Table(path=path, encoding=encoding, delimiter=delimiter, header=header, rows=rows)


def read_table(
    path: Path | str,
    *,
    encoding: str | None = None,
    fallback: str | None = None,
    delimiter: str | None = None,
    quoting: bool = True,
) -> Table:
    """Read a CSV or tab-separated file (see the module docstring). Raises TableError, also for an unreadable file."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TableError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if data.startswith(b"PK\x03\x04"):
        return read_workbook(data, path=name)
    text, encoding_name = decode(data, path=name, encoding=encoding, fallback=fallback)
    return parse(text, path=name, encoding=encoding_name, delimiter=delimiter, quoting=quoting)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_workbook(data: bytes, *, path: str) -> Table:
    """The first worksheet of an Excel workbook as a Table (see the module docstring). Raises TableError."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only workbooks need it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise TableError(f"{path}: not a readable Excel workbook (.xlsx): {exc}") from exc
    try:
        if not book.worksheets:
            raise TableError(f"{path}: the workbook has no worksheet")
        header: list[str] = []
        rows: list[Row] = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            while cells and not cells[-1].strip() and (not header or len(cells) > len(header)):
                cells.pop()
            if number == 1:
                header = cells
            elif any(cell.strip() for cell in cells):
                rows.append(Row(path, number, cells + [""] * (len(header) - len(cells))))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise TableError(f"{path}: not a readable Excel workbook (.xlsx): {exc}") from exc
    finally:
        book.close()
    if not header or not any(cell.strip() for cell in header):
        raise TableError(f"{path}: the workbook's first sheet is empty or has no header row")
    return Table(path=path, encoding="XLSX", delimiter="", header=header, rows=rows)
