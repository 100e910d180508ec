"""Repeating work through a real worker: ``repeat_due_work`` delivered twice makes one next occurrence.

A task that fell due yesterday and an obligation whose deadline passed; the
periodic task is published twice (as two beats would) to a real prefork
worker on PostgreSQL and Redis. Skips when they are missing (fails under CI=true).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import Clause, ObligationOccurrence, Task
from projects.planning.recurrence import Rule, next_after
from projects.tasks import repeat_due_work
from tests import factories

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 60


def test_it_makes_one_next_occurrence_when_the_periodic_task_runs_twice_on_a_worker(celery_worker_process):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    project = factories.ProjectFactory(code="REPEAT")
    task = Task.objects.create(
        project=project, title="Weekly call notes", due_date=yesterday, recurrence="FREQ=DAILY;INTERVAL=7"
    )
    clause = Clause.objects.create(
        project=project, number="5.1", title="Permit", text="t", deadline=yesterday, recurrence="FREQ=YEARLY"
    )
    for result in [repeat_due_work.apply_async(), repeat_due_work.apply_async()]:
        celery_worker_process.wait_for(f"[{result.id}] succeeded", RUN_TIMEOUT)
    following = Task.objects.get(recurs_from=task)
    assert following.due_date == yesterday + dt.timedelta(days=7)
    assert Task.objects.count() == 2
    assert ObligationOccurrence.objects.filter(clause=clause).count() == 1
    clause.refresh_from_db()
    assert clause.deadline == next_after(Rule.make(freq="YEARLY"), yesterday)
