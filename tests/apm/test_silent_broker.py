"""A broker that accepts connections and never answers holds no web request: "send now" answers with its report
row written, the publish given up after about a second, and the row left to the sweepers."""

from __future__ import annotations

import socket
import threading

import pytest
from django.urls import reverse

from reports.models import Report, ReportStatus
from tests.integration.services import celery_broker, hang_guard

#: Seconds after which the test stops a request that hangs (a guard, not a measure: the settings' timeouts
#: are asserted on the settings).
HANG_GUARD_SECONDS = 60


@pytest.fixture
def silent_broker():
    """``redis://`` URL of a socket that accepts every connection and never sends a byte; and the connections
    it took."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    taken: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except TimeoutError:
                continue
            taken.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", taken
    finally:
        stop.set()
        thread.join(5)
        for connection in taken:
            connection.close()
        server.close()


def test_publishing_waits_for_redis_about_a_second_and_connects_once(settings):
    options = settings.APM_REDIS_TRANSPORT_OPTIONS
    assert options["socket_connect_timeout"] == options["socket_timeout"] == settings.APM_BROKER_TIMEOUT_SECONDS == 1
    assert options["max_retries"] == 0
    assert options["interval_start"] == 0


def test_a_worker_and_beat_wait_longer_than_a_web_request(settings):
    from apm.celery import app, broker_waits_of_a_worker

    saved = app.conf.broker_transport_options
    try:
        settings.REDIS_URL = "redis://127.0.0.1:6379/0"
        broker_waits_of_a_worker()
        options = app.conf.broker_transport_options
        assert (options["socket_connect_timeout"], options["socket_timeout"], options["max_retries"]) == (5, 10, 1)
        assert options["visibility_timeout"] == settings.APM_REDIS_TRANSPORT_OPTIONS["visibility_timeout"]
        app.conf.broker_transport_options = saved
        settings.REDIS_URL = ""  # the embedded broker: its options stay
        broker_waits_of_a_worker()
        assert app.conf.broker_transport_options == saved
    finally:
        app.conf.broker_transport_options = saved


def test_send_now_answers_with_its_report_written_when_the_broker_never_answers(
    client, world, head, silent_broker, django_capture_on_commit_callbacks, caplog
):
    url, taken = silent_broker
    client.force_login(head)
    with celery_broker(url), hang_guard(HANG_GUARD_SECONDS), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:project_send", args=["ALPHA-1"]), {"kind": "quality", "audience": "internal"}
        )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.kind, report.status) == ("quality", ReportStatus.QUEUED)
    assert taken, "the publish never reached the broker"
    assert "the sweeper will retry" in caplog.text
