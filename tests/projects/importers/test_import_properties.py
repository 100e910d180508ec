"""Properties of the mapping import (``portfolio_import``) over generated files: no exception, clean rows, no row lost.

* Any bytes, read with the agency mapping and with the GMPP preset: nothing
  escapes as an exception, and every Project and StatusUpdate written passes
  ``full_clean()``.
* The valid agency file in another encoding: the same, and when the encoding
  carries a byte-order mark (or is UTF-8) exactly the projects of the plain
  UTF-8 file.
* The valid agency file cut short, or with one byte deleted or inserted: the
  same, and every data row is accounted for: imported (``rows - skipped``) or
  listed as skipped, or the whole file refused with nothing of it written.

Each example starts from an empty database: its work runs in a transaction
that is rolled back at the end.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from projects.importers.mapping import GMPP, Mapping
from projects.importers.services import ImportSummary, portfolio_import
from projects.models import Client, Project, StatusUpdate
from teams.models import Department

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
AGENCY_CSV = DATA / "agency_it_portfolio.csv"
AGENCY = Mapping.from_json((DATA / "agency_it_portfolio.mapping.json").read_text(encoding="utf-8"))
VALID = AGENCY_CSV.read_bytes()
VALID_TEXT = VALID.decode("utf-8")
#: Data rows of the valid file (one of them spans two lines).
VALID_ROWS = 5

SETTINGS = settings(
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Encodings the agency file may come in; those with a byte-order mark (Python writes one for utf-16/utf-32).
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "utf-32")
WITH_BOM = ("utf-8-sig", "utf-16", "utf-32")
#: Names replacing "Trail Permit Portal": plain, in cp1252 and Latin-1, in cp1252 only ("—", "€"), in neither.
NAMES = (
    "Trail Permit Portal",
    "Café Trail Permit Portal",
    "Zürich Trail — Permit Portal €",
    "Ørsted Trail Permit Portal Ω",
)
#: The GMPP layout's header (the demo files' columns).
GMPP_HEADER = (
    b"year;project_number;project_name;department;report_category;description_aims;colour_rating;rating_comment;"
    b"start_date;end_date;schedule_comment;total_baseline;yearly_forecast;variance_comment;"
    b"wlc_baseline_incl_NCG;budget_comment"
)
#: What random bytes may begin with, so that the reader's other paths (BOMs, XLSX) and the rows are reached too;
#: "header" is the layout's own header line.
PREFIXES = {
    "nothing": b"",
    "header": None,
    "XLSX signature": b"PK\x03\x04",
    "UTF-8 BOM": codecs.BOM_UTF8,
    "UTF-16 LE BOM": codecs.BOM_UTF16_LE,
    "UTF-16 BE BOM": codecs.BOM_UTF16_BE,
    "UTF-32 LE BOM": codecs.BOM_UTF32_LE,
}


class _Rollback(Exception):
    """Raised at the end of an example's transaction to undo everything it wrote."""


@contextmanager
def _empty_database() -> Iterator[None]:
    """A transaction that starts from (and is rolled back to) a database without projects."""
    try:
        with transaction.atomic():
            assert not Project.objects.exists()
            assert not StatusUpdate.objects.exists()
            yield
            raise _Rollback
    except _Rollback:
        pass


def _assert_clean() -> None:
    """Every Project and StatusUpdate in the database passes the model's validation."""
    for project in Project.objects.all():
        project.full_clean()
    for update in StatusUpdate.objects.all():
        update.full_clean()


def _assert_accounted(
    summary: ImportSummary, path: Path, *, expected_rows: int | None = None, figures: bool = False
) -> None:
    """Every data row of ``path`` (the only file imported, into an empty database) is imported or listed as
    skipped, or the file is refused and nothing was written. ``expected_rows``: the data rows the file has,
    when known; ``figures``: the header is the agency file's, so each row imported writes its status update."""
    name = str(path)
    if any(refused.path == name for refused in summary.refused_files):
        assert name not in summary.files, summary
        assert (summary.rows, summary.skipped, summary.changed) == (0, [], False), summary
        assert not Project.objects.exists(), "a refused file wrote projects"
        assert not StatusUpdate.objects.exists(), "a refused file wrote status updates"
        assert not Department.objects.exists(), "a refused file wrote departments"
        assert not Client.objects.exists(), "a refused file wrote clients"
        return
    assert summary.files == [name], summary
    rows = summary.rows_per_file[name]
    assert summary.rows == rows
    if expected_rows is not None:
        assert rows == expected_rows, f"{expected_rows} data rows in the file, {rows} read:\n{summary}"
    lines = [row.line for row in summary.skipped]
    assert all(row.path == name for row in summary.skipped), summary
    assert len(set(lines)) == len(lines), f"a line skipped twice:\n{summary}"
    imported = rows - len(summary.skipped)
    assert imported >= 0, summary
    touched = summary.projects_created + summary.projects_updated + summary.projects_unchanged
    assert (touched > 0) == (imported > 0), summary
    assert touched <= imported, summary
    assert Project.objects.count() == summary.projects_created, summary
    assert StatusUpdate.objects.count() == summary.updates_created, summary
    # Each imported row with figures writes one status update (of its own project and date); a file whose header
    # lost every figures column writes none.
    updates = summary.updates_created + summary.updates_updated + summary.updates_unchanged
    assert updates in (0, imported), f"{imported} rows imported, {updates} status updates written:\n{summary}"
    if figures:
        assert updates == imported, summary


def _import(path: Path, mapping: Mapping) -> ImportSummary:
    return portfolio_import(paths=[path], mapping=mapping)


def _projects() -> list[tuple[str, str]]:
    return sorted(Project.objects.values_list("code", "name"))


def _csv_rows(data: bytes) -> int | None:
    """The data rows of an ASCII comma-separated file by the csv module, or None when that reading would not be
    plain (not ASCII, a carriage return, another delimiter, a quote never closed)."""
    if b"\r" in data or b"\x00" in data or not data.isascii():
        return None
    text = data.decode("ascii")
    first = text.split("\n", 1)[0]
    if first.count(",") < max(first.count(d) for d in (";", "\t", "|")):
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return sum(1 for cells in rows[1:] if any(cell.strip() for cell in cells))


# --- 1. Any bytes -------------------------------------------------------------------------------------------


@settings(SETTINGS, max_examples=200)
@given(prefix=st.sampled_from(sorted(PREFIXES)), data=st.binary(max_size=2000))
def test_any_bytes_import_without_an_exception_and_write_only_clean_rows(tmp_path_factory, prefix, data):
    folder = tmp_path_factory.mktemp("bytes")
    for mapping, name, header in ((AGENCY, "agency.csv", VALID.split(b"\n", 1)[0]), (GMPP, "uk_2021.csv", GMPP_HEADER)):
        path = folder / name
        start = header + b"\n" if PREFIXES[prefix] is None else PREFIXES[prefix]
        path.write_bytes(start + data)
        with _empty_database():
            summary = _import(path, mapping)
            _assert_clean()
            _assert_accounted(summary, path)
            read = f"{summary.rows} rows read, {len(summary.skipped)} skipped"
            event(f"{mapping.name}, {prefix}: {'refused' if summary.refused_files else read}")


# --- 2. Encodings -------------------------------------------------------------------------------------------


def _can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def encoded_files(draw) -> tuple[str, str]:
    """(the agency file's text with one project renamed, an encoding that can encode it)."""
    text = VALID_TEXT.replace("Trail Permit Portal", draw(st.sampled_from(NAMES)))
    encoding = draw(st.sampled_from([e for e in ENCODINGS if _can_encode(text, e)]))
    return text, encoding


@settings(SETTINGS, max_examples=60)
@given(case=encoded_files())
def test_the_agency_file_in_any_encoding_imports_the_same_projects(tmp_path_factory, case):
    text, encoding = case
    folder = tmp_path_factory.mktemp("encoding")
    plain = folder / "plain.csv"
    plain.write_bytes(text.encode("utf-8"))
    encoded = folder / "encoded.csv"
    encoded.write_bytes(text.encode(encoding))
    with _empty_database():
        summary = _import(plain, AGENCY)
        _assert_accounted(summary, plain, expected_rows=VALID_ROWS, figures=True)
        assert not summary.skipped, summary
        expected = _projects()
    with _empty_database():
        summary = _import(encoded, AGENCY)
        _assert_clean()
        _assert_accounted(summary, encoded)
        outcome = "refused" if summary.refused_files else "same" if _projects() == expected else "other projects"
        event(f"{encoding}: {outcome}")
        if encoding in WITH_BOM or encoding == "utf-8":
            assert not summary.refused, summary
            assert _projects() == expected, f"read as {summary.encodings}"


# --- 3. Damaged files ---------------------------------------------------------------------------------------


@st.composite
def damaged_files(draw) -> bytes:
    """The valid agency file cut at a byte, or with one byte deleted or inserted."""
    kind = draw(st.sampled_from(["cut", "delete", "insert"]))
    if kind == "cut":
        return VALID[: draw(st.integers(min_value=0, max_value=len(VALID)))]
    if kind == "delete":
        at = draw(st.integers(min_value=0, max_value=len(VALID) - 1))
        return VALID[:at] + VALID[at + 1 :]
    at = draw(st.integers(min_value=0, max_value=len(VALID)))
    byte = draw(
        st.one_of(st.sampled_from([b",", b'"', b"\n", b"\r", b"\x00", b";", b"/"]), st.binary(min_size=1, max_size=1))
    )
    return VALID[:at] + byte + VALID[at:]


@settings(SETTINGS, max_examples=250)
@given(data=damaged_files())
def test_a_damaged_agency_file_never_loses_a_row_silently(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("damaged") / "agency.csv"
    path.write_bytes(data)
    with _empty_database():
        summary = _import(path, AGENCY)
        _assert_clean()
        header_whole = data.split(b"\n", 1)[0] == VALID.split(b"\n", 1)[0] and b"\n" in data
        _assert_accounted(summary, path, expected_rows=_csv_rows(data), figures=header_whole)
        event("refused" if summary.refused_files else f"read, {len(summary.skipped)} of {summary.rows} rows skipped")
