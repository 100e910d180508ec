"""/health/ and /health/web/: database, broker and beat checks, answered to anyone as JSON."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import socket

import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse

from apm.health import checks
from apm.health.models import Heartbeat
from apm.health.services import DISPATCH_HEARTBEAT, heartbeat_record
from reports.tasks import dispatch_due_reports

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@contextlib.contextmanager
def hang_guard(seconds: int = 30):
    """Fail the test instead of hanging when the code under test blocks (a guard, not a timing)."""

    def _hung(signum, frame):
        raise AssertionError(f"still waiting after {seconds} s: the check hangs")

    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_beat():
    heartbeat_record(name=DISPATCH_HEARTBEAT, now=NOW)


def get_health(client, name: str = "health:status"):
    with hang_guard():
        return client.get(reverse(name))


def test_it_answers_200_when_every_check_passes(client, fresh_beat):
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        response = get_health(client)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "beat": "ok"}}
    assert "no-store" in response["Cache-Control"]


def test_it_answers_anonymous_callers_without_a_login_redirect(client, fresh_beat, admin_user):
    with time_machine.travel(NOW, tick=False):
        anonymous = get_health(client)
        client.force_login(admin_user)
        logged_in = get_health(client)
    assert anonymous.status_code == 200
    assert anonymous.json() == logged_in.json()


def test_it_refuses_post(client):
    assert client.post(reverse("health:status")).status_code == 405
    assert client.post(reverse("health:web")).status_code == 405


def test_it_answers_503_naming_the_broker_when_redis_is_down(client, settings, fresh_beat, caplog):
    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    with time_machine.travel(NOW, tick=False):
        response = get_health(client)
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "ok", "broker": "failing", "beat": "ok"}}
    # What went wrong is in the log, never in the answer: no host, port or driver message.
    body = response.content.decode()
    assert str(port) not in body
    assert "127.0.0.1" not in body
    assert "Error" not in body
    failing = [r for r in caplog.records if r.name == "apm.health.views"]
    assert [r.check for r in failing] == ["broker"]
    assert str(port) in failing[0].getMessage()


def test_it_keeps_the_web_check_green_when_only_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = get_health(client, "health:web")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


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


def test_it_answers_503_naming_the_beat_when_its_heartbeat_is_stale(client, settings, fresh_beat):
    settings.APM_DISPATCH_SECONDS = 60
    stale_after = checks.beat_stale_after()
    assert stale_after == dt.timedelta(minutes=3)
    with time_machine.travel(NOW + stale_after, tick=False):
        assert get_health(client).json()["checks"]["beat"] == "ok"
    with time_machine.travel(NOW + stale_after + dt.timedelta(seconds=1), tick=False):
        response = get_health(client)
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "failing"
    assert response.json()["checks"]["database"] == "ok"


def test_it_answers_503_when_beat_never_ran(client):
    response = get_health(client)
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "failing"


def test_it_scales_the_beat_threshold_with_the_dispatch_interval(settings):
    settings.APM_DISPATCH_SECONDS = 5
    assert checks.beat_stale_after() == dt.timedelta(minutes=3)
    settings.APM_DISPATCH_SECONDS = 300
    assert checks.beat_stale_after() == dt.timedelta(minutes=15)


class _DeadConnection:
    def cursor(self):
        raise OperationalError("could not connect to server at db.internal:5432")


def test_it_answers_503_naming_the_database_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(checks, "connection", _DeadConnection())
    response = get_health(client, "health:web")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "failing"}}
    assert "db.internal" not in response.content.decode()


def test_it_does_not_wait_on_a_dead_database_twice(monkeypatch):
    """The beat check reads the database: with the database down it fails without trying again."""
    monkeypatch.setattr(checks, "connection", _DeadConnection())

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


def test_it_records_the_heartbeat_when_the_dispatcher_runs():
    with time_machine.travel(NOW, tick=False):
        assert dispatch_due_reports() == []
    assert Heartbeat.objects.get(name=DISPATCH_HEARTBEAT).last_seen == NOW
    later = NOW + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        dispatch_due_reports()
    assert list(Heartbeat.objects.values_list("last_seen", flat=True)) == [later]


def test_it_warns_when_a_healthy_task_could_be_taken_for_lost(settings):
    from apm.health.system_checks import check_lost_work_timeouts

    assert check_lost_work_timeouts() == []  # the defaults are consistent
    settings.APM_STUCK_AFTER_SECONDS = 300
    settings.CELERY_TASK_TIME_LIMIT = 300
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 120}
    assert [w.id for w in check_lost_work_timeouts()] == ["apm.W001", "apm.W002"]
