"""Timesheet reminders through the email outbox, once per person and week.

From the Monday after a week, two reminders about it:

* *missing*: to a person who keeps a timesheet (``access.keep_timesheet``),
  is on a project team (``access.log_time``) and has not submitted the
  week: hours left open or rejected, or no hours at all on a week they were
  not away for all of their working days;
* *unapproved*: about a person's week still waiting for approval, to those
  who approve it (``access.approve_time``): the project's PM, or the heads of
  its departments when the PM is the person (nobody approves their own time).

A :class:`~projects.models.TimesheetReminder` row, unique on (person, week,
kind), is written in the transaction that queues the email, so a person's
week is reminded once of each kind whatever the number of runs or workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apm import access
from apm.accounts.models import User
from apm.outbox.services import email_render, outbox_enqueue
from projects.models import Approval, Project, TimeEntry, TimesheetReminder, TimesheetReminderKind
from teams.capacity import week_start
from teams.models import TeamMember, TimeOff

logger = logging.getLogger(__name__)

#: Weeks still waiting for approval are reminded up to this many weeks back.
UNAPPROVED_WEEKS = 8


def _site(path: str) -> str:
    return f"{settings.APM_SITE_URL.rstrip('/')}{path}"


def _away_all_week(member: TeamMember, monday: dt.date, time_off: list[TimeOff]) -> bool:
    """Whether whole days off cover every working day of ``member``'s week from ``monday``."""
    working = [monday + dt.timedelta(days=n) for n in range(7) if str(n + 1) in member.working_days]
    off = [t for t in time_off if t.hours_per_day is None]
    return bool(working) and all(any(t.start <= day <= t.end for t in off) for day in working)


def _send(
    *, member: TeamMember, monday: dt.date, kind: str, to: list[str], template: str, context: dict[str, Any]
) -> bool:
    """Queue one reminder and its record together; False when it was sent before (another run or worker)."""
    try:
        with transaction.atomic():
            TimesheetReminder.objects.create(
                member=member, week_start=monday, kind=kind, sent_to=to, sent_at=timezone.now()
            )
            outbox_enqueue(kind="reminder", to=to, **email_render(template, context))
    except IntegrityError:
        return False
    return True


def _missing(monday: dt.date, reminded: set[tuple[int, dt.date, str]]) -> int:
    """Remind each person who has not submitted the week from ``monday``; the number reminded."""
    sunday = monday + dt.timedelta(days=6)
    entries = TimeEntry.objects.filter(date__gte=monday, date__lte=sunday).order_by()
    logged: set[int] = set()
    open_hours: dict[int, int] = defaultdict(int)
    for member_id, approval in entries.values_list("member_id", "approval"):
        logged.add(member_id)
        if approval in (Approval.OPEN, Approval.REJECTED):
            open_hours[member_id] += 1
    people = (
        TeamMember.objects.filter(is_active=True, user__is_active=True, weekly_capacity_hours__gt=0)
        .select_related("user")
        .order_by("pk")
    )
    time_off: dict[int, list[TimeOff]] = defaultdict(list)
    for away in TimeOff.objects.filter(start__lte=sunday, end__gte=monday):
        time_off[away.member_id].append(away)
    sent = 0
    for member in people:
        if (member.pk, monday, TimesheetReminderKind.MISSING) in reminded:
            continue
        if member.pk in logged and not open_hours.get(member.pk):
            continue  # everything logged is submitted
        if member.pk not in logged and _away_all_week(member, monday, time_off[member.pk]):
            continue
        user = member.user
        address = (member.email or (user.email if user else "") or "").strip()
        if user is None or not address or not access.keep_timesheet.allows(user):
            continue
        if not access.log_time.queryset(user).exists():
            continue
        context = {
            "member": member,
            "week_start": monday,
            "week_end": sunday,
            "entries_open": open_hours.get(member.pk, 0),
            "link": _site(f"{reverse('projects:timesheet')}?week={monday:%G-W%V}"),
        }
        if _send(
            member=member,
            monday=monday,
            kind=TimesheetReminderKind.MISSING,
            to=[address],
            template="timesheet-missing",
            context=context,
        ):
            sent += 1
    return sent


def _approvers(project: Project, member: TeamMember) -> list[User]:
    """Who is asked to approve ``member``'s time on ``project``: its PM, or the heads of its departments when
    the PM is the person; only those the policy lets approve (``access.approve_time``)."""
    manager = project.project_manager
    if manager is not None and manager.pk != member.user_id:
        candidates = [manager]
    else:
        candidates = list(User.objects.filter(headed_departments__projects=project).distinct().order_by("pk"))
    return [user for user in candidates if user.pk != member.user_id and access.approve_time.allows(user, project)]


def _unapproved(this_monday: dt.date, reminded: set[tuple[int, dt.date, str]]) -> int:
    """Remind the approvers of each person's week (before this one) still waiting; the number of weeks."""
    first = this_monday - dt.timedelta(weeks=UNAPPROVED_WEEKS)
    waiting = (
        TimeEntry.objects.filter(approval=Approval.SUBMITTED, date__gte=first, date__lt=this_monday)
        .select_related("member", "project__project_manager")
        .order_by("member_id", "date", "project__code")
    )
    weeks: dict[tuple[int, dt.date], list[TimeEntry]] = defaultdict(list)
    for entry in waiting:
        weeks[(entry.member_id, week_start(entry.date))].append(entry)
    sent = 0
    for (member_id, monday), entries in weeks.items():
        if (member_id, monday, TimesheetReminderKind.UNAPPROVED) in reminded:
            continue
        member = entries[0].member
        projects = {entry.project_id: entry.project for entry in entries}
        addresses: list[str] = []
        for project in sorted(projects.values(), key=lambda p: p.code):
            for user in _approvers(project, member):
                address = (user.email or "").strip()
                if address and address.lower() not in {a.lower() for a in addresses}:
                    addresses.append(address)
        if not addresses:
            logger.warning("Nobody to remind of %s's week of %s waiting for approval", member, monday)
            continue
        context = {
            "member": member,
            "week_start": monday,
            "week_end": monday + dt.timedelta(days=6),
            "projects": sorted(projects.values(), key=lambda p: p.code),
            "hours": sum((entry.hours for entry in entries), Decimal(0)),
            "link": _site(reverse("projects:time_approvals")),
        }
        if _send(
            member=member,
            monday=monday,
            kind=TimesheetReminderKind.UNAPPROVED,
            to=addresses,
            template="timesheet-unapproved",
            context=context,
        ):
            sent += 1
    return sent


def timesheet_reminders_send(*, today: dt.date | None = None) -> int:
    """Send the reminders due ``today`` (default: today): last week's missing timesheets and the weeks before
    this one still waiting for approval. Returns the number of reminders queued."""
    today = today or timezone.localdate()
    this_monday = week_start(today)
    last_monday = this_monday - dt.timedelta(weeks=1)
    reminded = set(
        TimesheetReminder.objects.filter(
            week_start__gte=this_monday - dt.timedelta(weeks=UNAPPROVED_WEEKS + 1)
        ).values_list("member_id", "week_start", "kind")
    )
    return _missing(last_monday, reminded) + _unapproved(this_monday, reminded)
