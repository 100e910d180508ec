"""Spreadsheet exports that cannot run formulae (CSV injection).

Excel, LibreOffice Calc and Google Sheets evaluate a cell whose text starts
with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage
return can hide such a start (OWASP, "CSV Injection"). A name exported as
``=HYPERLINK("http://evil","x")`` would otherwise become a live link, or
worse, in the spreadsheet of whoever opens the export. :func:`safe_cell`
makes such text inert; :class:`SafeModelResource` applies it to every text
cell of an export (django-import-export), whatever the format. Its own
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not enough: it only removes a
leading ``=``.

:func:`table_response` is how a register's page exports its rows (the "Export
CSV" and "Export XLSX" links): the same rows and columns as the page, as a CSV
streamed a row at a time or an XLSX written row by row, every text cell through
:func:`safe_cell`.
"""

from __future__ import annotations

import csv
import datetime as dt
import numbers
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.widgets import NumberWidget
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

#: What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as the text of a cell that no spreadsheet runs as a formula.

    Text starting with one of :data:`FORMULA_STARTS` gets a leading ``'``
    (``"-2+3"`` -> ``"'-2+3"``); other text is unchanged. ``None`` is ``""``.
    A number (int, float, Decimal) is written as it is, negative too: ``-12.5``
    is a value, not a formula. Anything else is ``str(value)``, checked as text.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, numbers.Number):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeModelResource(resources.ModelResource):
    """A ``ModelResource`` whose exported text cells pass through :func:`safe_cell`.

    Every resource an admin exports with derives from it (tests/apm/test_exports.py
    checks them all). Numeric columns (``NumberWidget``) are left as numbers.
    """

    def export_field(self, field: Field, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, NumberWidget):
            return safe_cell(value)
        return value


#: The formats a register exports to.
FORMATS = ("csv", "xlsx")

#: The byte order mark that tells Excel a CSV file is UTF-8.
BOM = "\ufeff"

#: The media type of an XLSX workbook.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_paths(
    prefix: str, view: Callable[..., HttpResponseBase], *, name: str, stem: str = "export"
) -> list[URLPattern]:
    """The URLs ``<prefix><stem>.csv`` and ``<prefix><stem>.xlsx`` of a register's export, one name for both: the
    view gets ``fmt``; reverse it with ``fmt="csv"`` or ``fmt="xlsx"`` as a keyword (any other ending is a 404)."""
    return [path(f"{prefix}{stem}.{fmt}", view, {"fmt": fmt}, name=name) for fmt in FORMATS]


def export_format(fmt: str) -> str:
    """``fmt`` when it is one of :data:`FORMATS`, else a 404 (ask before reading any rows)."""
    if fmt not in FORMATS:
        raise Http404("No such export format.")
    return fmt


def export_filename(register: str, scope: str, fmt: str, *, today: dt.date | None = None) -> str:
    """``<register>-<scope>-<date>.<fmt>`` with only letters, digits, dots, dashes and underscores."""
    day = (today or timezone.localdate()).isoformat()
    stem = "-".join(part for part in (register, scope, day) if part)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem) + "." + fmt


class _Echo:
    """A file that hands back what is written to it, for ``csv.writer`` to make one line at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> str:
    """A cell of a CSV row: ISO dates, plain decimals, yes/no, every text through :func:`safe_cell`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat(timespec="minutes") if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def _xlsx_cell(value: Any) -> Any:
    """A cell of an XLSX row: numbers as numbers, dates as dates (local time, naive), text through :func:`safe_cell`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Number):
        return value
    if isinstance(value, dt.datetime):
        return timezone.make_naive(value) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    # Control characters other than tab and line breaks cannot be stored in a workbook (openpyxl refuses them).
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))


def _csv_lines(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(column) for column in columns])
    for row in rows:
        yield writer.writerow([_csv_cell(value) for value in row])


def table_response(
    *, rows: Iterable[Sequence[Any]], columns: Sequence[str], filename: str, fmt: str, sheet: str = "Export"
) -> StreamingHttpResponse:
    """A download of ``rows`` under the header ``columns``.

    ``csv``: UTF-8 with a byte order mark, streamed a row at a time (give it rows read with ``iterator()``).
    ``xlsx``: openpyxl's write-only workbook, written row by row to a temporary file that is then streamed.
    Any other format is a 404. ``filename`` is made safe for the ``Content-Disposition`` header.
    """
    export_format(fmt)
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename) or f"export.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows, columns), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
        return response
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=re.sub(r"[\\/*?:\[\]]", " ", sheet)[:31] or "Export")
    worksheet.append([safe_cell(column) for column in columns])
    for row in rows:
        worksheet.append([_xlsx_cell(value) for value in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it once sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=safe_name, content_type=XLSX_TYPE)
