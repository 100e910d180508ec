"""My timesheet: the week as a grid of projects by days, saved in one POST."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.budget.services.costs import time_entry_costed, time_entry_record
from projects.models import BudgetEvent, TimeEntry
from tests import factories

D = Decimal
LONDON = zoneinfo.ZoneInfo("Europe/London")
WEEK = "2025-W11"  # Monday 10 March to Sunday 16 March 2025
URL = reverse("projects:timesheet") + f"?week={WEEK}"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def logged_in(client, member, mo):
    client.force_login(member)
    return client


def _cell(project, day: dt.date) -> str:
    return f"h-{project.pk}-{day:%Y%m%d}"


def _entries():
    return sorted((e.project.code, e.date.isoformat(), e.hours, e.cost) for e in TimeEntry.objects.all())


def test_it_shows_the_week_as_a_grid_with_labelled_cells_in_row_order(logged_in, world):
    body = logged_in.get(URL).content.decode()
    assert "My timesheet" in body
    assert "week 11, 2025" in body
    inputs = re.findall(r'<input type="number" step="0.25"[^>]*>', body)
    assert len(inputs) == 7  # one project, seven days
    labels = [re.search(r'aria-label="([^"]+)"', i).group(1) for i in inputs]
    assert labels == [
        f"Alpha Project, {day}"
        for day in ("Mon 10 Mar", "Tue 11 Mar", "Wed 12 Mar", "Thu 13 Mar", "Fri 14 Mar", "Sat 15 Mar", "Sun 16 Mar")
    ]
    assert all('step="0.25"' in i and 'min="0"' in i and 'max="24"' in i for i in inputs)
    assert "?week=2025-W10" in body
    assert "?week=2025-W12" in body


def test_it_saves_the_grid_creating_changing_and_removing_entries(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    monday, tuesday, wednesday = dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12)
    response = logged_in.post(URL, {_cell(alpha, monday): "7.5", _cell(alpha, tuesday): "2"})
    assert response.status_code == 302
    assert _entries() == [
        ("ALPHA-1", "2025-03-10", D("7.50"), D("412.50")),
        ("ALPHA-1", "2025-03-11", D("2.00"), D("110.00")),
    ]
    monday_entry = TimeEntry.objects.get(date=monday)
    # The next save: Monday changed (same entry, re-costed), Tuesday emptied (removed), Wednesday new.
    logged_in.post(URL, {_cell(alpha, monday): "8", _cell(alpha, tuesday): "", _cell(alpha, wednesday): "0.25"})
    assert _entries() == [
        ("ALPHA-1", "2025-03-10", D("8.00"), D("440.00")),
        ("ALPHA-1", "2025-03-12", D("0.25"), D("13.75")),
    ]
    assert TimeEntry.objects.get(date=monday).pk == monday_entry.pk
    assert TimeEntry.objects.get(date=wednesday).created_by == member
    # Changing and removing time is on the budget's audit trail.
    event = BudgetEvent.objects.get(action="time_changed")
    assert event.detail["hours_removed"] == "2.00"
    page = logged_in.get(URL).content.decode()
    assert 'value="8.00"' in page


def test_it_saves_nothing_when_a_cell_is_bad_and_names_the_cell(logged_in, world):
    alpha = world["alpha_project"]
    response = logged_in.post(
        URL,
        {_cell(alpha, dt.date(2025, 3, 10)): "7.5", _cell(alpha, dt.date(2025, 3, 11)): "lots"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved." in body
    assert "Alpha Project, Tue 11 Mar: enter a number of hours, like 7.5." in body
    assert 'aria-invalid="true"' in body
    assert 'value="lots"' in body  # what was typed stays, to correct
    assert TimeEntry.objects.count() == 0
    for value, message in (("-1", "cannot be negative"), ("0.1", "at least 0.25 h"), ("25", "at most 24 hours")):
        body = logged_in.post(URL, {_cell(alpha, dt.date(2025, 3, 10)): value}).content.decode()
        assert "Alpha Project, Mon 10 Mar: " in body
        assert message in body
    assert TimeEntry.objects.count() == 0


def test_it_refuses_a_day_over_24_hours_across_projects(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    other = factories.ProjectFactory(code="ZETA-1", name="Zeta Project", currency=alpha.currency)
    other.team_members.add(mo)
    body = logged_in.post(
        URL, {_cell(alpha, dt.date(2025, 3, 10)): "16", _cell(other, dt.date(2025, 3, 10)): "9"}
    ).content.decode()
    assert "Mon 10 Mar: 25 h in one day; a day has at most 24 hours." in body
    assert TimeEntry.objects.count() == 0


def test_it_offers_only_the_members_own_projects_and_ignores_others_posted(logged_in, world):
    beta = world["beta_project"]
    body = logged_in.get(URL).content.decode()
    assert "BETA-1" not in body
    assert "Beta Project" not in body
    logged_in.post(URL, {_cell(beta, dt.date(2025, 3, 10)): "8"})
    assert TimeEntry.objects.count() == 0


def test_it_never_shows_money_on_the_grid(logged_in, world, mo, member):
    time_entry_record(member=mo, project=world["alpha_project"], date=dt.date(2025, 3, 10), hours=D("3"), actor=member)
    body = logged_in.get(URL).content.decode()
    assert 'value="3.00"' in body
    for money in ("165", "55.00", "95.00", "£", "GBP", "cost"):
        assert money not in body


def test_it_shows_a_cell_of_several_entries_read_only_and_keeps_them(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    monday = dt.date(2025, 3, 10)
    for hours in ("2", "3"):
        time_entry_record(member=mo, project=alpha, date=monday, hours=D(hours), note="call", actor=member)
    body = logged_in.get(URL).content.decode()
    assert f'name="{_cell(alpha, monday)}"' not in body
    assert "2 entries" in body
    assert 'href="#entries"' in body
    # A posted value for it is not the grid's to take: the entries stay as they are.
    logged_in.post(URL, {_cell(alpha, monday): "1", _cell(alpha, dt.date(2025, 3, 11)): "4"})
    assert sorted(TimeEntry.objects.filter(date=monday).values_list("hours", flat=True)) == [D("2"), D("3")]
    assert TimeEntry.objects.filter(date=dt.date(2025, 3, 11)).count() == 1


def test_it_refuses_the_whole_save_when_one_new_entry_has_no_rate(logged_in, world, mo):
    alpha = world["alpha_project"]
    mo.rates.all().delete()
    body = logged_in.post(URL, {_cell(alpha, dt.date(2025, 3, 10)): "4"}).content.decode()
    assert "Alpha Project, Mon 10 Mar: Mo Member has no cost rate on 10 Mar 2025" in body
    assert TimeEntry.objects.count() == 0


def test_it_shows_the_grid_in_a_fixed_number_of_queries(logged_in, world, mo, member, django_assert_num_queries):
    def add_project(n):
        project = factories.ProjectFactory(
            code=f"P{n:02d}", name=f"Project {n}", currency=world["alpha_project"].currency
        )
        project.team_members.add(mo)
        for day in range(5):
            time_entry_record(member=mo, project=project, date=dt.date(2025, 3, 10 + day), hours=D("1"), actor=member)

    add_project(0)
    logged_in.get(URL)
    # 7: the open tasks of the projects, offered to the form that logs one entry, among them.
    with django_assert_num_queries(7) as one:
        assert logged_in.get(URL).status_code == 200
    for n in range(1, 9):
        add_project(n)  # ten projects with ALPHA-1
    with django_assert_num_queries(len(one.captured_queries)):
        body = logged_in.get(URL).content.decode()
    assert len(re.findall(r'<input type="number" step="0.25"', body)) == 70


def test_a_day_already_over_24_hours_does_not_block_saving_other_days(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    other = factories.ProjectFactory(code="ZETA-1", name="Zeta Project", currency=alpha.currency)
    other.team_members.add(mo)
    monday = dt.date(2025, 3, 10)
    time_entry_record(member=mo, project=alpha, date=monday, hours=D("20"), actor=member)
    # Stored before any check refused it (an import, an older version): written past the services.
    time_entry_costed(member=mo, project=other, date=monday, hours=D("10"), actor=member).save()
    data = {_cell(alpha, monday): "20", _cell(other, monday): "10", _cell(alpha, dt.date(2025, 3, 11)): "5"}
    assert logged_in.post(URL, data).status_code == 302
    assert TimeEntry.objects.filter(date=dt.date(2025, 3, 11)).count() == 1


def _page_fields(client) -> dict[str, str]:
    """What the grid's form posts as loaded: every input of the grid (cells and their hidden original hours)."""
    body = client.get(URL).content.decode()
    grid = body.split('id="timesheet-grid"', 1)[1].split("</form>", 1)[0]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", grid):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        if name != "csrfmiddlewaretoken":
            fields[name] = re.search(r'value="([^"]*)"', tag).group(1)
    return fields


def test_a_cell_left_out_of_the_post_is_kept(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    monday, tuesday = dt.date(2025, 3, 10), dt.date(2025, 3, 11)
    time_entry_record(member=mo, project=alpha, date=monday, hours=D("3"), note="kick-off call", actor=member)
    response = logged_in.post(URL, {_cell(alpha, tuesday): "4"}, follow=True)
    assert "Timesheet saved: 1 added, 0 changed, 0 removed." in response.content.decode()
    monday_entry = TimeEntry.objects.get(date=monday)
    assert (monday_entry.hours, monday_entry.note) == (D("3.00"), "kick-off call")
    assert TimeEntry.objects.get(date=tuesday).hours == D("4.00")


def test_a_day_over_24_hours_counts_the_cells_left_out_of_the_post(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    other = factories.ProjectFactory(code="ZETA-1", name="Zeta Project", currency=alpha.currency)
    other.team_members.add(mo)
    monday = dt.date(2025, 3, 10)
    time_entry_record(member=mo, project=alpha, date=monday, hours=D("20"), actor=member)
    body = logged_in.post(URL, {_cell(other, monday): "5"}).content.decode()
    assert "Mon 10 Mar: 25 h in one day; a day has at most 24 hours." in body
    assert _entries() == [("ALPHA-1", "2025-03-10", D("20.00"), D("1100.00"))]


def test_the_grid_posts_the_hours_each_cell_showed(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    monday, tuesday = dt.date(2025, 3, 10), dt.date(2025, 3, 11)
    time_entry_record(member=mo, project=alpha, date=monday, hours=D("3"), actor=member)
    fields = _page_fields(logged_in)
    assert fields[_cell(alpha, monday)] == "3.00"
    assert fields["was-" + _cell(alpha, monday)] == "3.00"
    assert fields["was-" + _cell(alpha, tuesday)] == ""
    # Saved as loaded and changed: the original hours match, so it goes through.
    response = logged_in.post(URL, {**fields, _cell(alpha, monday): "5"}, follow=True)
    assert "Timesheet saved: 0 added, 1 changed, 0 removed." in response.content.decode()


def test_a_stale_tab_cannot_overwrite_time_logged_after_it_was_opened(logged_in, world, mo, member):
    alpha = world["alpha_project"]
    monday, tuesday = dt.date(2025, 3, 10), dt.date(2025, 3, 11)
    stale = _page_fields(logged_in)  # the grid opened in a tab while the week is empty
    time_entry_record(member=mo, project=alpha, date=monday, hours=D("3"), note="call", actor=member)
    response = logged_in.post(URL, {**stale, _cell(alpha, tuesday): "4"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved." in body
    assert "Mon 10 Mar on ALPHA-1 changed since you opened the week: reload the page" in body
    assert _entries() == [("ALPHA-1", "2025-03-10", D("3.00"), D("165.00"))]
    # A change made in the other tab (hours edited, not only added) is protected the same way.
    fresh = _page_fields(logged_in)
    TimeEntry.objects.filter(date=monday).update(hours=D("2"))
    logged_in.post(URL, {**fresh, _cell(alpha, monday): "6"})
    assert TimeEntry.objects.get(date=monday).hours == D("2.00")
    # Reloaded, the save goes through.
    fresh = _page_fields(logged_in)
    response = logged_in.post(URL, {**fresh, _cell(alpha, tuesday): "4"}, follow=True)
    assert "Timesheet saved: 1 added, 0 changed, 0 removed." in response.content.decode()
    assert TimeEntry.objects.get(date=monday).note == "call"


def test_a_bad_original_value_is_refused_with_a_message(logged_in, world):
    alpha = world["alpha_project"]
    monday = dt.date(2025, 3, 10)
    body = logged_in.post(URL, {_cell(alpha, monday): "4", "was-" + _cell(alpha, monday): "lots"}).content.decode()
    assert "Alpha Project, Mon 10 Mar: the page sent a bad original value; reload the page." in body
    assert TimeEntry.objects.count() == 0


def test_a_save_costs_its_new_cells_together_whatever_their_number(logged_in, world, mo):
    """Seven new cells cost no more queries than one, but for each one's INSERT."""
    alpha = world["alpha_project"]

    def save(days: int, week: str) -> int:
        monday = dt.date.fromisocalendar(int(week[:4]), int(week[-2:]), 1)
        data = {_cell(alpha, monday + dt.timedelta(days=n)): "2" for n in range(days)}
        with CaptureQueriesContext(connection) as captured:
            response = logged_in.post(reverse("projects:timesheet") + f"?week={week}", data)
        assert response.status_code == 302
        return len(captured.captured_queries)

    save(1, "2025-W08")  # warm the session
    one = save(1, "2025-W09")
    assert save(7, "2025-W10") - one <= 6
    assert TimeEntry.objects.count() == 9
