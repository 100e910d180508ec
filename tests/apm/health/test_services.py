"""The heartbeat (apm.health.services): the dispatcher records that beat ran."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apm.health.models import Heartbeat
from apm.health.services import DISPATCH_HEARTBEAT
from reports.tasks import dispatch_due_reports

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_it_records_the_heartbeat_when_the_dispatcher_runs():
    with time_machine.travel(NOW, tick=False):
        assert dispatch_due_reports() == []
    assert Heartbeat.objects.get(name=DISPATCH_HEARTBEAT).last_seen == NOW
    later = NOW + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        dispatch_due_reports()
    assert list(Heartbeat.objects.values_list("last_seen", flat=True)) == [later]
