"""Fixtures of the bad-input suite: the access sweep's two-sided world, users by role, a whole-database print."""

from __future__ import annotations

import pytest
from django.apps import apps

from tests.access_world import World, build_world, populate

#: Tables that change on any request by design: sessions, django-axes' record of login attempts.
VOLATILE = {"sessions.Session", "axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"}


def row_prints() -> dict[str, dict[object, tuple]]:
    """Every row of every table, as ``{model label: {pk: (column values...)}}``.

    Two prints compare equal when no row was added, deleted or changed
    (whatever the column). Tens of milliseconds on the test world's few hundred rows.
    """
    prints: dict[str, dict[object, tuple]] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if model._meta.proxy or not model._meta.managed or label in VOLATILE:
            continue
        pk_index = [f.attname for f in model._meta.concrete_fields].index(model._meta.pk.attname)
        prints[label] = {row[pk_index]: row for row in model._default_manager.order_by().values_list()}
    return prints


def changed_rows(before: dict, after: dict) -> dict[str, dict[str, object]]:
    """Per model label, the pks ``added`` and ``deleted``, and ``changed`` as ``{pk: [column names]}``."""
    diff: dict[str, dict[str, object]] = {}
    for label, rows in after.items():
        old = before.get(label, {})
        columns = [f.name for f in apps.get_model(label)._meta.concrete_fields]
        added = [pk for pk in rows if pk not in old]
        changed = {
            pk: [name for name, a, b in zip(columns, old[pk], row, strict=True) if a != b]
            for pk, row in rows.items()
            if pk in old and old[pk] != row
        }
        deleted = [pk for pk in old if pk not in rows]
        if added or changed or deleted:
            diff[label] = {"added": added, "changed": changed, "deleted": deleted}
    return diff


@pytest.fixture
def access_world(db) -> World:
    """The access sweep's world: ALPHA-1 and GAMMA-1 with one object of every kind a URL names."""
    return populate(build_world())


@pytest.fixture
def sides(access_world):
    """(own side ALPHA-1, other side GAMMA-1) of the access sweep's world."""
    return access_world.own, access_world.other


@pytest.fixture
def users(access_world):
    """The users of the access sweep's world by role name: the administrator, ALPHA's head, ALPHA-1's PM,
    a member of its team, a contact of its client."""
    by = access_world.users
    return {"admin": by["admin"], "head": by["head"], "pm": by["pm"], "member": by["member"], "client": by["contact"]}
