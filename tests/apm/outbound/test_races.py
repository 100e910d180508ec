"""Workers at the same moment (PostgreSQL: SQLite serialises writers): a request claimed by one sends once, an
event enqueued by several producers is written once."""

from __future__ import annotations

import pytest
from django.db import connection

from apm.outbound.models import AllowedHost, OutboundRequest
from apm.outbound.services import outbound_enqueue, outbound_send
from tests.apm.outbound.receiver import Receiver
from tests.integration.services import unavailable
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def _postgres() -> None:
    if connection.vendor != "postgresql":
        unavailable("the race of workers needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")


def test_four_workers_sending_one_request_make_one_http_request(published):
    _postgres()
    AllowedHost.objects.create(host="127.0.0.1", allow_http=True)
    receiver = Receiver().start()
    try:
        request = outbound_enqueue(kind="chat", url=receiver.url(), payload={"text": "x"}, idempotency_key="race")
        assert request is not None
        results: list[str] = []
        errors = race([lambda: results.append(outbound_send(request_id=request.pk).value)] * 4)
    finally:
        receiver.stop()
    assert not errors, errors
    assert sorted(results) == ["nothing_to_do"] * 3 + ["sent"]
    assert len(receiver.requests) == 1


def test_four_producers_of_one_event_write_one_request(published):
    _postgres()
    made: list[object] = []
    errors = race(
        [
            lambda: made.append(
                outbound_enqueue(kind="chat", url="https://x.example/", payload={"n": 1}, idempotency_key="one-event")
            )
        ]
        * 4
    )
    assert not errors, errors
    assert sum(item is not None for item in made) == 1
    assert OutboundRequest.objects.filter(idempotency_key="one-event").count() == 1
