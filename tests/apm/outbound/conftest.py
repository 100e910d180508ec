from __future__ import annotations

import pytest

from apm.outbound.models import AllowedHost
from tests.apm.outbound.receiver import Receiver


@pytest.fixture
def receiver(db):
    """A receiver on 127.0.0.1 whose host an administrator allowed, plain http included."""
    AllowedHost.objects.create(host="127.0.0.1", allow_http=True, note="the tests' receiver")
    started = Receiver().start()
    yield started
    started.stop()
