"""The checks behind /health/ (apm.health.checks): the broker's folders, the beat's threshold, a dead database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError

from apm.health import checks

pytestmark = pytest.mark.django_db


def test_it_fails_the_broker_check_when_the_broker_folder_is_missing(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "gone"),
        "data_folder_out": str(tmp_path / "gone"),
        "control_folder": str(tmp_path),
    }
    assert checks.check_broker().ok is False
    (tmp_path / "gone").mkdir()
    assert checks.check_broker().ok is True


def test_it_scales_the_beat_threshold_with_the_dispatch_interval(settings):
    settings.APM_DISPATCH_SECONDS = 5
    assert checks.beat_stale_after() == dt.timedelta(minutes=3)
    settings.APM_DISPATCH_SECONDS = 300
    assert checks.beat_stale_after() == dt.timedelta(minutes=15)


class DeadConnection:
    def cursor(self):
        raise OperationalError("could not connect to server at db.internal:5432")


def test_it_does_not_wait_on_a_dead_database_twice(monkeypatch):
    """The beat check reads the database: with the database down it fails without trying again."""
    monkeypatch.setattr(checks, "connection", DeadConnection())

    def beat_must_not_run():
        raise AssertionError("the beat check queried a database known to be down")

    monkeypatch.setitem(checks.CHECKS, "beat", beat_must_not_run)
    monkeypatch.setitem(checks.CHECKS, "broker", lambda: checks.CheckResult("broker", True))
    results = checks.run_checks()
    assert [(r.name, r.ok) for r in results] == [("database", False), ("broker", True), ("beat", False)]


def test_it_gives_up_connecting_to_postgresql_after_a_few_seconds(settings):
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        pytest.skip("SQLite has no connection to time out")
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 5
