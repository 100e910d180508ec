"""The people, skills and departments endpoints: people as the people pages show them (``see_member``), with
skills and levels; rates in ``money`` only for ``see_member_rates``; a fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from teams.models import MemberRate, MemberSkill, TeamMember
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    mo = TeamMember.objects.get(name="Mo Member")
    MemberRate.objects.create(
        member=mo, cost_rate=Decimal("40.00"), bill_rate=Decimal("90.00"), valid_from=dt.date(2025, 1, 1)
    )
    factories.MemberSkillFactory(member=mo, skill=factories.SkillFactory(name="Django"), level=4)
    stranger = factories.TeamMemberFactory(name="Sam Stranger", department=world["beta"])
    return {"mo": mo, "stranger": stranger}


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("pm", ["Mo Member", "Sam Stranger"]),  # a PM staffs from the whole pool
        ("member", ["Mo Member"]),
        ("head", ["Mo Member"]),
        ("outside_head", ["Mo Member", "Sam Stranger"]),
        ("admin", ["Mo Member", "Sam Stranger"]),
    ],
)
def test_people_are_those_the_people_pages_show(world, users, who, seen, people, api_as):
    assert _names(api_as(users[who]).get("/api/v1/people/")) == seen


@pytest.mark.parametrize(("who", "rates"), [("head", True), ("admin", True), ("pm", False), ("member", False)])
def test_rates_only_for_the_heads_of_the_persons_department(world, users, who, rates, people, api_as):
    row = api_as(users[who]).get(f"/api/v1/people/{people['mo'].pk}/").json()
    assert row["skills"] == [{"skill": row["skills"][0]["skill"], "name": "Django", "level": 4, "last_assessed": None}]
    assert row["department"] == "ALPHA"
    if rates:
        assert row["money"] == {
            "rates": [
                {
                    "cost_rate": "40.00",
                    "bill_rate": "90.00",
                    "currency": "GBP",
                    "valid_from": "2025-01-01",
                    "valid_to": None,
                }
            ]
        }
    else:
        assert row["money"] is None


def test_someone_unseen_is_a_404_and_a_client_gets_a_403(world, member, client_user, people, api_as):
    assert api_as(member).get(f"/api/v1/people/{people['stranger'].pk}/").status_code == 404
    for url in ("/api/v1/people/", "/api/v1/skills/", "/api/v1/departments/"):
        assert api_as(client_user).get(url).status_code == 403


def test_people_filter_by_department_and_skill(world, pm, people, api_as):
    client = api_as(pm)
    assert _names(client.get("/api/v1/people/", {"department": "BETA"})) == ["Sam Stranger"]
    django = MemberSkill.objects.get().skill_id
    assert _names(client.get("/api/v1/people/", {"skill": django})) == ["Mo Member"]


def test_the_skills_catalogue_and_the_departments_one_sees(world, member, head, people, api_as):
    skills = api_as(member).get("/api/v1/skills/").json()["results"]
    assert [skill["name"] for skill in skills] == ["Django"]
    codes = [row["code"] for row in api_as(head).get("/api/v1/departments/").json()["results"]]
    assert codes == ["ALPHA"]


def test_the_people_list_takes_the_same_queries_for_5_or_200_people(world, admin_user, api_as):
    client = api_as(admin_user)
    client.get("/api/v1/people/")  # the token's first use is stamped once
    skill = factories.SkillFactory(name="Python")
    counts = []
    for total in (5, 200):
        TeamMember.objects.all().delete()
        made = TeamMember.objects.bulk_create(
            TeamMember(name=f"P{n:03}", department=world["alpha"]) for n in range(total)
        )
        MemberSkill.objects.bulk_create(MemberSkill(member=person, skill=skill, level=3) for person in made)
        MemberRate.objects.bulk_create(
            MemberRate(member=person, cost_rate=1, bill_rate=2, valid_from=dt.date(2025, 1, 1)) for person in made
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/people/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_skills_list_takes_the_same_queries_for_5_or_200_skills(world, pm, api_as):
    client = api_as(pm)
    client.get("/api/v1/skills/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        MemberSkill.objects.all().delete()
        factories.SkillFactory._meta.model.objects.all().delete()
        factories.SkillFactory.create_batch(total, category=factories.SkillCategoryFactory(name="Tools"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/skills/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_departments_list_takes_the_same_queries_for_5_or_200_departments(world, admin_user, api_as):
    client = api_as(admin_user)
    client.get("/api/v1/departments/")  # the token's first use is stamped once
    counts = []
    made = 0
    for total in (5, 200):
        for n in range(made, total):
            factories.TeamMemberFactory(department=factories.DepartmentFactory(code=f"D-{n}"))
        made = total
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/departments/", {"page_size": 200})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("pk", ["9223372036854775808", "1.5", "-1", "abc"])
def test_an_id_no_database_holds_is_a_404_problem(world, pm, pk, api_as):
    response = api_as(pm).get(f"/api/v1/people/{pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("skill", ["9223372036854775808", "1.5", "x"])
def test_an_id_filter_no_database_holds_is_a_400_problem(world, pm, skill, api_as):
    response = api_as(pm).get("/api/v1/people/", {"skill": skill})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
