"""``manage.py import_projects --mapping``: a file in a foreign layout (invented figures) through a saved mapping."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from projects.importers.mapping import GMPP, Mapping, MappingError, guess
from projects.models import Client, ImportMapping, Project, StatusUpdate

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
CSV = DATA / "agency_it_portfolio.csv"
MAPPING = DATA / "agency_it_portfolio.mapping.json"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_projects", *args, stdout=out)
    return out.getvalue()


def state() -> list[tuple]:
    """Everything an import writes, to compare before and after a second run."""
    projects = [
        (p.code, p.name, p.client.name if p.client else None, p.currency, p.bac, p.rag, p.start_date, p.end_date)
        for p in Project.objects.order_by("code")
    ]
    updates = list(StatusUpdate.objects.order_by("project__code", "as_of").values_list())
    return [projects, updates]


def test_it_imports_the_foreign_layout_with_the_figures_it_holds():
    out = run("--mapping", str(MAPPING), "--save-as", "Agency IT dashboard", str(CSV))
    assert "Saved the mapping as the preset 'Agency IT dashboard'." in out
    assert "Projects: 4 created, 0 updated, 0 unchanged" in out
    assert "Status updates: 5 created, 0 updated, 0 unchanged" in out
    assert "Departments created: 3; clients created: 1" in out
    assert f"Ignored columns in {CSV}: Contact Email" in out

    berths = Project.objects.get(code="021-000001")
    assert (berths.name, berths.reference, berths.category) == (
        "Harbour Berth Booking System",
        "021-000001",
        "Major IT",
    )
    assert (berths.currency, berths.client.name) == ("USD", "Agency Technology Office")
    assert (berths.start_date, berths.end_date) == (dt.date(2025, 1, 15), dt.date(2027, 12, 31))
    assert list(berths.departments.values_list("code", flat=True)) == ["HARB"]
    assert berths.bac == Decimal("49500000.00")  # the latest lifecycle cost
    assert berths.rag == "amber"  # CIO 3 in June
    march, june = berths.status_updates.order_by("as_of")
    assert (march.as_of, march.period_label, march.source) == (
        dt.date(2026, 3, 31),
        "IT Dashboard 2026-03-31",
        "it-dashboard-2026-03-31",
    )
    assert (march.budget_period, march.forecast_period, march.whole_life_cost) == (
        Decimal("12500000.00"),
        Decimal("11250000.00"),  # planned 12.50 minus a variance of 1.25 ($M)
        Decimal("48000000.00"),
    )
    assert (march.rating_published, march.rag) == ("CIO 4", "green")
    assert march.commentary_schedule == "30 days behind schedule."
    assert march.commentary_overall == "Vendor onboarding slipped a month."
    assert june.forecast_period == Decimal("13250000.00")  # a negative variance: over plan
    assert june.commentary_overall == "Integration testing late;\ncost now over plan."
    assert june.commentary_schedule == "45 days behind schedule."

    permits = Project.objects.get(code="034-000217").status_updates.get()
    assert (permits.budget_period, permits.whole_life_cost) == (Decimal("1200000000.00"), Decimal("3450750000.00"))
    assert (permits.rag, permits.commentary_schedule) == ("green", "On schedule.")
    fares = Project.objects.get(code="057-000042").status_updates.get()
    assert (fares.forecast_period, fares.rag, fares.rating_published) == (Decimal("10850000.00"), "red", "CIO 2")
    assert fares.commentary_schedule == "12 days ahead of schedule."

    shared = Project.objects.get(name="Shared Asset Register")
    assert shared.code.startswith("TRANSIT-SHARED-ASSET-REGIST")
    assert shared.reference is None
    assert sorted(shared.departments.values_list("code", flat=True)) == ["PARKS", "TRANSIT"]
    assert shared.end_date is None
    assert shared.status_updates.get().forecast_period == Decimal("750000.00")


def test_importing_it_again_through_the_saved_preset_changes_nothing():
    run("--mapping", str(MAPPING), "--save-as", "Agency IT dashboard", str(CSV))
    before = state()
    out = run("--mapping", "agency it dashboard", str(CSV))
    assert "Projects: 0 created, 0 updated, 4 unchanged" in out
    assert "Status updates: 0 created, 0 updated, 5 unchanged" in out
    assert state() == before


def test_a_renamed_project_is_matched_by_its_code_and_keeps_its_history(tmp_path):
    run("--mapping", str(MAPPING), str(CSV))
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(CSV.read_text().replace("Trail Permit Portal", "Trail and Camping Permits"))
    out = run("--mapping", str(MAPPING), str(renamed))
    assert "Projects: 0 created, 1 updated, 3 unchanged" in out
    assert Project.objects.get(code="034-000217").name == "Trail and Camping Permits"
    assert Project.objects.get(code="021-000001").status_updates.count() == 2


def test_a_project_without_a_code_is_matched_by_its_name_and_client(tmp_path):
    client = Client.objects.create(name="Agency Technology Office")
    made = Project.objects.create(code="SAR", name="Shared asset register", client=client, currency="USD")
    mapping = Mapping.from_json(MAPPING.read_text())
    no_departments = {k: ("" if v == "department.codes" else v) for k, v in mapping.columns.items()}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping.to_dict() | {"columns": no_departments}))
    run("--mapping", str(path), str(CSV))
    made.refresh_from_db()
    assert made.name == "Shared Asset Register"
    assert made.status_updates.count() == 1
    assert Project.objects.filter(name__iexact="shared asset register").count() == 1


def test_without_a_mapping_it_is_refused_listing_the_columns():
    with pytest.raises(CommandError) as refused:
        run(str(CSV))
    message = str(refused.value)
    assert "No --mapping given" in message
    assert f"{CSV}: Agency, Investment Title, Unique Investment ID, Investment Type, Planned Cost ($M)" in message
    assert "presets: GMPP" in message
    assert Project.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "furlongs"}, "unknown money unit 'furlongs'"),
        ({"columns": {"Investment Title": "project.colour"}}, "unknown field 'project.colour'"),
        ({"columns": {"Agency": "department.codes"}}, "map a column to the project name"),
        ({"date_format": "someday"}, "unknown date format 'someday'"),
        ({"as_of": "30/06/2026"}, '"as_of" must be a date yyyy-mm-dd'),
        ({"surprise": 1}, "unknown key(s) in the mapping: surprise"),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_saying_why(tmp_path, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(json.loads(MAPPING.read_text()) | change))
    with pytest.raises(CommandError) as refused:
        run("--mapping", str(path), str(CSV))
    assert message in str(refused.value)
    assert "Nothing imported." in str(refused.value)
    assert Project.objects.count() == 0


def test_an_unknown_mapping_name_lists_the_presets():
    ImportMapping.objects.create(name="Old tracker", data=json.loads(MAPPING.read_text()))
    with pytest.raises(CommandError, match="presets: GMPP, Old tracker"):
        run("--mapping", "nothing-like-it", str(CSV))


def test_bad_rows_are_refused_with_their_line_and_the_rest_imported(tmp_path):
    lines = CSV.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("01/15/2025", "15/01/2025")  # day and month swapped
    lines.append("PARKS,Bridge Sensors,034-000300,Standard IT,lots,0,1,0,4,01/01/2026,,06/30/2026,,x@example.org\n")
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("".join(lines))
    with pytest.raises(CommandError, match="2 rows refused, 0 files refused"):
        run("--mapping", str(MAPPING), str(damaged))
    assert StatusUpdate.objects.count() == 4
    assert not Project.objects.filter(code="034-000300").exists()


def test_an_excel_workbook_imports_the_same_as_the_csv(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    rows = list(__import__("csv").reader(CSV.open(newline="")))
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = list(row)
        for index in (9, 10, 11):  # real date cells, as Excel keeps them
            cells[index] = dt.datetime.strptime(row[index], "%m/%d/%Y") if row[index] else None  # noqa: DTZ007
        for index in (4, 5, 6):  # real numbers
            cells[index] = float(row[index].replace(",", ""))
        sheet.append(cells)
    workbook = tmp_path / "portfolio.xlsx"
    book.save(workbook)
    run("--mapping", str(MAPPING), str(CSV))
    before = state()
    out = run("--mapping", str(MAPPING), str(workbook))
    assert f"{workbook}: XLSX; 5 of 5 rows imported" in out
    assert "Projects: 0 created, 0 updated, 4 unchanged" in out
    assert state() == before


def test_a_matched_project_in_another_currency_is_refused(tmp_path):
    Project.objects.create(code="021-000001", reference="021-000001", name="Harbour Berth Booking System")
    with pytest.raises(CommandError):
        out = run("--mapping", str(MAPPING), str(CSV))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_projects", "--mapping", str(MAPPING), str(CSV), stdout=out)
    assert "line 2: the amounts are in USD; project 021-000001 is kept in GBP" in out.getvalue()


def test_the_gmpp_preset_exports_and_reads_back_the_same():
    out = run("--export-mapping", "gmpp")
    assert Mapping.from_json(out) == GMPP
    assert json.loads(out)["columns"]["colour_rating_2"] == "status.rating_second"


def test_a_guess_reads_unit_and_currency_from_the_column_names():
    mapping = guess(["Project", "Budget (£k)", "Dept", "RAG", "Reporting date"])
    assert (mapping.unit, mapping.currency) == ("thousands", "GBP")
    assert mapping.columns == {
        "Project": "project.name",
        "Budget (£k)": "budget.period",
        "Dept": "department.codes",
        "RAG": "status.rating",
        "Reporting date": "status.as_of",
    }
    with pytest.raises(MappingError, match="choose the date they stand at"):
        Mapping(name="x", columns={"Project": "project.name", "RAG": "status.rating"}, client="Acme").checked()
