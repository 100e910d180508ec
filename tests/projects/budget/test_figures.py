"""Each project's sums kept on write (``projects.budget.figures``): written by the services that log time,
expenses, budget lines and status updates, for both projects when a row moves, dropped with the project, left
waiting for an entry dated later, approved time kept apart, a long run of writes refreshed once, drift found, and
read only where they hold; the beat task and the command that write the rows due."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from projects.budget import figures
from projects.budget.selectors import with_cost_figures
from projects.budget.services.approval import time_entries_decide, time_entries_reopen, timesheet_week_submit
from projects.budget.services.costs import expense_record, time_entry_record
from projects.budget.services.plan import budget_get, budget_line_add, budget_line_remove
from projects.models import CostBasis, Expense, Project, ProjectFigures, TimeEntry
from projects.rag import RAG
from projects.status.forms import RATING_FIELDS, StatusUpdateForm
from projects.status.services import status_update_record
from projects.tasks import refresh_project_figures

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2025, 3, 10)
TODAY = dt.date(2025, 3, 12)  # a Wednesday
LATER = dt.date(2025, 3, 20)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON), tick=False)


@pytest.fixture
def project(world):
    return world["alpha_project"]


def _row(project: Project) -> ProjectFigures:
    return ProjectFigures.objects.get(project=project)


def _read(project: Project, as_of: dt.date):
    """The project as the rating pages read it on ``as_of``."""
    return with_cost_figures(Project.objects.filter(pk=project.pk), as_of=as_of).get()


def _log(mo, project, day: dt.date, hours: str, member) -> TimeEntry:
    return time_entry_record(member=mo, project=project, date=day, hours=D(hours), actor=member)


def _update(project: Project, pm, *, as_of: dt.date, rag: str, percent: str) -> None:
    data = {name: rag for name, _label in RATING_FIELDS}
    data.update(as_of=as_of.isoformat(), percent_complete=percent)
    status_update_record(form=StatusUpdateForm(data=data, project=project, today=TODAY), author=pm)


def _figure_writes(queries: CaptureQueriesContext) -> int:
    """The INSERTs into the figures table (the placeholder rows and the upsert of the sums)."""
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].startswith("INSERT") and '"projects_projectfigures"' in query["sql"].split("(", 1)[0]
    )


def test_it_writes_the_sums_when_time_expenses_budget_lines_and_updates_are_recorded(project, mo, member, pm):
    # The project's BAC of 1,000,000 becomes an unallocated line, and the new line is taken from it.
    line = budget_line_add(project=project, category="labour", amount=D("5000"), actor=pm)
    _log(mo, project, MONDAY, "7.5", member)  # 7.5 h at 55.00
    _log(mo, project, MONDAY + dt.timedelta(days=1), "6", member)
    expense_record(project=project, date=MONDAY, amount=D("120.40"), category="travel", supplier="Rail")
    _update(project, pm, as_of=MONDAY - dt.timedelta(days=7), rag=RAG.GREEN, percent="10")
    _update(project, pm, as_of=MONDAY, rag=RAG.AMBER, percent="25")

    row = _row(project)
    assert (row.as_of, row.next_due) == (TODAY, None)
    assert (row.lines_total, row.time_cost, row.approved_time_cost, row.expense_cost) == (
        D("1000000.00"),
        D("742.50"),
        D("0.00"),
        D("120.40"),
    )
    assert (row.pct_complete, row.rag_now, row.rag_before, row.last_update) == (D("25"), "amber", "green", MONDAY)
    assert figures.drift() == []  # the same as the sums added up from the rows

    budget_line_remove(line=line, actor=pm)
    assert _row(project).lines_total == D("995000.00")


def test_deleting_an_entry_takes_its_cost_out(project, mo, member):
    monday = _log(mo, project, MONDAY, "7.5", member)
    _log(mo, project, MONDAY + dt.timedelta(days=1), "6", member)
    assert _row(project).time_cost == D("742.50")
    monday.delete()
    assert _row(project).time_cost == D("330.00")
    TimeEntry.objects.filter(project=project).delete()
    assert _row(project).time_cost == D("0.00")


def test_deleting_a_project_with_time_takes_its_row_along(project, mo, member):
    _log(mo, project, MONDAY, "7.5", member)
    expense_record(project=project, date=MONDAY, amount=D("50"), category="travel", supplier="Rail")
    assert ProjectFigures.objects.filter(project=project).exists()
    pk = project.pk
    project.delete()
    # The entries deleted with the project wrote no row back for it: no foreign key left dangling.
    assert not ProjectFigures.objects.filter(project_id=pk).exists()
    connection.check_constraints()


def test_an_entry_dated_later_counts_from_its_day(project, mo, member, time_machine):
    _log(mo, project, MONDAY, "7.5", member)
    _log(mo, project, LATER, "8", member)  # 440.00, booked ahead
    row = _row(project)
    assert (row.time_cost, row.next_due) == (D("412.50"), LATER)
    assert _read(project, TODAY).time_cost == D("412.50")
    figures.refresh_due()  # BETA-1's row too, if it has none yet: only ALPHA-1's is due below

    time_machine.move_to(dt.datetime(2025, 3, 20, 9, tzinfo=LONDON), tick=False)
    # The row no longer holds: the pages add the time up themselves until the row is written again.
    assert _read(project, LATER).time_cost == D("852.50")
    assert figures.refresh_due() == 1
    row = _row(project)
    assert (row.as_of, row.time_cost, row.next_due) == (LATER, D("852.50"), None)
    assert _read(project, LATER).time_cost == D("852.50")
    assert figures.refresh_due() == 0


def test_approved_time_is_kept_apart_and_read_where_the_budget_counts_only_it(project, mo, member, pm):
    monday = _log(mo, project, MONDAY, "7.5", member)
    _log(mo, project, MONDAY + dt.timedelta(days=1), "6", member)
    budget = budget_get(project=project)
    budget.cost_basis = CostBasis.APPROVED
    budget.save()
    assert _read(project, TODAY).time_cost == D("0.00")

    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entries_decide(project=project, entry_ids=[monday.pk], approve=True, actor=pm)
    row = _row(project)
    assert (row.time_cost, row.approved_time_cost) == (D("742.50"), D("412.50"))
    assert _read(project, TODAY).time_cost == D("412.50")

    time_entries_reopen(project=project, entry_ids=[monday.pk], reason="Wrong day", actor=pm)
    assert _row(project).approved_time_cost == D("0.00")
    budget.cost_basis = CostBasis.ALL
    budget.save()
    assert _read(project, TODAY).time_cost == D("742.50")


def test_deferred_writes_each_project_once_at_the_end(project, mo, member):
    with CaptureQueriesContext(connection) as one_by_one:
        _log(mo, project, MONDAY, "1", member)
        _log(mo, project, MONDAY + dt.timedelta(days=1), "1", member)
        expense_record(project=project, date=MONDAY, amount=D("10"), category="travel", supplier="Rail")
    # A placeholder and the sums for each write, and once more when the first one's budget check creates the
    # project's budget settings (its basis and estimate change the forecast).
    assert _figure_writes(one_by_one) == 8

    beta = Project.objects.get(code="BETA-1")
    with CaptureQueriesContext(connection) as together, figures.deferred() as gathered:
        _log(mo, project, MONDAY + dt.timedelta(days=2), "7.5", member)
        _log(mo, project, MONDAY - dt.timedelta(days=7), "6", member)
        expense_record(project=beta, date=MONDAY, amount=D("10"), category="travel", supplier="Rail")
        with figures.deferred():  # nested: the outermost writes
            expense_record(project=project, date=MONDAY, amount=D("20"), category="travel", supplier="Rail")
        assert gathered == {project.pk, beta.pk}
        assert _figure_writes(together) == 0
        assert _row(project).time_cost == D("110.00")
        assert not ProjectFigures.objects.filter(project=beta, expense_cost__gt=0).exists()
    assert _figure_writes(together) == 2  # a placeholder and the sums, for both projects at once
    assert (_row(project).time_cost, _row(project).expense_cost) == (D("852.50"), D("30.00"))
    assert _row(beta).expense_cost == D("10.00")


def test_deferred_writes_nothing_when_the_run_fails(project, mo, member):
    def run() -> None:
        with transaction.atomic(), figures.deferred():
            _log(mo, project, MONDAY, "7.5", member)
            raise RuntimeError("the import stopped")

    with CaptureQueriesContext(connection) as queries, pytest.raises(RuntimeError):
        run()
    assert not TimeEntry.objects.exists()
    assert _figure_writes(queries) == 0
    _log(mo, project, MONDAY, "6", member)  # and refreshes write at once again
    assert _row(project).time_cost == D("330.00")


def test_a_row_moved_to_another_project_leaves_the_first_one_right(project, mo, member):
    beta = Project.objects.get(code="BETA-1")
    expense = expense_record(project=project, date=MONDAY, amount=D("75"), category="travel", supplier="Rail")
    assert _row(project).expense_cost == D("75.00")
    expense.project = beta  # as the admin's change form saves it
    expense.save()
    assert (_row(project).expense_cost, _row(beta).expense_cost) == (D("0.00"), D("75.00"))


def test_drift_finds_a_row_changed_behind_its_back(project, mo, member):
    _log(mo, project, MONDAY, "7.5", member)
    assert figures.drift() == []
    TimeEntry.objects.filter(project=project).update(cost=D("1.00"))  # no signal
    assert figures.drift() == [project.pk]
    assert _read(project, TODAY).time_cost == D("412.50")  # the stored row, stale
    figures.refresh([project.pk])
    assert figures.drift() == []
    assert _read(project, TODAY).time_cost == D("1.00")


def test_a_day_before_the_row_is_added_up_and_a_day_it_holds_is_read(project, mo, member):
    _log(mo, project, MONDAY, "7.5", member)
    _log(mo, project, MONDAY + dt.timedelta(days=1), "6", member)
    # Changed in the row only, to tell the stored figure from the one added up (put right below).
    ProjectFigures.objects.filter(project=project).update(time_cost=D("999.99"))
    assert _read(project, MONDAY).time_cost == D("412.50")  # before the row's day: added up
    assert _read(project, TODAY).time_cost == D("999.99")  # the row holds: read
    assert _read(project, LATER).time_cost == D("999.99")
    figures.refresh([project.pk])
    assert _read(project, TODAY).time_cost == D("742.50")


def test_the_beat_task_writes_missing_rows(world):
    ProjectFigures.objects.all().delete()  # as for projects from before the table
    assert refresh_project_figures() == 2
    assert ProjectFigures.objects.filter(as_of=TODAY).count() == 2
    assert refresh_project_figures() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-project-figures"]
    assert entry["task"] == refresh_project_figures.name


def test_the_command_writes_the_due_rows_or_all_of_them(world, mo, member):
    ProjectFigures.objects.all().delete()  # as for projects from before the table
    out = io.StringIO()
    call_command("refresh_figures", stdout=out)
    assert out.getvalue() == "Figures written for 2 projects.\n"
    _log(mo, world["alpha_project"], MONDAY, "7.5", member)
    out = io.StringIO()
    call_command("refresh_figures", stdout=out)
    assert out.getvalue() == "Figures written for 0 projects.\n"
    out = io.StringIO()
    call_command("refresh_figures", "--all", stdout=out)
    assert out.getvalue() == "Figures written for 2 projects.\n"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the row lock is PostgreSQL's")
def test_two_writers_of_one_project_queue_on_its_row(transactional_db, project):
    """The second writer waits for the first to commit before it adds up the sums, so neither loses the other's."""
    Expense.objects.create(project=project, date=MONDAY, amount=D("1"), currency="GBP", category="travel", supplier="A")
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                Expense.objects.create(
                    project=project, date=MONDAY, amount=D("10"), currency="GBP", category="travel", supplier="B"
                )
                holding.set()
                done.wait(timeout=10)  # the row stays locked until the second writer is waiting on it
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            holding.wait(timeout=10)
            Expense.objects.create(
                project=project, date=MONDAY, amount=D("100"), currency="GBP", category="travel", supplier="C"
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    holding.wait(timeout=10)
    time.sleep(0.5)  # the second writer reaches the lock
    done.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert _row(project).expense_cost == D("111.00")
    assert figures.drift() == []


def test_deleting_many_entries_at_once_refreshes_their_project_once(project, mo, member):
    for day in range(5):
        _log(mo, project, MONDAY - dt.timedelta(days=7 * day), "1", member)
    with CaptureQueriesContext(connection) as deleted:
        TimeEntry.objects.filter(project=project).delete()
    assert _figure_writes(deleted) == 2  # a placeholder and the sums, once for the five rows
    assert _row(project).time_cost == D("0.00")


def test_a_loaded_fixture_drops_the_projects_row_until_it_is_written_again(project, mo, member, tmp_path):
    expense = expense_record(project=project, date=MONDAY, amount=D("10"), category="travel", supplier="Rail")
    dumped = tmp_path / "expense.json"
    dumped.write_text(serializers.serialize("json", [expense]))
    Expense.objects.filter(pk=expense.pk).delete()
    assert _row(project).expense_cost == D("0.00")
    call_command("loaddata", str(dumped), verbosity=0)
    assert not ProjectFigures.objects.filter(project=project).exists()  # its readers add up the rows meanwhile
    assert _read(project, TODAY).expense_cost == D("10.00")
    assert figures.refresh_due() >= 1
    assert _row(project).expense_cost == D("10.00")


def test_the_ids_lookup_refuses_a_string(project):
    assert Project.objects.filter(pk__any=frozenset([project.pk])).get() == project
    assert not Project.objects.filter(pk__any=frozenset()).exists()
    with pytest.raises(TypeError, match="collection of ids"):
        Project.objects.filter(pk__any=str(project.pk)).exists()
