"""The budget API: time entries (one's own, and those one approves; filed through the timesheet's service) and
budgets with earned value (only where one sees the money)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.budget import figures
from projects.budget.services.approval import timesheet_week_submit
from projects.budget.services.costs import time_entry_costed, time_entry_record
from projects.models import Task, TimeEntry
from tests import factories

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=dt.UTC), tick=False):
        yield


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.fixture
def logged(world, mo, member):
    """Mo's two entries on ALPHA-1: Monday's submitted, Tuesday's not."""
    alpha = world["alpha_project"]
    time_entry_record(member=mo, project=alpha, date=MONDAY, hours=Decimal("7.5"), actor=member)
    timesheet_week_submit(member=mo, week_start=MONDAY, actor=member)
    time_entry_record(member=mo, project=alpha, date=MONDAY + dt.timedelta(days=1), hours=Decimal("2"), actor=member)
    return alpha


def _codes(response):
    assert response.status_code == 200, response.content
    return [(row["date"], row["approval"]) for row in response.json()["results"]]


def test_a_member_lists_their_own_entries_with_hours_and_no_money(logged, member, api_as):
    response = api_as(member).get("/api/v1/time-entries/")
    assert _codes(response) == [("2025-03-11", "open"), ("2025-03-10", "submitted")]
    rows = response.json()["results"]
    assert [row["hours"] for row in rows] == ["2.00", "7.50"]
    assert all(row["money"] is None for row in rows)
    assert "cost" not in rows[0]


def test_approvers_see_submitted_entries_with_money_and_others_see_none(
    logged, pm, head, outside_head, admin_user, api_as
):
    for approver in (pm, head):
        rows = api_as(approver).get("/api/v1/time-entries/").json()["results"]
        assert [(row["date"], row["approval"]) for row in rows] == [("2025-03-10", "submitted")]
        assert rows[0]["money"]["cost"] == "412.50"
        assert rows[0]["money"]["cost_rate"] == "55.00"
        assert rows[0]["person_name"] == "Mo Member"
    # A reporting head sees the project's money but does not approve its time.
    assert _codes(api_as(outside_head).get("/api/v1/time-entries/")) == []
    entry = TimeEntry.objects.get(date=MONDAY)
    _problem(api_as(outside_head).get(f"/api/v1/time-entries/{entry.pk}/"), 404)
    assert api_as(pm).get(f"/api/v1/time-entries/{entry.pk}/").json()["money"]["currency"]


def test_a_client_token_gets_a_403_on_time_and_budgets(logged, client_user, api_as):
    client = api_as(client_user)
    _problem(client.get("/api/v1/time-entries/"), 403)
    _problem(client.get("/api/v1/budgets/"), 403)


def test_the_filters_narrow_the_list_and_junk_dates_are_a_400(logged, member, mo, api_as):
    client = api_as(member)
    assert _codes(client.get("/api/v1/time-entries/?approval=submitted")) == [("2025-03-10", "submitted")]
    assert _codes(client.get("/api/v1/time-entries/?date_from=2025-03-11")) == [("2025-03-11", "open")]
    assert _codes(client.get("/api/v1/time-entries/?date_to=2025-03-10")) == [("2025-03-10", "submitted")]
    assert len(_codes(client.get(f"/api/v1/time-entries/?project=ALPHA-1&person={mo.pk}"))) == 2
    assert _codes(client.get("/api/v1/time-entries/?project=BETA-1")) == []
    _problem(client.get("/api/v1/time-entries/?date_from=yesterday"), 400)
    _problem(client.get("/api/v1/time-entries/?approval=maybe"), 400)


def test_a_write_token_files_a_time_entry_through_the_service(world, mo, member, api_as):
    client = api_as(member, write=True)
    assert [row["code"] for row in client.get("/api/v1/projects/").json()["results"]] == ["ALPHA-1"]
    response = client.post(
        "/api/v1/time-entries/",
        {"project": "ALPHA-1", "date": "2025-03-12", "hours": "3.25", "note": "Workshop"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["project"], body["hours"], body["approval"], body["money"]) == ("ALPHA-1", "3.25", "open", None)
    entry = TimeEntry.objects.get()
    assert (entry.member, entry.cost, entry.created_by, entry.note) == (mo, Decimal("178.75"), member, "Workshop")


def test_a_read_token_may_not_file_time(world, mo, member, api_as):
    body = {"project": "ALPHA-1", "date": "2025-03-12", "hours": "1"}
    _problem(api_as(member).post("/api/v1/time-entries/", body, format="json"), 403)
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"project": "ALPHA-1", "date": "2025-03-12", "hours": "-1"},
        {"project": "ALPHA-1", "date": "2025-03-12", "hours": "25"},
        {"project": "ALPHA-1", "date": "2025-03-12", "hours": "lots"},
        {"project": "NOPE-9", "date": "2025-03-12", "hours": "1"},
        {"project": "BETA-1", "date": "2025-03-12", "hours": "1"},
        {"project": "ALPHA-1", "date": "12/03/2025", "hours": "1"},
        {"project": "ALPHA-1", "date": "0001-01-01", "hours": "1"},
        {"project": "ALPHA-1", "date": "2025-03-12", "hours": "1", "task": 999999},
        {"project": ["ALPHA-1"], "date": "2025-03-12", "hours": "1"},
        {"date": "2025-03-12", "hours": "1"},
    ],
)
def test_bad_input_is_a_400_problem_that_writes_nothing(world, mo, member, api_as, body):
    response = api_as(member, write=True).post("/api/v1/time-entries/", body, format="json")
    assert _problem(response, 400)["errors"]
    assert not TimeEntry.objects.exists()


def test_a_refusal_of_the_service_is_a_400_with_its_sentence(world, mo, member, api_as):
    client = api_as(member, write=True)
    first = {"project": "ALPHA-1", "date": "2025-03-12", "hours": "20"}
    assert client.post("/api/v1/time-entries/", first, format="json").status_code == 201
    body = _problem(client.post("/api/v1/time-entries/", {**first, "hours": "5"}, format="json"), 400)
    assert "24" in body["detail"]
    assert TimeEntry.objects.count() == 1


def test_only_people_with_a_timesheet_file_time(world, pm, api_as):
    _problem(api_as(pm, write=True).post("/api/v1/time-entries/", {}, format="json"), 403)


def test_a_task_of_another_project_is_refused(world, mo, member, api_as):
    other = Task.objects.create(project=world["beta_project"], title="Elsewhere")
    body = {"project": "ALPHA-1", "date": "2025-03-12", "hours": "1", "task": other.pk}
    _problem(api_as(member, write=True).post("/api/v1/time-entries/", body, format="json"), 400)
    assert not TimeEntry.objects.exists()


def _entries(mo, project, count):
    entries = [
        time_entry_costed(member=mo, project=project, date=MONDAY - dt.timedelta(days=day), hours=Decimal("1"))
        for day in range(count)
    ]
    for entry in entries:
        entry.save()
    figures.refresh([project.pk])


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_the_time_entry_list_takes_the_same_queries_for_5_and_200_entries(world, mo, member, pm, api_as):
    alpha = world["alpha_project"]
    _entries(mo, alpha, 5)
    TimeEntry.objects.update(approval="submitted")
    few = _count(api_as(pm), "/api/v1/time-entries/?page_size=200")
    TimeEntry.objects.all().delete()
    _entries(mo, alpha, 200)
    TimeEntry.objects.update(approval="submitted")
    figures.refresh([alpha.pk])
    many = _count(api_as(pm), "/api/v1/time-entries/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


# --- Budgets --------------------------------------------------------------------------------------------------


def test_budgets_are_listed_only_where_the_money_is_seen(world, mo, member, pm, head, outside_head, api_as):
    for who, codes in ((pm, ["ALPHA-1"]), (head, ["ALPHA-1"]), (outside_head, ["ALPHA-1", "BETA-1"])):
        rows = api_as(who).get("/api/v1/budgets/").json()["results"]
        assert [row["code"] for row in rows] == codes
        assert rows[0]["money"]["bac"] is not None
    assert api_as(member).get("/api/v1/budgets/").json()["results"] == []
    _problem(api_as(member).get("/api/v1/budgets/ALPHA-1/"), 404)
    _problem(api_as(pm).get("/api/v1/budgets/BETA-1/"), 404)


def test_a_budget_shows_the_figures_of_the_budget_page(logged, pm, api_as):
    from projects.budget.selectors import project_metrics

    logged.bac = Decimal("10000")
    logged.save()
    body = api_as(pm).get("/api/v1/budgets/ALPHA-1/?as_of=2025-03-12").json()
    metrics = project_metrics(project=logged, as_of=dt.date(2025, 3, 12))
    assert body["as_of"] == "2025-03-12"
    assert body["money"]["bac"] == f"{metrics.bac:.2f}" == "10000.00"
    assert body["money"]["ac"] == f"{metrics.ac:.2f}"
    assert body["money"]["eac"] == f"{metrics.eac:.2f}"
    assert body["money"]["currency"] == logged.currency
    assert body["tolerance"]["state"] in ("within", "exception")
    assert body["cpi"] == (None if metrics.cpi is None else f"{metrics.cpi:.4f}")


def test_the_budget_list_takes_the_same_queries_for_5_and_200_projects(world, pm, api_as):
    def make(count):
        for _ in range(count):
            factories.ProjectFactory(project_manager=pm, departments=[world["alpha"]], bac=Decimal("1000"))

    make(4)  # and ALPHA-1
    few = _count(api_as(pm), "/api/v1/budgets/?page_size=200")
    make(195)
    many = _count(api_as(pm), "/api/v1/budgets/?page_size=200")
    assert (few[1], many[1]) == (5, 200)
    assert few[0] == many[0]


def test_a_token_limited_to_other_projects_files_no_time(world, mo, member, api_as):
    beta = world["beta_project"]
    beta.team_members.add(mo)
    limited = api_as(member, write=True, projects=[beta])
    body = {"project": "ALPHA-1", "date": "2025-03-12", "hours": "1"}
    _problem(limited.post("/api/v1/time-entries/", body, format="json"), 400)
    assert not TimeEntry.objects.exists()
