"""The outbound HTTP delivery: written in the caller's transaction, sent once, retried with the same
Idempotency-Key, redirects never followed, failures visible."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from apm.outbound import services
from apm.outbound.models import AllowedHost, OutboundRequest, RequestStatus
from apm.outbound.services import outbound_enqueue, outbound_retry, outbound_send, outbound_sweep
from apm.outbox.services import SendResult, backoff_seconds

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def enqueue(url: str, key: str = "event:1:hook:1", **overrides) -> OutboundRequest:
    fields = {"kind": "chat", "url": url, "payload": {"text": "Hello"}, "idempotency_key": key}
    fields.update(overrides)
    made = outbound_enqueue(**fields)
    assert made is not None
    return made


def test_it_writes_a_queued_row_and_publishes_after_commit(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = enqueue("https://hooks.example.com/services/T/B/secret", summary="Critical issue I-1 raised")
    request.refresh_from_db()
    assert request.status == RequestStatus.QUEUED
    assert json.loads(request.body) == {"text": "Hello"}
    assert request.method == "POST"
    assert len(callbacks) == 1
    assert published == [("apm.outbound.tasks.send_request", (request.pk,))]


def test_it_writes_an_event_once_for_the_same_key(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue("https://hooks.example.com/a")
        again = outbound_enqueue(
            kind="chat",
            url="https://hooks.example.com/a",
            payload={"text": "Hello"},
            idempotency_key=first.idempotency_key,
        )
    assert again is None
    assert OutboundRequest.objects.count() == 1
    assert len(published) == 1


def test_it_refuses_a_body_over_the_cap(settings):
    settings.APM_OUTBOUND_MAX_REQUEST_BYTES = 100
    with pytest.raises(ValueError, match="over 100 bytes"):
        outbound_enqueue(kind="chat", url="https://x.example/", payload={"text": "x" * 200}, idempotency_key="k")
    assert not OutboundRequest.objects.exists()


def test_it_retries_a_failing_receiver_with_the_same_idempotency_key_until_it_accepts(receiver, published):
    receiver.answers = [500, 500, 200]
    with time_machine.travel(START, tick=False) as clock:
        request = enqueue(receiver.url(), key="raid:7:critical:hook:3")
        assert outbound_send(request_id=request.pk) is SendResult.RETRY_LATER
        request.refresh_from_db()
        assert (request.status, request.tries, request.last_status_code) == (RequestStatus.QUEUED, 1, 500)
        assert request.next_attempt_at == START + dt.timedelta(seconds=backoff_seconds(1))
        assert "500" in request.last_error
        # Not due yet: nothing is sent.
        assert outbound_send(request_id=request.pk) is SendResult.NOTHING_TO_DO
        assert len(receiver.requests) == 1
        clock.move_to(request.next_attempt_at)
        assert outbound_send(request_id=request.pk) is SendResult.RETRY_LATER
        request.refresh_from_db()
        clock.move_to(request.next_attempt_at)
        assert outbound_send(request_id=request.pk) is SendResult.SENT
    request.refresh_from_db()
    assert (request.status, request.tries, request.last_status_code, request.last_error) == (
        RequestStatus.SENT,
        3,
        200,
        "",
    )
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == ["raid:7:critical:hook:3"] * 3
    assert all(json.loads(r.body) == {"text": "Hello"} for r in receiver.requests)
    assert receiver.requests[0].headers["Content-Type"].startswith("application/json")
    assert receiver.requests[0].headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_it_fails_after_the_last_try_and_a_retry_puts_it_back(
    receiver, published, settings, django_capture_on_commit_callbacks
):
    settings.APM_MAX_TRIES = 2
    settings.APM_RETRY_BASE_SECONDS = 1
    receiver.answers = [503]
    with time_machine.travel(START, tick=False) as clock:
        request = enqueue(receiver.url())
        assert outbound_send(request_id=request.pk) is SendResult.RETRY_LATER
        clock.shift(5)
        assert outbound_send(request_id=request.pk) is SendResult.FAILED
    request.refresh_from_db()
    assert (request.status, request.tries, request.last_status_code) == (RequestStatus.FAILED, 2, 503)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound_retry(request_id=request.pk) is True
    request.refresh_from_db()
    assert (request.status, request.tries) == (RequestStatus.QUEUED, 0)
    assert published == [("apm.outbound.tasks.send_request", (request.pk,))]
    assert outbound_retry(request_id=request.pk) is False


def test_it_never_follows_a_redirect_and_fails_at_once(receiver, published):
    receiver.answers = [302]
    request = enqueue(receiver.url())
    assert outbound_send(request_id=request.pk) is SendResult.FAILED
    request.refresh_from_db()
    assert (request.status, request.tries, request.last_status_code) == (RequestStatus.FAILED, 1, 302)
    assert "redirect" in request.last_error
    assert "not followed" in request.last_error
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_it_fails_a_client_error_at_once_but_retries_429(receiver, published):
    receiver.answers = [404]
    gone = enqueue(receiver.url(), key="gone")
    assert outbound_send(request_id=gone.pk) is SendResult.FAILED
    receiver.answers = [429]
    receiver.requests.clear()
    busy = enqueue(receiver.url(), key="busy")
    assert outbound_send(request_id=busy.pk) is SendResult.RETRY_LATER


def test_two_sends_of_the_same_row_make_one_http_request(receiver, published):
    request = enqueue(receiver.url())
    assert outbound_send(request_id=request.pk) is SendResult.SENT
    assert outbound_send(request_id=request.pk) is SendResult.NOTHING_TO_DO
    assert len(receiver.requests) == 1


def test_a_row_claimed_by_another_worker_is_not_sent_again(receiver, published):
    request = enqueue(receiver.url())
    OutboundRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.SENDING, tries=1, sending_started_at=dt.datetime.now(dt.UTC)
    )
    assert outbound_send(request_id=request.pk) is SendResult.NOTHING_TO_DO
    assert receiver.requests == []


def test_it_refuses_loopback_without_an_allowed_host_at_send_time(published):
    request = enqueue("https://127.0.0.1:9/hook")
    assert outbound_send(request_id=request.pk) is SendResult.FAILED
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert request.tries == 1
    assert request.last_error == "refused: 127.0.0.1 is a loopback address"


def test_it_refuses_a_name_that_resolves_to_a_private_address_at_send_time(published, monkeypatch):
    """The URL was fine when saved; by the time it is sent its name points inside the network."""
    request = enqueue("https://api.example/hook")
    calls = []

    def resolve(host, port, *args, **kwargs):
        calls.append(host)
        return [(2, 1, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr("apm.outbound.guard.socket.getaddrinfo", resolve)
    sent = []
    monkeypatch.setattr(services, "http_request", lambda *a, **k: sent.append(a))
    assert outbound_send(request_id=request.pk) is SendResult.FAILED
    request.refresh_from_db()
    assert request.last_error == "refused: api.example resolves to 10.0.0.5, a private address"
    assert calls == ["api.example"]
    assert sent == []


def test_it_connects_to_the_address_it_checked(published, monkeypatch):
    """One lookup; the connection goes to the address that lookup answered, named for the host."""
    request = enqueue("https://hooks.example.com/services/x")
    answers = iter([[(2, 1, 6, "", ("93.184.216.34", 443))], [(2, 1, 6, "", ("10.0.0.5", 443))]])
    monkeypatch.setattr("apm.outbound.guard.socket.getaddrinfo", lambda *a, **k: next(answers))
    seen = []

    def fake_request(destination, **kwargs):
        seen.append(destination)
        return services.Response(status=200, location="", body="ok")

    monkeypatch.setattr(services, "http_request", fake_request)
    assert outbound_send(request_id=request.pk) is SendResult.SENT
    [destination] = seen
    assert (destination.host, destination.address, destination.port, destination.target) == (
        "hooks.example.com",
        "93.184.216.34",
        443,
        "/services/x",
    )


def test_a_connection_error_is_retried(published, receiver):
    port = receiver.port
    receiver.stop()
    request = enqueue(f"http://127.0.0.1:{port}/hook")
    assert outbound_send(request_id=request.pk) is SendResult.RETRY_LATER
    request.refresh_from_db()
    assert "ConnectionRefusedError" in request.last_error
    assert request.last_status_code is None


def test_the_sweeper_publishes_due_and_stuck_requests_again(published, settings):
    with time_machine.travel(START, tick=False):
        due = enqueue("https://x.example/", key="due")
        fresh_key = "fresh"
    with time_machine.travel(START + dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS + 1), tick=False):
        fresh = enqueue("https://x.example/", key=fresh_key)
    stuck_at = START - dt.timedelta(seconds=settings.APM_STUCK_AFTER_SECONDS + 5)
    stuck = enqueue("https://x.example/", key="stuck")
    OutboundRequest.objects.filter(pk=stuck.pk).update(
        status=RequestStatus.SENDING, tries=1, sending_started_at=stuck_at
    )
    lost = enqueue("https://x.example/", key="lost")
    OutboundRequest.objects.filter(pk=lost.pk).update(
        status=RequestStatus.SENDING, tries=settings.APM_MAX_TRIES, sending_started_at=stuck_at
    )
    published.clear()
    count = outbound_sweep(now=START + dt.timedelta(seconds=settings.APM_REQUEUE_AFTER_SECONDS + 2))
    assert sorted(args[0] for _, args in published) == sorted([due.pk, stuck.pk])
    assert count == 2
    assert fresh.pk not in [args[0] for _, args in published]
    lost.refresh_from_db()
    assert lost.status == RequestStatus.FAILED
    assert "may have been delivered" in lost.last_error


def test_the_task_sends_through_the_service(receiver, published):
    from apm.outbound.tasks import send_request

    request = enqueue(receiver.url())
    assert send_request.apply(args=[request.pk]).get() == "sent"
    assert len(receiver.requests) == 1


def test_the_timeouts_and_caps_are_small(settings):
    assert 0 < settings.APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS <= 10
    assert 0 < settings.APM_OUTBOUND_READ_TIMEOUT_SECONDS <= 10
    assert settings.APM_OUTBOUND_MAX_RESPONSE_BYTES <= 64 * 1024
    assert settings.APM_OUTBOUND_MAX_REQUEST_BYTES <= 1024 * 1024
    assert settings.APM_OUTBOUND_ALLOW_HTTP is False
    assert settings.CELERY_BEAT_SCHEDULE["sweep-outbound"]["task"] == "apm.outbound.tasks.sweep_outbound"


def test_the_request_names_the_host_and_goes_to_the_address_it_resolved(receiver, published, monkeypatch):
    """An allowed name that resolves to the receiver: the receiver is reached, and told the name, not the address."""
    AllowedHost.objects.create(host="chat-proxy.internal", allow_http=True)
    monkeypatch.setattr(
        "apm.outbound.guard.socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("127.0.0.1", receiver.port))]
    )
    request = enqueue(f"http://chat-proxy.internal:{receiver.port}/slack?x=1")
    assert outbound_send(request_id=request.pk) is SendResult.SENT
    [received] = receiver.requests
    assert received.headers["Host"] == f"chat-proxy.internal:{receiver.port}"
    assert received.path == "/slack?x=1"
