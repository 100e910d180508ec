"""The allocations endpoint: the bookings the team tab shows, filtered by project, person and dates; no money;
a fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Allocation
from teams.models import TeamMember
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings(world):
    mo = TeamMember.objects.get(name="Mo Member")
    factories.AllocationFactory(project=world["alpha_project"], member=mo, hours_per_week=Decimal("15"))
    factories.AllocationFactory(
        project=world["alpha_project"],
        member=mo,
        status="tentative",
        start_date=dt.date(2025, 6, 2),
        end_date=dt.date(2025, 6, 30),
    )
    factories.AllocationFactory(project=world["beta_project"], member=mo)
    return mo


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize(("who", "count"), [("pm", 2), ("member", 2), ("head", 2), ("outside_head", 3)])
def test_the_team_sees_the_bookings_of_the_projects_it_sees(world, users, who, count, bookings, api_as):
    # The outside head reports on ALPHA-1 and heads BETA-1's department.
    assert len(_rows(api_as(users[who]).get("/api/v1/allocations/"))) == count


def test_a_booking_says_who_where_how_much_and_nothing_of_money(world, pm, bookings, api_as):
    row = _rows(api_as(pm).get("/api/v1/allocations/", {"status": "confirmed"}))[0]
    assert row["project"] == "ALPHA-1"
    assert row["person"] == bookings.pk
    assert row["person_name"] == "Mo Member"
    assert row["hours_per_week"] == "15.00"
    assert row["percent"] == "40.0"  # of 37.5 hours a week
    assert row["tentative"] is False
    assert not {"money", "cost", "rate"} & set(row)


def test_filters_by_project_person_and_dates(world, pm, bookings, api_as):
    client = api_as(pm)
    assert len(_rows(client.get("/api/v1/allocations/", {"project": "ALPHA-1"}))) == 2
    assert len(_rows(client.get("/api/v1/allocations/", {"project": "BETA-1"}))) == 0
    assert len(_rows(client.get("/api/v1/allocations/", {"person": bookings.pk}))) == 2
    assert [r["tentative"] for r in _rows(client.get("/api/v1/allocations/", {"from": "2025-05-01"}))] == [True]
    assert [r["tentative"] for r in _rows(client.get("/api/v1/allocations/", {"to": "2025-05-01"}))] == [False]
    assert client.get("/api/v1/allocations/", {"from": "yesterday"}).status_code == 400


def test_anothers_booking_is_a_404_and_a_client_gets_a_403(world, pm, client_user, bookings, api_as):
    other = Allocation.objects.get(project=world["beta_project"])
    assert api_as(pm).get(f"/api/v1/allocations/{other.pk}/").status_code == 404
    assert api_as(client_user).get("/api/v1/allocations/").status_code == 403


def test_the_list_takes_the_same_queries_for_5_or_200_bookings(world, pm, api_as):
    client = api_as(pm)
    client.get("/api/v1/allocations/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        Allocation.objects.all().delete()
        people = factories.TeamMemberFactory.create_batch(total)
        Allocation.objects.bulk_create(
            Allocation(
                project=world["alpha_project"],
                member=person,
                hours_per_week=Decimal(10),
                start_date=dt.date(2025, 3, 3),
                end_date=dt.date(2025, 4, 27),
            )
            for person in people
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/allocations/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
