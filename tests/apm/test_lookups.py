"""``field__any=ids`` (apm.lookups): one array on PostgreSQL, ``IN`` elsewhere; a frozenset prepared once."""

from __future__ import annotations

import pytest
from django.db import connection

from apm import lookups
from projects.models import Project
from tests import factories


@pytest.fixture
def three(db):
    return [factories.ProjectFactory(code=f"ANY-{n}") for n in range(3)]


def test_it_finds_the_same_rows_for_any_collection_of_ids(three):
    wanted = {three[0].pk, three[2].pk}
    for ids in (frozenset(wanted), set(wanted), sorted(wanted), (i for i in wanted)):
        assert set(Project.objects.filter(pk__any=ids).values_list("code", flat=True)) == {"ANY-0", "ANY-2"}
    assert not Project.objects.filter(pk__any=[]).exists()


def test_it_binds_one_array_on_postgresql_and_in_elsewhere(three):
    sql, params = Project.objects.filter(pk__any=frozenset(p.pk for p in three)).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY((SELECT %s::bigint[])::bigint[])" in sql
        assert params == ("{" + ",".join(str(p.pk) for p in sorted(three, key=lambda p: p.pk)) + "}",)
    else:
        assert " IN (" in sql
        assert sorted(params) == sorted(p.pk for p in three)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner of PostgreSQL")
def test_it_hides_the_ids_from_the_planner(three):
    """The plan filters on a parameter the subquery gives, never on the ids as a constant: a constant array of a
    thousand ids was estimated id by id while planning."""
    sql, params = Project.objects.filter(pk__any=frozenset(p.pk for p in three)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "ANY ($0)" in plan or "ANY ((InitPlan" in plan, plan
    assert "{" not in plan, plan


def test_a_frozenset_is_prepared_once_and_the_kept_ones_are_bounded(three, monkeypatch):
    monkeypatch.setattr(lookups, "_PREPARED", {})
    ids = frozenset(p.pk for p in three)
    first = Project.objects.filter(pk__any=ids).query.where.children[0].rhs
    again = Project.objects.filter(pk__any=ids).query.where.children[0].rhs
    assert first is again
    assert first == sorted(ids)
    for n in range(lookups.PREPARED_KEPT + 5):
        Project.objects.filter(pk__any=frozenset([n + 10_000]))
    assert len(lookups._PREPARED) <= lookups.PREPARED_KEPT
    # A list is not kept (it could change).
    listed = [three[0].pk]
    Project.objects.filter(pk__any=listed)
    assert all(not isinstance(key, list) for key in lookups._PREPARED)
