"""The capacity heatmap's pages and filters: 50 people a page, a name search, "on my projects", bad values
in the URL answered with the nearest page or a message, and the same number of queries for 1 or 120 people."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.staffing.selectors import heatmap_rows
from teams.capacity import week_start
from tests.factories import AllocationFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db

URL = reverse("staffing:capacity")


@pytest.fixture(autouse=True)
def _wednesday_5_march_2025():
    with time_machine.travel(dt.datetime(2025, 3, 5, 9, tzinfo=dt.UTC), tick=False):
        yield


def _people(n, department, start=0):
    """``n`` people named A000… (before the world's Mo Member) in ``department``, each booked twice
    (confirmed and tentative) on projects of their own."""
    people = [TeamMemberFactory(name=f"A{i:03d}", department=department) for i in range(start, start + n)]
    for person in people:
        AllocationFactory(member=person, hours_per_week=Decimal("10"))
        AllocationFactory(member=person, hours_per_week=Decimal("5"), status="tentative")
    return people


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row" class="sticky-col"><a href="[^"]+">([^<]+)</a>', page)


def _get(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_50_people_a_page_with_the_shared_page_links(client, pm, world):
    _people(120, world["alpha"])
    client.force_login(pm)

    first = _get(client, department=world["alpha"].pk)
    second = _get(client, department=world["alpha"].pk, page=2)
    last = _get(client, department=world["alpha"].pk, page=3)

    assert _names(first) == [f"A{i:03d}" for i in range(50)]
    assert _names(second) == [f"A{i:03d}" for i in range(50, 100)]
    assert _names(last) == [f"A{i:03d}" for i in range(100, 120)] + ["Mo Member"]
    assert "121 people · page 2 of 3, showing 51\u2013100." in second
    assert '<li class="page-item active" aria-current="page"><span class="page-link">2</span></li>' in second
    assert f"department={world['alpha'].pk}&amp;page=3" in second  # the links keep the filter


@pytest.mark.parametrize(("page", "expected"), [("abc", "A000"), ("", "A000"), ("2.5", "A000"), ("99999", "A100")])
def test_it_answers_a_bad_page_with_the_nearest_one(client, pm, world, page, expected):
    _people(120, world["alpha"])
    client.force_login(pm)
    assert _names(_get(client, department=world["alpha"].pk, page=page))[0] == expected


def test_it_says_so_and_shows_everyone_for_a_department_it_does_not_know(client, pm, world):
    _people(3, world["alpha"])
    client.force_login(pm)
    for value in ("abc", "99999", "99999999999999999999999"):
        page = _get(client, department=value)
        assert "No such department: showing all departments." in page
        assert "A000" in page


def test_it_finds_people_by_part_of_their_name(client, pm, world):
    _people(3, world["alpha"])
    TeamMemberFactory(name="Zoë Quinn", department=world["alpha"])
    client.force_login(pm)

    assert _names(_get(client, q="quin")) == ["Zoë Quinn"]
    assert "No people to show with these filters." in _get(client, q="nobody by that name")
    assert 'value="quin"' in _get(client, q="quin")  # the search box keeps it
    assert _names(_get(client, q="qu\x00in")) == ["Zoë Quinn"]  # a NUL (which PostgreSQL refuses) is dropped


def test_it_shows_only_people_booked_on_my_projects_when_asked(client, pm, world):
    on_mine, _elsewhere = _people(2, world["alpha"])
    AllocationFactory(member=on_mine, project=world["alpha_project"])
    cancelled = TeamMemberFactory(name="Cancelled", department=world["alpha"])
    AllocationFactory(member=cancelled, project=world["alpha_project"], status="cancelled")
    client.force_login(pm)

    assert _names(_get(client, mine="1")) == ["A000"]
    assert set(_names(_get(client))) >= {"A000", "A001", "Cancelled"}


def test_it_runs_the_same_queries_for_one_person_and_for_120(client, pm, world, django_assert_num_queries):
    (first,) = _people(1, world["alpha"])
    AllocationFactory(member=first, project=world["alpha_project"])
    client.force_login(pm)
    client.get(URL)  # the session and anything cached once
    filters = {"q": "a", "mine": "1", "department": world["alpha"].pk}

    with django_assert_num_queries(8):
        assert len(_names(_get(client, **filters))) == 1
    for person in _people(119, world["alpha"], start=1):
        AllocationFactory(member=person, project=world["alpha_project"])
    with django_assert_num_queries(8):
        assert len(_names(_get(client, **filters, page=2))) == 50
    with django_assert_num_queries(8):
        assert len(_names(_get(client, weeks=26))) == 50


def test_it_precomputes_each_cell_as_the_page_writes_it(world):
    eve = TeamMemberFactory(name="Eve", department=world["alpha"], weekly_capacity_hours=Decimal("37.5"))
    AllocationFactory(member=eve, hours_per_week=Decimal("40"))
    AllocationFactory(member=eve, hours_per_week=Decimal("7.5"), status="tentative")
    monday = week_start(dt.date(2025, 3, 5))

    (row,) = heatmap_rows(people=[eve], weeks=[monday, monday + dt.timedelta(weeks=8)])

    assert row.weekly_hours == "37.50"
    booked, free = row.cells
    assert (booked.text, booked.tentative_text, booked.css_class) == ("107%", "+20% t", "util-over heat-over")
    assert booked.title == "40 of 37.5 h confirmed, 7.5 h tentative — OVER-ALLOCATED"
    assert (free.text, free.tentative_text, free.title) == ("0%", "", "0 of 37.5 h confirmed")
