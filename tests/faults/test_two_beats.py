"""Two beat processes by mistake: every schedule occurrence still gives one report and one email each.

Two ``celery -A apm beat`` processes (separate schedule files, as on two
machines) both publish ``dispatch_due_reports`` every half second to a
worker with two pool children, so dispatchers run side by side, while
three schedules fall due a few seconds apart. The conditional UPDATE on
(id, old ``next_run_at``) lets one dispatcher claim each occurrence; the
unique (schedule, scheduled_for) constraint backs it up.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from reports.models import Report
from tests.faults.conftest import (
    BEAT_READY,
    WORKER_START_TIMEOUT,
    audit_and_record,
    due_schedules,
    say,
    seed_department,
    settle,
)
from tests.faults.services import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BEAT_ENV = {"APM_DISPATCH_SECONDS": "0.5"}
SENT_DISPATCH = "Sending due task dispatch-due-reports"


def test_two_beats_dispatch_each_occurrence_once(fleet, fault_mail):
    department = seed_department()
    worker = fleet.worker("two-beats", concurrency=2, prefetch=1)
    beats = [fleet.beat(name, extra_env=BEAT_ENV, wait=False) for name in ("beat-a", "beat-b")]
    for beat in beats:
        beat.wait_for(BEAT_READY, WORKER_START_TIMEOUT)
    wait_until(lambda: all(SENT_DISPATCH in beat.log() for beat in beats), 60, "both beats to dispatch")
    # The occurrences fall due while both beats run.
    now = timezone.now()
    schedules = [
        schedule
        for n, seconds in enumerate((2, 3.5, 5))
        for schedule in due_schedules(department, 1, at=now + dt.timedelta(seconds=seconds), label=f"due {n}")
    ]
    before = [beat.log().count(SENT_DISPATCH) for beat in beats]

    settle(reports=len(schedules))
    # Both beats keep dispatching after the last occurrence: nothing more comes of it.
    counts = [beat.log().count(SENT_DISPATCH) for beat in beats]
    wait_until(
        lambda: all(beat.log().count(SENT_DISPATCH) >= count + 4 for beat, count in zip(beats, counts, strict=True)),
        60,
        "both beats to dispatch again",
    )
    settle(reports=len(schedules))
    dispatched = [beat.log().count(SENT_DISPATCH) for beat in beats]
    claims = re.findall(r"dispatch_due_reports\[[^\]]+\] succeeded in [0-9.e-]+s: (\[[0-9, ]*\])", worker.log())
    winners = [claim for claim in claims if claim != "[]"]
    say(f"two beats: dispatches sent {dispatched}, run {len(claims)}, of which created reports: {winners}")

    for schedule in schedules:
        [report] = Report.objects.filter(schedule=schedule)
        assert report.scheduled_for == schedule.next_run_at
    result = audit_and_record(
        fault_mail,
        fault="two beat processes at once",
        trials=len(schedules),
        note=f"emails; {len(schedules)} occurrences, {sum(dispatched)} dispatches from 2 beats, 1 report each",
    )
    assert all(after > count for after, count in zip(dispatched, before, strict=True)), "both beats dispatched"
    assert Report.objects.count() == len(schedules)
    assert (result.delivered, result.duplicates, result.lost) == (result.expected, 0, 0)
    assert sum(fault_mail.accepted_ids().values()) == result.expected
