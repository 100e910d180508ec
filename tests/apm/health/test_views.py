"""/health/ and /health/web/: database, broker and beat checks, answered to anyone as JSON."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import time_machine
from django.urls import reverse

from apm.health import checks
from apm.health.services import DISPATCH_HEARTBEAT, heartbeat_record
from tests.apm.health.test_checks import DeadConnection
from tests.integration.services import hang_guard

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


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


def test_it_answers_503_naming_the_database_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(checks, "connection", DeadConnection())
    response = get_health(client, "health:web")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "failing"}}
    assert "db.internal" not in response.content.decode()
