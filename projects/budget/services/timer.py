"""A start/stop timer on the timesheet: one running at a time per person; stopping it logs the time on the day it
started, through the same writes as the grid (costed, checked, locked cells respected).

The time is rounded up to the next quarter hour (the grid's step; at least
0.25 h). A timer left running longer than a day is not logged (a day has at
most 24 hours): the person discards it and types the hours in.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from apm import access
from apm.errors import Refused
from projects.budget.services.approval import locked_reason
from projects.budget.services.costs import time_entry_record
from projects.budget.services.timesheet import timesheet_week_save
from projects.models import Project, TimeEntry, TimeTimer
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User

QUARTER_HOURS = 4


@transaction.atomic
def timer_start(*, member: TeamMember, project: Project, actor: User) -> TimeTimer:
    """Start ``member``'s timer on ``project`` now. Raises ``Refused`` when one is already running or the person
    may not log time on the project (``access.log_time``)."""
    access.log_time.require(actor, project, f"You are not on {project.code}'s team: log time on your own projects.")
    try:
        with transaction.atomic():
            return TimeTimer.objects.create(member=member, project=project, started_at=timezone.now())
    except IntegrityError:
        running = TimeTimer.objects.select_related("project").get(member=member)
        raise Refused(f"A timer is already running on {running.project.code}: stop it first.") from None


def _hours(elapsed: dt.timedelta) -> Decimal:
    quarters = max(1, math.ceil(elapsed.total_seconds() / 900))
    return Decimal(quarters) / QUARTER_HOURS


@transaction.atomic
def timer_stop(*, member: TeamMember, actor: User) -> tuple[TimeTimer, Decimal]:
    """Stop ``member``'s timer and log its time on the project, on the (local) day it started; the timer and the
    hours logged.

    The day's cell grows by the hours when it holds one entry the person may
    still change (or none); otherwise (several entries, or one submitted or
    approved) the hours are a new entry of their own. Raises ``Refused`` when
    no timer runs, it ran longer than 24 hours, or the grid's checks refuse
    (a day over 24 hours, no cost rate, off the team), logging nothing.
    """
    timer = TimeTimer.objects.select_for_update().select_related("project").filter(member=member).first()
    if timer is None:
        raise Refused("No timer is running.")
    elapsed = timezone.now() - timer.started_at
    if elapsed > dt.timedelta(hours=24):
        raise Refused(
            "The timer ran for more than a day, so it was left running by mistake: discard it and type the hours in."
        )
    hours = _hours(elapsed)
    project = timer.project
    day = timezone.localdate(timer.started_at)
    entries = list(TimeEntry.objects.filter(member=member, project=project, date=day))
    if len(entries) > 1 or (entries and locked_reason(entries[0])):
        time_entry_record(member=member, project=project, date=day, hours=hours, note="Timer", actor=actor)
    else:
        was = entries[0].hours if entries else None
        timesheet_week_save(
            member=member, cells={(project, day): (was or 0) + hours}, loaded={(project, day): was}, actor=actor
        )
    timer.delete()
    return timer, hours


def timer_discard(*, member: TeamMember) -> bool:
    """Stop ``member``'s timer without logging anything; whether one was running."""
    deleted, _ = TimeTimer.objects.filter(member=member).delete()
    return bool(deleted)
