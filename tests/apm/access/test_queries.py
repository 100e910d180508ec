"""The shape and cost of the visibility querysets (found by the load test, bench/load/).

On 10,000 projects an OR across joins of the four link tables (team,
reporting heads, departments, department heads) cost 60-140 ms a query; the
rule is now a UNION of one query per link. These tests hold the shape and
that a project reached through several links is counted once.
"""

from __future__ import annotations

from collections import OrderedDict

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


# --- Rules built once (apm.access.base.built) ----------------------------------------------------


def test_a_kept_rule_reads_the_data_as_it_is_when_it_runs(db):
    """The rule is kept between requests (new user objects), but what it finds is read at each query."""
    from apm.accounts.models import User

    pm = factories.UserFactory(username="keeper", role=Role.PROJECT_MANAGER)
    project = factories.ProjectFactory(code="KEEP-1")
    assert not access.see_project.allows(User.objects.get(pk=pm.pk), project)
    project.project_manager = pm
    project.save()
    assert access.see_project.allows(User.objects.get(pk=pm.pk), project)
    project.project_manager = factories.UserFactory(role=Role.PROJECT_MANAGER)
    project.save()
    assert not access.see_project.allows(pm, project)


def test_a_kept_rule_is_built_again_when_the_role_or_a_flag_changes(db):
    user = factories.UserFactory(username="mover", role=Role.PROJECT_MANAGER)
    factories.ProjectFactory(code="MOVE-1")
    assert access.see_project.queryset(user).count() == 0
    user.role = Role.ADMINISTRATOR
    user.save()
    assert access.see_project.queryset(user).count() == 1
    user.is_active = False
    user.save()
    assert access.see_project.queryset(user).count() == 0


def test_a_kept_rule_is_a_fresh_copy_each_time_and_one_per_user(db):
    first = factories.UserFactory(username="first", role=Role.PROJECT_MANAGER)
    second = factories.UserFactory(username="second", role=Role.PROJECT_MANAGER)
    mine = factories.ProjectFactory(code="FIRST-1", project_manager=first)
    one, two = access.see_project.queryset(first), access.see_project.queryset(first)
    assert one is not two
    assert one.query is not two.query
    assert list(one) == [mine]
    assert list(access.see_project.queryset(second)) == []


def test_a_setting_changed_builds_the_rules_again(db, settings, monkeypatch):
    from apm.access import base

    monkeypatch.setattr(base._built, "entries", OrderedDict())
    user = factories.UserFactory(username="setter", role=Role.PROJECT_MANAGER)
    generation = base._generation
    access.see_project.queryset(user)
    settings.APM_INTERNAL_EMAIL_DOMAINS = ["example.org"]
    assert base._generation == generation + 1
    access.see_project.queryset(user)
    built = [key for key in base._built.entries if key[1:3] == ("capability", "see_project") and key[3] == user.pk]
    assert [key[0] for key in built] == [generation, generation + 1]


def test_no_more_rules_are_kept_than_the_bound(db, monkeypatch):
    """Past the bound the oldest are dropped: the users asked last keep theirs (a rule and its projects each)."""
    from apm.access import base

    monkeypatch.setattr(base, "BUILT_KEPT", 4)
    monkeypatch.setattr(base._built, "entries", OrderedDict())
    users = [factories.UserFactory(username=f"many{i}", role=Role.PROJECT_MANAGER) for i in range(5)]
    for user in users:
        access.see_project.queryset(user)
    assert len(base._built.entries) == 4
    assert {key[-4] for key in base._built.entries} == {users[3].pk, users[4].pk}


# --- The rule as a subquery, and its ids -----------------------------------------------------------


def _subquery(sql: str) -> str:
    """What the outer query's ``IN (...)`` holds."""
    return sql.split(" IN (", 1)[1]


def test_as_a_filter_value_the_rule_is_its_union_alone(tangled):
    """``project__in=rule`` names the union, not every project joined to it (PostgreSQL cannot foresee its size)."""
    from projects.models import Milestone

    user, _ = tangled
    for value in (access.see_project.queryset(user), access.see_project.queryset(user).values("pk")):
        inner = _subquery(str(Milestone.objects.filter(project__in=value).query))
        first_link = inner.split(" UNION ", 1)[0]
        assert " UNION " in inner
        # Wrapped, the first part would be ``SELECT V0."id" FROM "projects_project" V0 WHERE V0."id" IN (...``.
        assert "project_manager_id" in first_link
        assert '"id" IN (' not in first_link


def test_a_rule_narrowed_any_further_is_not_taken_for_its_union(tangled):
    from projects.models import Milestone

    user, mine = tangled
    narrowed = access.see_project.queryset(user).filter(code="MINE-1")
    sql = str(Milestone.objects.filter(project__in=narrowed).query)
    assert "MINE-1" in sql
    factories.MilestoneFactory(project=mine[0])
    kept = factories.MilestoneFactory(project=mine[1])
    assert list(Milestone.objects.filter(project__in=narrowed)) == [kept]
    assert list(Milestone.objects.filter(project__in=access.see_project.queryset(user).exclude(code="MINE-0"))) == [
        kept
    ]
    assert Milestone.objects.filter(project__in=access.see_project.queryset(user)[:1]).count() == 1


def test_the_ids_are_read_afresh_each_time(tangled, django_assert_num_queries):
    user, mine = tangled
    with django_assert_num_queries(1):
        assert access.see_project.ids(user) == frozenset(p.pk for p in mine)
    added = factories.ProjectFactory(code="MINE-9", project_manager=user)
    assert access.see_project.ids(user) == frozenset(p.pk for p in [*mine, added])
    assert access.see_project.ids(factories.UserFactory(role=Role.ADMINISTRATOR)) is None
    assert access.see_project.ids(factories.UserFactory(role=Role.PROJECT_MANAGER)) == frozenset()
