"""Fixtures of the bad-input suite: the access sweep's two-sided world, users by role, a whole-database print."""

from __future__ import annotations

import pytest
from django.apps import apps

# The access sweep's world (own side ALPHA-1, other side BETA-1, with one object of every kind a URL names).
from tests.apm.test_access_sweep import sides  # noqa: F401

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
def users(admin_user, head, pm, member, client_user):
    """The role users of tests/conftest.py by role name (as the access sweep names them)."""
    return {"admin": admin_user, "head": head, "pm": pm, "member": member, "client": client_user}
