"""The GMPP portfolio import: the real 2018-2022 files, our demo files, bad rows and bad files.

Expected values below were looked up by hand in ../shared/data/real/gmpp_uk/
(money in the files is in £m; APM stores pounds).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.importers.services import portfolio_import_gmpp
from projects.models import Client, Project, StatusUpdate
from teams.models import Department

YEARS = (2018, 2019, 2020, 2021, 2022)
ROWS_PER_YEAR = {2018: 133, 2019: 133, 2020: 125, 2021: 184, 2022: 235}
SKIPPED_PER_YEAR = {2018: 0, 2019: 0, 2020: 0, 2021: 0, 2022: 0}
PROJECTS = 361
DEMO_DIR = Path(settings.BASE_DIR) / "projects" / "demo"
DEMO_FILES = sorted(DEMO_DIR.glob("gmpp_demo_*.csv"))
DEMO_HEADER = (
    "year;project_number;project_name;department;report_category;description_aims;colour_rating;rating_comment;"
    "start_date;end_date;schedule_comment;total_baseline;yearly_forecast;variance_comment;"
    "wlc_baseline_incl_NCG;budget_comment"
)


def _real_files() -> list[Path]:
    folder = Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk"
    files = [folder / f"uk_{year}.csv" for year in YEARS]
    if not all(path.is_file() for path in files):
        reason = f"the real GMPP files are not in {folder} (set APM_REAL_DATA_DIR)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return files


def _snapshot() -> dict:
    """Everything the import writes, in a form that does not depend on primary keys or timing."""
    projects = {
        p.code: (
            p.reference,
            p.name,
            tuple(sorted(d.code for d in p.departments.all())),
            p.client.name if p.client else None,
            p.category,
            p.description,
            p.start_date,
            p.end_date,
            p.bac,
            p.rag,
        )
        for p in Project.objects.select_related("client").prefetch_related("departments")
    }
    updates = sorted(
        StatusUpdate.objects.values_list(
            "project__code",
            "as_of",
            "source",
            "source_key",
            "rating_published",
            "rating_note",
            "rating_source",
            "rag",
            "budget_period",
            "forecast_period",
            "whole_life_cost",
            "commentary_overall",
            "commentary_schedule",
            "commentary_budget",
        )
    )
    withheld = sorted((u.project.code, u.as_of, sorted(u.withheld.items())) for u in StatusUpdate.objects.all())
    return {"projects": projects, "updates": updates, "withheld": withheld}


@pytest.mark.django_db
def test_it_imports_the_demo_files(capsys):
    assert [p.name for p in DEMO_FILES] == ["gmpp_demo_2023.csv", "gmpp_demo_2024.csv"]
    summary = portfolio_import_gmpp(paths=list(reversed(DEMO_FILES)))
    assert (summary.rows, len(summary.skipped)) == (15, 0)
    assert summary.projects_created == Project.objects.count() == 8
    assert set(Department.objects.values_list("code", flat=True)) == {"DPW", "MCT", "ODS"}

    harbour = Project.objects.get(code="DPW_0001_2122-Q1")
    assert harbour.rag == "red"  # 2024: Amber/Red
    assert harbour.bac == Decimal("1301000000.00")  # £1,301.00
    assert harbour.end_date == dt.date(2027, 9, 30)
    early = harbour.status_updates.get(as_of=dt.date(2023, 3, 31))
    assert early.whole_life_cost == Decimal("1234500000.00")
    assert early.commentary_overall.count("\n") == 1

    ferry = Project.objects.get(code="MCT_0001_1920-Q3")
    exempt = ferry.status_updates.get(source="gmpp-2023")
    assert exempt.budget_period is None
    assert set(exempt.withheld) == {"budget_period", "forecast_period", "whole_life_cost"}
    assert ferry.bac == Decimal("842100000.00")

    secret = Project.objects.get(code="ODS_0003_2324-Q1").status_updates.get()
    assert (secret.rating_published, secret.rag) == ("", "")
    assert secret.rating_note.startswith("Exempt under Section 24")

    depots = Project.objects.get(code="DPW_0003_2021-Q4")
    assert depots.start_date == dt.date(2020, 10, 1)  # 01.10.2020 in 2024
    assert list(depots.departments.values_list("code", flat=True)) == ["DPW", "MCT"]
    assert depots.client.name == "UK Government — DPW"

    again = portfolio_import_gmpp(paths=DEMO_FILES)
    assert (again.projects_unchanged, again.updates_unchanged, again.changed) == (8, 15, False)


@pytest.mark.django_db
def test_a_row_rolled_back_after_creating_its_project_leaves_nothing_a_later_row_finds(monkeypatch):
    """The import's index of projects takes back what a refused row added, without loading itself again."""
    from django.db import DatabaseError

    from projects.importers import services

    loads = []
    real_init, real_write = services._Known.__init__, services._write_update

    def counted_init(self):
        loads.append(1)
        real_init(self)

    def refuse_2023(project, record, as_of, summary, **kwargs):
        if as_of.year == 2023:
            raise DatabaseError("refused for the test")
        return real_write(project, record, as_of, summary, **kwargs)

    monkeypatch.setattr(services._Known, "__init__", counted_init)
    monkeypatch.setattr(services, "_write_update", refuse_2023)
    summary = portfolio_import_gmpp(paths=DEMO_FILES)
    assert len(summary.skipped) == 7  # every 2023 row, after it had created its project
    assert loads == [1]
    harbour = Project.objects.get(reference="DPW_0001_2122-Q1")  # created again by its 2024 row, once
    assert harbour.code == "DPW_0001_2122-Q1"
    assert list(harbour.status_updates.values_list("source", flat=True)) == ["gmpp-2024"]
    assert StatusUpdate.objects.filter(source="gmpp-2023").count() == 0
    assert summary.projects_created == Project.objects.count()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


@pytest.mark.django_db
def test_it_skips_a_bad_row_with_file_and_line_and_imports_the_rest(tmp_path):
    path = _write(
        tmp_path / "gmpp_2023.csv",
        [
            DEMO_HEADER,
            '2023;X_0001;Good One;DPW;ICT;"A\r\nmulti-line\r\ndescription";Amber;ok;2021-01-01;2024-01-01;;£1;£1;;£10;',
            "2023;X_0002;Bad Date;DPW;ICT;d;Green;ok;31.02.2021;2024-01-01;;£1;£1;;£10;",
            "2023;X_0003;Bad Money;MCT;ICT;d;Green;ok;2021-01-01;2024-01-01;;lots;£1;;£10;",
            "2023;X_0004;;MCT;ICT;d;Green;ok;2021-01-01;2024-01-01;;£1;£1;;£10;",
            "2023;X_0005;Good Two;MCT;ICT;d;Red;ok;2021-01-01;2024-01-01;;£2;£3;;£20;",
        ],
    )
    summary = portfolio_import_gmpp(paths=[path])
    # Line 1 is the header; the first row's description spans lines 2-4.
    assert [(s.path, s.line) for s in summary.skipped] == [(str(path), 5), (str(path), 6), (str(path), 7)]
    reasons = [s.reason for s in summary.skipped]
    assert reasons[0].startswith("start_date: not a valid date: '31.02.2021'")
    assert reasons[1].startswith("budget_period: not an amount in £m: 'lots'")
    assert reasons[2] == "no project name"
    assert sorted(Project.objects.values_list("code", flat=True)) == ["X_0001", "X_0005"]
    assert summary.rows == 5
    assert f"{path}, line 6: budget_period" in str(summary)


@pytest.mark.django_db
def test_it_names_the_columns_it_ignores(tmp_path):
    path = _write(
        tmp_path / "uk_2023.csv",
        [
            "project_name;department;colour_rating;benefits_baseline;yearly_budget",
            "Thing;HO;Amber;£5;£1",
        ],
    )
    out = io.StringIO()
    call_command("import_portfolio", "--format", "gmpp", str(path), stdout=out)
    assert f"Ignored columns in {path}: benefits_baseline" in out.getvalue()
    update = StatusUpdate.objects.get(project__name="Thing")
    assert update.budget_period == Decimal("1000000.00")
    assert update.as_of == dt.date(2023, 3, 31)  # year from the file name


@pytest.mark.django_db
def test_it_refuses_a_file_without_the_required_columns_and_imports_the_others(tmp_path):
    good = shutil.copy(DEMO_FILES[0], tmp_path / "gmpp_demo_2023.csv")
    bad = _write(tmp_path / "uk_2024.csv", ["name;dept;colour_rating", "Thing;HO;Amber"])
    out = io.StringIO()
    with pytest.raises(CommandError, match="0 rows refused, 1 file refused"):
        call_command("import_portfolio", "--format", "gmpp", str(good), str(bad), stdout=out)
    assert f"{bad}: refused, nothing imported: required column(s) missing: project_name, department" in out.getvalue()
    assert Project.objects.count() == 7  # the demo 2023 file's projects
    assert not Project.objects.filter(name="Thing").exists()


@pytest.mark.django_db
def test_it_refuses_unknown_formats_and_missing_files(tmp_path):
    with pytest.raises(CommandError, match="Unknown --format 'xlsx'"):
        call_command("import_portfolio", "--format", "xlsx", str(DEMO_FILES[0]))
    with pytest.raises(CommandError, match=r"No such file: .*nope\.csv"):
        call_command("import_portfolio", "--format", "gmpp", str(tmp_path / "nope.csv"))
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_it_prints_a_summary_without_a_progress_bar_when_not_on_a_terminal(capsys):
    out = io.StringIO()
    call_command("import_portfolio", "--format", "gmpp", *map(str, DEMO_FILES), stdout=out)
    text = out.getvalue()
    assert "Files: 2; rows: 15; skipped: 0" in text
    assert "Projects: 8 created, 0 updated, 0 unchanged" in text
    assert "Status updates: 15 created, 0 updated, 0 unchanged" in text
    assert "Importing" not in capsys.readouterr().err


# Last in the module: the module-scoped import stays committed until the module ends.
@pytest.fixture(scope="module")
def real_import(django_db_setup, django_db_blocker):
    """All five real files imported once for the module (committed), removed again afterwards."""
    files = _real_files()
    with django_db_blocker.unblock():
        before = {m: set(m.objects.values_list("pk", flat=True)) for m in (Project, Client, Department)}
        started = dt.datetime.now(tz=dt.UTC)
        with CaptureQueriesContext(connection) as queries:
            summary = portfolio_import_gmpp(paths=files)
        seconds = (dt.datetime.now(tz=dt.UTC) - started).total_seconds()
        snapshot = _snapshot()
        yield {
            "summary": summary,
            "files": files,
            "seconds": seconds,
            "snapshot": snapshot,
            "queries": len(queries.captured_queries),
        }
        for model in (Project, Client, Department):
            model.objects.exclude(pk__in=before[model]).delete()


@pytest.mark.realdata
@pytest.mark.django_db
class TestRealFiles:
    def test_it_imports_every_row_of_every_year(self, real_import):
        summary = real_import["summary"]
        assert summary.rows == sum(ROWS_PER_YEAR.values()) == 810
        assert len(summary.skipped) == sum(SKIPPED_PER_YEAR.values())
        for year in YEARS:
            assert StatusUpdate.objects.filter(source=f"gmpp-{year}").count() == (
                ROWS_PER_YEAR[year] - SKIPPED_PER_YEAR[year]
            ), year
        assert summary.projects_created == Project.objects.count() == PROJECTS
        assert summary.updates_created == 810
        assert summary.ignored_columns == {}

    def test_it_keeps_one_project_across_years_and_sets_the_number_when_it_arrives(self, real_import):
        # 2018-2019 name it by department "DfT"/"DFT" and name only; 2020 numbers it "DfT_0022_1415-Q4".
        project = Project.objects.get(reference="DFT_0022_1415-Q4")
        assert project.code == "DFT_0022_1415-Q4"
        assert project.name == "Lower Thames Crossing"
        assert list(project.departments.values_list("code", flat=True)) == ["DFT"]
        assert project.client.name == "UK Government — DFT"
        assert sorted(project.status_updates.values_list("as_of", flat=True)) == [
            dt.date(2017, 9, 30),
            dt.date(2018, 9, 30),
            dt.date(2019, 9, 30),
            dt.date(2021, 3, 31),
            dt.date(2022, 3, 31),
        ]
        first = project.status_updates.get(source="gmpp-2018")  # Amber/Red,30.05.14,31.07.28,£49.90,£49.90,£4,648.80
        assert (first.rating_published, first.rag) == ("Amber/Red", "red")
        assert (first.budget_period, first.forecast_period) == (Decimal("49900000.00"), Decimal("49900000.00"))
        assert first.whole_life_cost == Decimal("4648800000.00")
        last = project.status_updates.get(source="gmpp-2022")  # Amber;;2014-05-30;2029-05-31;£295.00;£150.70;£6,752
        assert (last.rating_published, last.rag, last.rating_source) == ("Amber", "amber", "ipa")
        assert (last.budget_period, last.forecast_period) == (Decimal("295000000.00"), Decimal("150700000.00"))
        assert last.whole_life_cost == Decimal("6752000000.00")
        assert last.period_label == "GMPP 2022"
        # Latest year wins: 2018 said end 31.07.28, 2022 says 2029-05-31.
        assert (project.start_date, project.end_date) == (dt.date(2014, 5, 30), dt.date(2029, 5, 31))
        assert project.bac == Decimal("6752000000.00")
        assert project.rag == "amber"

    def test_it_follows_a_number_whose_department_prefix_changed(self, real_import):
        # PHE Science Hub: DH_0017_1112-Q1 in 2020, DOH_0017_1112-Q1 in 2021-2022.
        project = Project.objects.get(reference="DOH_0017_1112-Q1")
        assert project.status_updates.count() == 5
        assert not Project.objects.filter(reference="DH_0017_1112-Q1").exists()

    def test_it_maps_a_lower_case_five_point_rating(self, real_import):
        # 2021: MOD_0106_1617-Q1;Maritime Patrol Aircraft;MOD;…;Amber/red;Exempt under Section 26 …
        update = StatusUpdate.objects.get(project__reference="MOD_0106_1617-Q1", source="gmpp-2021")
        assert (update.rating_published, update.rag) == ("Amber/Red", "red")
        assert update.commentary_overall.startswith("Exempt under Section 26 of the Freedom of Information Act 2000")
        assert (update.budget_period, update.forecast_period) == (Decimal("654460000.00"), Decimal("654110000.00"))
        assert update.whole_life_cost == Decimal("2013020000.00")

    def test_it_uses_the_sro_rating_when_the_ipa_column_is_empty(self, real_import):
        # 2022: MOD_0135_2122-Q1;Submarine Dismantling Project;…;;Amber;…;2013-03-29;2026-12-31;…;£33.73;£33.73;;£278
        project = Project.objects.get(reference="MOD_0135_2122-Q1")
        update = project.status_updates.get()
        assert (update.rating_published, update.rag, update.rating_source) == ("Amber", "amber", "sro")
        assert update.whole_life_cost == Decimal("278000000.00")
        assert (update.budget_period, update.forecast_period) == (Decimal("33730000.00"), Decimal("33730000.00"))
        assert (project.start_date, project.end_date) == (dt.date(2013, 3, 29), dt.date(2026, 12, 31))

    def test_it_keeps_an_exempt_cell_as_withheld_text(self, real_import):
        # 2022: DEFRA_0040_2122-Q3;Collection and Packaging Reforms;…;Red;;…;£12.92;£8.06;…;Exempt under Section 35…
        project = Project.objects.get(reference="DEFRA_0040_2122-Q3")
        update = project.status_updates.get()
        assert (update.rating_published, update.rag) == ("Red", "red")
        assert update.whole_life_cost is None
        assert update.withheld == {
            "whole_life_cost": "Exempt under Section 35 of the Freedom of Information Act 2000 "
            "(Formulation of governmnet policy)."
        }
        assert (update.budget_period, update.forecast_period) == (Decimal("12920000.00"), Decimal("8060000.00"))
        assert project.bac is None
        assert (project.start_date, project.end_date) == (dt.date(2018, 4, 2), dt.date(2027, 3, 31))

    def test_it_makes_one_department_per_code_whatever_the_case(self, real_import):
        codes = list(Department.objects.values_list("code", flat=True))
        assert "DFT" in codes
        assert "MOJ" in codes
        assert all(code == code.upper() for code in codes)
        assert Department.objects.get(code="MOD").name == "Ministry of Defence"
        assert Client.objects.filter(name__startswith="UK Government — ").count() == len(codes) == 21

    def test_it_finds_what_earlier_rows_wrote_without_asking_the_database(self, real_import):
        """Per row: its savepoint and release, its update's insert, its project's insert (with its departments'
        links) or update; finding the project, its departments and its updates again costs nothing (4,166
        queries; 7,704 when each row asked the database)."""
        assert real_import["queries"] <= 5.2 * 810

    def test_it_changes_nothing_when_run_again(self, real_import):
        sample = dict(Project.objects.order_by("code").values_list("code", "updated_at")[:25])
        counts = (Project.objects.count(), StatusUpdate.objects.count(), Department.objects.count())
        with CaptureQueriesContext(connection) as queries:
            summary = portfolio_import_gmpp(paths=real_import["files"])
        # Per row its savepoint, release and stored update; once per project itself, its departments and its
        # updates; once per department and client (3,559).
        assert len(queries) <= 3 * 810 + 3 * PROJECTS + 2 * 21 + 5
        assert (summary.projects_created, summary.projects_updated, summary.projects_unchanged) == (0, 0, PROJECTS)
        assert (summary.updates_created, summary.updates_updated, summary.updates_unchanged) == (0, 0, 810)
        assert not summary.changed
        assert (Project.objects.count(), StatusUpdate.objects.count(), Department.objects.count()) == counts
        assert dict(Project.objects.filter(code__in=sample).values_list("code", "updated_at")) == sample
        assert _snapshot() == real_import["snapshot"]

    def test_it_gives_the_same_result_whatever_the_file_order(self, real_import):
        Project.objects.all().delete()
        summary = portfolio_import_gmpp(paths=list(reversed(real_import["files"])))
        assert summary.projects_created == PROJECTS
        assert _snapshot() == real_import["snapshot"]
