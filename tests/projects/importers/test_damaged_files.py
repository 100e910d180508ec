"""Damaged GMPP files through ``manage.py import_portfolio``: every refusal names the file, the line and the cause.

The rule under test (README, "Importing the GMPP files"): row by row within a
file; a file the reader cannot read (encoding, unterminated quote, missing
columns) imports nothing, and the other files go on; a summary per file; the
command fails (CommandError, exit status 1) whenever a row or file was refused.
``--strict`` writes nothing at all after a refusal; ``--dry-run`` writes nothing and prints the same summary.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from projects.models import Project, StatusUpdate

pytestmark = pytest.mark.django_db

HEADER = "year;project_number;project_name;department;colour_rating;total_baseline;wlc_baseline_incl_NCG"


def _row(number: int, name: str, *, wlc: str = "£1,234.5", department: str = "DPW") -> str:
    return f"2023;X_{number:04d};{name};{department};Amber;£41.20;{wlc}"


def _write(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def _run(*args: str) -> tuple[str, str | None]:
    """(standard output, the CommandError's message or None) of one import."""
    out = io.StringIO()
    try:
        call_command("import_portfolio", "--format", "gmpp", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def _codes() -> list[str]:
    return sorted(Project.objects.values_list("code", flat=True))


def test_it_reads_utf8_with_a_byte_order_mark_as_utf8(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, "Société Générale Rail", wlc="£2,000")], "utf-8-sig")
    out, error = _run(str(path))
    assert error is None, out
    project = Project.objects.get(code="X_0001")
    assert project.name == "Société Générale Rail"
    assert project.status_updates.get().whole_life_cost == Decimal("2000000000.00")
    assert f"{path}: UTF-8 with BOM" in out


def test_it_reads_utf16_with_a_byte_order_mark(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, "Zürich Tram"), _row(2, "Ørsted Wind")], "utf-16")
    out, error = _run(str(path))
    assert error is None, out
    assert sorted(Project.objects.values_list("name", flat=True)) == ["Zürich Tram", "Ørsted Wind"]
    assert f"{path}: UTF-16 with BOM" in out


def test_it_names_the_encoding_and_line_of_a_truncated_utf16_file(tmp_path):
    good = _write(tmp_path / "uk_2022.csv", [HEADER, _row(1, "Good")], "cp1252")
    damaged = tmp_path / "uk_2023.csv"
    damaged.write_bytes("\r\n".join([HEADER, _row(2, "One"), _row(3, "Two")]).encode("utf-16")[:-1])
    out, error = _run(str(good), str(damaged))
    assert error is not None
    assert f"{damaged}, line 3: not UTF-16 with BOM" in out
    assert _codes() == ["X_0001"]


def test_it_refuses_bytes_that_are_not_the_encoding_given(tmp_path):
    plain = "2023;X_0001;Plain;DPW;Amber;41.20;1234.5"
    path = _write(tmp_path / "uk_2023.csv", [HEADER, plain, _row(2, "Café Line")], "cp1252")
    out, error = _run("--encoding", "utf-8", str(path))
    assert error is not None
    assert f"{path}, line 3: not utf-8 (invalid" in out
    assert _codes() == []


def test_a_byte_order_mark_wins_over_the_encoding_given(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, "Société")], "utf-8-sig")
    out, error = _run("--encoding", "cp1252", str(path))
    assert error is None, out
    assert Project.objects.get().name == "Société"


def test_it_refuses_an_unterminated_quote_naming_the_line_and_goes_on_with_other_files(tmp_path):
    damaged = _write(
        tmp_path / "uk_2023.csv",
        [HEADER, _row(1, "Before"), _row(2, '"Stray quote'), _row(3, "After"), _row(4, "Last")],
        "cp1252",
    )
    good = _write(tmp_path / "uk_2024.csv", [HEADER, _row(5, "Other file").replace("2023", "2024")], "cp1252")
    out, error = _run(str(damaged), str(good))
    assert error is not None
    assert f"{damaged}, line 3: unterminated quote (the quoted cell opened here never closes)" in out
    assert _codes() == ["X_0005"]


def test_it_keeps_multi_line_quoted_cells(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, '"Two\r\nlines"'), _row(2, "Next")], "cp1252")
    out, error = _run(str(path))
    assert error is None, out
    assert _codes() == ["X_0001", "X_0002"]


def test_it_refuses_a_short_row_and_imports_the_other_rows(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, "Good"), "2023;X_0002;Short", _row(3, "Fine")], "cp1252")
    out, error = _run(str(path))
    assert error is not None
    assert "1 row refused" in error
    assert f"{path}, line 3: the row has 3 cells; the header has 7" in out
    assert _codes() == ["X_0001", "X_0003"]


def test_one_file_missing_columns_does_not_stop_the_others(tmp_path):
    bad = _write(tmp_path / "uk_2023.csv", ["name;dept", "Thing;HO"], "cp1252")
    good = _write(tmp_path / "uk_2024.csv", [HEADER, _row(1, "Good").replace("2023", "2024")], "cp1252")
    out, error = _run(str(bad), str(good))
    assert error is not None
    assert "1 file refused" in error
    assert f"{bad}: refused, nothing imported: required column(s) missing: project_name, department" in out
    assert _codes() == ["X_0001"]


def test_strict_writes_nothing_after_a_refusal(tmp_path):
    good = _write(tmp_path / "uk_2022.csv", [HEADER, _row(1, "Good").replace("2023", "2022")], "cp1252")
    bad = _write(tmp_path / "uk_2023.csv", [HEADER, _row(2, "Fine"), "2023;X_0003;Short"], "cp1252")
    out, error = _run("--strict", str(good), str(bad))
    assert error is not None
    assert f"{bad}, line 3: the row has 3 cells" in out
    assert _codes() == []


def test_dry_run_writes_nothing_and_prints_the_same_summary(tmp_path):
    path = _write(tmp_path / "uk_2023.csv", [HEADER, _row(1, "Good"), "2023;X_0002;Short"], "cp1252")
    dry, dry_error = _run("--dry-run", str(path))
    assert _codes() == []
    real, real_error = _run(str(path))
    assert _codes() == ["X_0001"]
    assert dry_error == real_error is not None
    assert dry.replace("Dry run: nothing was written.\n", "") == real
    assert StatusUpdate.objects.get().as_of == dt.date(2023, 3, 31)
