"""The status API: weekly updates (the cost rating and every figure only for those who see the money) and
milestones, for the project's team; client contacts are pointed to the portal."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def stranger(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="stranger", role=Role.PROJECT_MANAGER)


@pytest.fixture
def updates(world, pm):
    alpha, beta = world["alpha_project"], world["beta_project"]
    factories.StatusUpdateFactory(
        project=alpha,
        as_of=dt.date(2025, 3, 31),
        rag_time="green",
        rag_cost="red",
        commentary_budget="Over.",
        author=pm,
    )
    factories.StatusUpdateFactory(project=beta, as_of=dt.date(2025, 3, 31))
    done = dt.date(2025, 2, 1)
    factories.MilestoneFactory(project=alpha, name="Kick-off", due_date=done, completed_on=done)
    factories.MilestoneFactory(project=alpha, name="Beta", due_date=dt.date(2025, 4, 1))
    factories.MilestoneFactory(project=alpha, name="Launch", due_date=dt.date(2025, 6, 30))
    factories.MilestoneFactory(project=beta, name="Globex milestone", due_date=dt.date(2025, 6, 30))
    return alpha


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


#: Who sees which projects' rows: the outside head also heads BETA.
SEEN = {"pm": {"ALPHA-1"}, "member": {"ALPHA-1"}, "head": {"ALPHA-1"}, "outside_head": {"ALPHA-1", "BETA-1"}}


@pytest.mark.parametrize("who", sorted(SEEN))
def test_the_team_and_heads_see_alpha_updates_and_milestones(updates, users, api_as, who):
    client = api_as(users[who])
    rows = client.get("/api/v1/status-updates/").json()["results"]
    assert {row["project"] for row in rows} == SEEN[who]
    assert {row["project"] for row in client.get("/api/v1/milestones/").json()["results"]} == SEEN[who]
    milestones = client.get("/api/v1/milestones/?project=ALPHA-1").json()["results"]
    assert [row["name"] for row in milestones] == ["Kick-off", "Beta", "Launch"]
    assert [row["state"] for row in milestones] == ["done", "overdue", "upcoming"]


def test_money_and_the_cost_rating_only_for_those_who_see_money(updates, pm, member, api_as):
    row = api_as(pm).get("/api/v1/status-updates/").json()["results"][0]
    assert row["rag_time"] == "green"
    assert "rag_cost" not in row
    assert row["money"] == {
        "currency": "GBP",
        "rag_cost": "red",
        "commentary_budget": "Over.",
        "budget_period": "100000.00",
        "forecast_period": "110000.00",
        "variance_period": "10000.00",
        "whole_life_cost": "1000000.00",
        "withheld": {},
        "lessons_learned": "",
    }
    row = api_as(member).get("/api/v1/status-updates/").json()["results"][0]
    assert row["money"] is None
    assert row["rag_time"] == "green"
    assert "100000" not in str(row)
    assert "Over." not in str(row)


def test_someone_without_a_relationship_sees_nothing_and_gets_404(updates, stranger, api_as):
    client = api_as(stranger)
    assert client.get("/api/v1/status-updates/").json()["results"] == []
    assert client.get("/api/v1/milestones/").json()["results"] == []
    update = updates.status_updates.get()
    _problem(client.get(f"/api/v1/status-updates/{update.pk}/"), 404)
    _problem(client.get(f"/api/v1/milestones/{updates.milestones.first().pk}/"), 404)


def test_a_client_contact_gets_403(updates, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/status-updates/"), 403)
    _problem(api_as(client_user).get("/api/v1/milestones/"), 403)


def test_filters(updates, world, admin_user, api_as):
    client = api_as(admin_user)
    rows = client.get("/api/v1/status-updates/?project=BETA-1").json()["results"]
    assert [row["project"] for row in rows] == ["BETA-1"]
    rows = client.get("/api/v1/milestones/?project=ALPHA-1&state=overdue").json()["results"]
    assert [row["name"] for row in rows] == ["Beta"]
    _problem(client.get("/api/v1/milestones/?state=nonsense"), 400)


def test_a_token_limited_to_a_project_sees_only_its_rows(updates, world, admin_user, api_as):
    client = api_as(admin_user, projects=[world["beta_project"]])
    assert [row["project"] for row in client.get("/api/v1/status-updates/").json()["results"]] == ["BETA-1"]
    assert [row["name"] for row in client.get("/api/v1/milestones/").json()["results"]] == ["Globex milestone"]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_lists_take_as_many_queries_for_200_rows_as_for_5(world, pm, api_as):
    alpha = world["alpha_project"]
    client = api_as(pm)
    start = dt.date(2020, 1, 6)
    for week in range(5):
        factories.StatusUpdateFactory(project=alpha, as_of=start + dt.timedelta(weeks=week), author=pm)
        factories.MilestoneFactory(project=alpha)
    client.get("/api/v1/milestones/")  # the token's first use is recorded once
    few = {url: _count(client, url) for url in ("/api/v1/status-updates/", "/api/v1/milestones/")}
    for week in range(5, 200):
        factories.StatusUpdateFactory(project=alpha, as_of=start + dt.timedelta(weeks=week), author=pm)
        factories.MilestoneFactory(project=alpha)
    for url, count in few.items():
        assert _count(client, f"{url}?page_size=200") == count, url
