"""Time logged on a task: the timesheet's single-entry form offers the open tasks of one's projects, and refuses a
task of another project than the entry's."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import time_machine
from django.urls import reverse

from projects.models import TimeEntry
from projects.planning import services
from teams.services import member_rate_set

LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_it_logs_time_on_a_task_of_the_entrys_project_only(client, world, project, pm, member, mo, task):
    member_rate_set(member=mo, cost_rate=Decimal("55.00"), bill_rate=Decimal("95.00"), valid_from=dt.date(2024, 1, 1))
    beta = world["beta_project"]
    beta.team_members.add(mo)
    beta.currency = project.currency
    beta.save(update_fields=["currency"])
    closed = services.task_create(project=project, user=pm, title="Old brief")
    for to in ("in_progress", "in_review", "done"):
        services.task_move(task=closed, user=pm, to=to)
    client.force_login(member)
    add = reverse("projects:time_entry_add") + "?week=2025-03-10"
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=LONDON)):
        page = client.get(reverse("projects:timesheet")).content.decode()
        assert "ALPHA-1 · Cut the trailer" in page
        assert "Old brief" not in page
        refused = client.post(add, {"project": "BETA-1", "date": "2025-03-11", "hours": "2", "task": str(task.pk)})
        ok = client.post(add, {"project": "ALPHA-1", "date": "2025-03-11", "hours": "2", "task": str(task.pk)})
    assert refused.status_code == 200
    assert "Cut the trailer is a task of ALPHA-1, not of BETA-1." in refused.content.decode()
    assert ok.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.project, entry.task, entry.hours) == (project, task, Decimal("2.00"))
