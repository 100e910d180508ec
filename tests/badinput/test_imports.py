"""Bad input into every import: generated files and rows never escape as an exception, never half-import.

* GMPP CSV (``manage.py import_portfolio``): the importer promises all or
  nothing *per row* (a bad row is listed as skipped, the others go in), a
  refused *file* writes nothing, and the command fails (CommandError) exactly
  when something was refused. Each generated row carries a marker in its
  project name, so the test can tell row by row: a skipped row left no
  project, an imported row left a whole one.
* O*NET skill catalogue (``manage.py import_skills``): all or nothing per run.
* People, skills and levels in the admin (django-import-export, CSV and
  XLSX): the preview writes nothing; the confirm writes whole rows or nothing.
* Uploads (apm/uploads.py): any bytes and name give a CheckedUpload or an
  UploadRefused, nothing else.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apm import uploads
from projects.models import Project
from tests.badinput import strategies as hs
from tests.badinput.conftest import changed_rows, row_prints
from tests.badinput.test_forms import assert_whole

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- GMPP ------------------------------------------------------------------------------------

GMPP_HEADER = [
    "year",
    "project_number",
    "project_name",
    "department",
    "report_category",
    "description_aims",
    "colour_rating",
    "rating_comment",
    "start_date",
    "end_date",
    "schedule_comment",
    "total_baseline",
    "yearly_forecast",
    "variance_comment",
    "wlc_baseline_incl_NCG",
    "budget_comment",
]
GMPP_GOOD = {
    "year": "2023",
    "project_number": "",
    "project_name": "",
    "department": "DPW",
    "report_category": "Infrastructure",
    "description_aims": "Rebuild the wall.",
    "colour_rating": "Amber",
    "rating_comment": "Going well.",
    "start_date": "2021-06-01",
    "end_date": "2027-03-31",
    "schedule_comment": "",
    "total_baseline": "£41.20",
    "yearly_forecast": "44.9",
    "variance_comment": "",
    "wlc_baseline_incl_NCG": "£1,234.5",
    "budget_comment": "",
}
GMPP_JUNK = {
    "year": st.one_of(st.sampled_from(["", "1899", "2023", "2099", "20x3", "99999999999"]), hs.texts(10)),
    "project_number": hs.texts(80),
    "department": st.one_of(st.sampled_from(["", "DFT & DEFRA", "a/b/c", "X" * 300]), hs.texts(40)),
    "colour_rating": st.one_of(st.sampled_from(["Red", "Amber/Green", "Exempt", "TBC", ""]), hs.texts(30)),
    "start_date": st.one_of(st.sampled_from(["31.02.20", "01.01.69", "9999-12-31", "0000-00-00"]), hs.dates()),
    "end_date": hs.dates(),
    "total_baseline": st.one_of(st.sampled_from(["£9" * 40, "-£3.2", "1e309", "£1,23"]), hs.numbers()),
    "yearly_forecast": hs.numbers(),
    "wlc_baseline_incl_NCG": st.one_of(st.just("9" * 40), hs.numbers()),
    "report_category": hs.texts(400),
    "description_aims": hs.texts(),
    "rating_comment": hs.texts(),
}


_EXAMPLES = itertools.count()


@st.composite
def gmpp_rows(draw) -> list[dict[str, str]]:
    """Rows each with a marker ``ROW<i>#`` in the project name and some cells replaced by junk."""
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        row = dict(GMPP_GOOD)
        for column in draw(st.lists(st.sampled_from(sorted(GMPP_JUNK)), max_size=3, unique=True)):
            row[column] = draw(GMPP_JUNK[column])
        # No "\r" or "\n" in the name: a marker split by a line break would not be found again.
        tail = draw(hs.texts(60)).replace("\r", " ").replace("\n", " ")
        row["project_name"] = f"ROW{i}# {tail}"
        rows.append(row)
    return rows


def _gmpp_file(path: Path, rows: list[dict[str, str]], *, delimiter: str) -> list[int]:
    """Write ``rows`` as a GMPP file (UTF-8 bytes, read back as cp1252); return each row's first line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(GMPP_HEADER)
    lines = []
    for row in rows:
        lines.append(buffer.getvalue().count("\n") + 1)
        writer.writerow([row[name] for name in GMPP_HEADER])
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    return lines


@SETTINGS
@given(rows=gmpp_rows(), delimiter=st.sampled_from([";", ","]))
def test_it_imports_each_gmpp_row_whole_or_not_at_all(tmp_path_factory, rows, delimiter):
    # Examples share one database: a marker unique to the example keeps an earlier example's projects apart.
    example = f"E{next(_EXAMPLES)}-"
    rows = [{**row, "project_name": example + row["project_name"]} for row in rows]
    path = tmp_path_factory.mktemp("gmpp") / "portfolio_2023.csv"
    lines = _gmpp_file(path, rows, delimiter=delimiter)
    before = row_prints()
    out = io.StringIO()
    try:
        call_command("import_portfolio", "--format", "gmpp", str(path), stdout=out)
    except CommandError:
        failed = True
    else:
        failed = False
    report = out.getvalue()
    if f"{path}: refused, nothing imported" in report:
        assert failed, report
        assert changed_rows(before, row_prints()) == {}, "a refused file wrote rows"
        return
    any_skipped = False
    for i, line in enumerate(lines):
        imported = Project.objects.filter(name__startswith=f"{example}ROW{i}#").first()
        skipped = f", line {line}:" in report
        any_skipped = any_skipped or skipped
        if imported is None:
            assert skipped, f"row {i} (line {line}) neither imported nor listed as skipped:\n{report}"
        else:
            assert not skipped, f"row {i} (line {line}) was listed as skipped but imported:\n{report}"
            assert imported.status_updates.exists(), f"row {i}: a project without its status update"
    assert failed == any_skipped, f"the command's failure does not match the rows refused:\n{report}"
    assert_whole(changed_rows(before, row_prints()))


@SETTINGS
@given(data=st.binary(max_size=2000), name=st.sampled_from(["uk_2021.csv", "nodate.csv", "x.txt"]))
def test_it_refuses_any_bytes_as_a_gmpp_file_or_imports_them_cleanly(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("gmpp") / name
    path.write_bytes(data)
    before = row_prints()
    out = io.StringIO()
    try:
        call_command("import_portfolio", "--format", "gmpp", str(path), stdout=out)
    except CommandError:
        if f"{path}: refused, nothing imported" in out.getvalue():
            assert changed_rows(before, row_prints()) == {}
            return
    assert_whole(changed_rows(before, row_prints()))


# --- O*NET -------------------------------------------------------------------------------------

ONET_FILES = {
    "Content Model Reference.txt": ("Element ID", "Element Name", "Description"),
    "Technology Skills.txt": ("O*NET-SOC Code", "Example", "Commodity Code", "Commodity Title", "Hot Technology"),
    "Occupation Data.txt": ("O*NET-SOC Code", "Title", "Description"),
}
ONET_CELLS = {
    "Element ID": st.one_of(st.sampled_from(["2.A.1", "2.A.1.a", "2.B.3.x", "2.A", "2.C.1.a"]), hs.texts(10)),
    "O*NET-SOC Code": st.one_of(st.sampled_from(["15-1252.00", "11-1011.00", "x" * 200]), hs.texts(20)),
    "Hot Technology": st.sampled_from(["Y", "N", "", "yes"]),
}


@st.composite
def onet_tables(draw) -> dict[str, str]:
    """The three O*NET files as text: header (sometimes a column short) and up to four junk rows each."""
    files = {}
    for name, columns in ONET_FILES.items():
        header = list(columns)
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            header.pop(draw(st.integers(min_value=0, max_value=len(header) - 1)))
        lines = ["\t".join(header)]
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            lines.append("\t".join(draw(ONET_CELLS.get(column, hs.texts(80))) for column in header))
        files[name] = "\r\n".join(lines)
    return files


@SETTINGS
@given(files=onet_tables())
def test_it_imports_the_onet_catalogue_all_or_nothing(tmp_path_factory, files):
    directory = tmp_path_factory.mktemp("onet")
    for name, text in files.items():
        (directory / name).write_bytes(text.encode("utf-8", "surrogatepass"))
    before = row_prints()
    try:
        call_command("import_skills", "--format", "onet", str(directory), stdout=io.StringIO())
    except CommandError:
        assert changed_rows(before, row_prints()) == {}, "a refused catalogue wrote rows"
        return
    assert_whole(changed_rows(before, row_prints()))


# --- People, skills and levels in the admin (django-import-export) ------------------------------

ADMIN_IMPORTS = {
    "teams_teammember": [
        "email",
        "name",
        "department",
        "job_title",
        "role_code",
        "weekly_capacity_hours",
        "working_days",
    ],
    "teams_skill": ["name", "category", "description"],
    "teams_memberskill": ["email", "skill", "level", "last_assessed"],
}
ADMIN_CELLS = {
    "email": st.one_of(st.sampled_from(["mo@example.com", "new@example.com", "", "not-an-email"]), hs.texts(40)),
    "department": st.one_of(st.sampled_from(["ALPHA", "BETA", "NOPE", ""]), hs.texts(10)),
    "weekly_capacity_hours": hs.numbers(),
    "working_days": st.one_of(st.sampled_from(["1,2,3,4,5", "[1,2]", "", "8", "mon"]), hs.texts(10)),
    "level": hs.numbers(),
    "last_assessed": hs.dates(),
    "category": st.one_of(st.sampled_from(["", "Basic Skills", "NOPE"]), hs.texts(20)),
}


_XML_ILLEGAL = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        # openpyxl refuses what XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF, lone surrogates):
        # such a workbook cannot exist, so they are dropped.
        sheet.append([_XML_ILLEGAL.sub("", cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _format_index(form, suffix: str) -> str:
    for value, label in form.fields["format"].choices:
        if str(label).lower() == suffix:
            return str(value)
    raise AssertionError(f"no {suffix} import format in {form.fields['format'].choices}")


@pytest.mark.parametrize("model", sorted(ADMIN_IMPORTS))
@settings(SETTINGS, max_examples=15)
@given(data=st.data())
def test_it_previews_admin_imports_without_writing_and_confirms_whole_rows(client, world, admin_user, model, data):
    columns = ADMIN_IMPORTS[model]
    rows = data.draw(
        st.lists(st.tuples(*[ADMIN_CELLS.get(c, hs.texts(60)) for c in columns]).map(list), max_size=4), label="rows"
    )
    kind = data.draw(st.sampled_from(["csv", "xlsx", "junk"]), label="kind")
    if kind == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([columns, *rows])
        payload = buffer.getvalue().encode("utf-8", "surrogatepass")
    elif kind == "xlsx":
        payload = _xlsx([columns, *rows])
    else:
        payload = data.draw(st.sampled_from(hs.FILE_CONTENTS) | st.binary(max_size=300), label="bytes")
    client.force_login(admin_user)
    url = reverse(f"admin:{model}_import")
    form = client.get(url).context["form"]
    suffix = "xlsx" if kind == "xlsx" else "csv"
    before = row_prints()
    response = client.post(
        url,
        {
            "resource": "0",
            "format": _format_index(form, suffix),
            "import_file": SimpleUploadedFile(f"people.{suffix}", payload),
        },
    )
    assert response.status_code == 200
    assert changed_rows(before, row_prints()) == {}, "the preview wrote rows"
    confirm = response.context.get("confirm_form") if response.context else None
    if confirm is None:
        return
    result = response.context["result"]
    assume(not result.has_errors() and not result.has_validation_errors())
    response = client.post(reverse(f"admin:{model}_process_import"), confirm.initial)
    assert response.status_code in (200, 302)
    assert_whole(changed_rows(before, row_prints()))


# --- Uploads ------------------------------------------------------------------------------------

POLICIES = [
    uploads.UploadPolicy(
        what="receipt", accepted=(uploads.PDF, uploads.PNG, uploads.JPEG), accepted_text="a PDF", max_bytes=4096
    ),
    uploads.UploadPolicy(
        what="document",
        accepted=(uploads.PDF, uploads.DOCX, uploads.XLSX),
        accepted_text="a PDF or Office file",
        max_bytes=1 << 20,
        check_extension=False,
    ),
]


@settings(SETTINGS, max_examples=200)
@given(upload=hs.uploads(), policy=st.sampled_from(POLICIES))
def test_it_checks_any_upload_without_an_exception(upload, policy):
    try:
        checked = uploads.upload_check(upload, policy)
    except uploads.UploadRefused as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "Nothing was stored." in refusal
        return
    assert checked.content_type in policy.accepted
    assert 0 < checked.size <= policy.max_bytes
