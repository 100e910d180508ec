"""The shape and cost of the visibility querysets (found by the load test, bench/load/).

On 10,000 projects an OR across joins of the four link tables (team,
reporting heads, departments, department heads) cost 60-140 ms a query; the
rule is now a UNION of one query per link. These tests hold the shape and
that a project reached through several links is counted once.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm import access
from apm.accounts.models import Role
from tests import factories


@pytest.fixture
def tangled(db):
    """A head who is also PM, team member and reporting head of the same projects, in two departments."""
    user = factories.UserFactory(username="tangled", role=Role.DEPARTMENT_HEAD)
    person = factories.TeamMemberFactory(user=user)
    one, two = factories.DepartmentFactory(code="ONE"), factories.DepartmentFactory(code="TWO")
    one.heads.add(user)
    two.heads.add(user)
    mine = [
        factories.ProjectFactory(code=f"MINE-{i}", project_manager=user, departments=[one, two], reporting_heads=[user])
        for i in range(4)
    ]
    for project in mine:
        project.team_members.add(person, factories.TeamMemberFactory())
    factories.ProjectFactory(code="OTHER-1", departments=[factories.DepartmentFactory(code="THREE")])
    return user, mine


def test_it_counts_a_project_reached_through_every_link_once(tangled, django_assert_num_queries):
    user, mine = tangled
    with django_assert_num_queries(2):
        assert access.see_project.queryset(user).count() == 4
        assert access.see_money.queryset(user).count() == 4
    assert sorted(access.see_project.queryset(user).values_list("code", flat=True)) == [p.code for p in mine]


@pytest.mark.parametrize("rule", [access.see_project.queryset, access.see_money.queryset])
def test_it_filters_by_a_union_of_ids_without_joining_link_tables_in_the_outer_query(tangled, rule):
    user, _ = tangled
    sql = str(rule(user).query)
    outer = sql.split(" WHERE ", 1)[0]
    assert "JOIN" not in outer
    assert " UNION " in sql


def test_it_lists_projects_with_the_same_number_of_queries_for_one_link_and_many(
    client, tangled, django_assert_num_queries
):
    user, _ = tangled
    plain = factories.UserFactory(username="plain", role=Role.PROJECT_MANAGER)
    factories.ProjectFactory(code="PLAIN-1", project_manager=plain)
    client.force_login(plain)
    with CaptureQueriesContext(connection) as plain_queries:
        assert client.get("/projects/").status_code == 200
    client.force_login(user)
    with django_assert_num_queries(len(plain_queries.captured_queries)):
        response = client.get("/projects/")
    assert response.status_code == 200
    assert [p.code for p in response.context["projects"]] == ["MINE-0", "MINE-1", "MINE-2", "MINE-3"]
