"""Timesheet reminders through the outbox: a week not submitted to the person, a week waiting to its approvers,
each once per person and week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.budget.services.approval import time_entries_decide, timesheet_week_submit
from projects.budget.services.costs import time_entry_record
from projects.budget.services.reminders import timesheet_reminders_send
from projects.models import TimesheetReminder
from projects.tasks import send_timesheet_reminders
from teams.models import TimeOff
from teams.services import member_rate_set
from tests import factories

D = Decimal
LAST_MONDAY = dt.date(2025, 3, 3)
TODAY = dt.date(2025, 3, 10)  # the Monday after


@pytest.fixture
def mo(mo):
    """The budget tests' Mo Member, with an address of their own."""
    mo.email = "mo@example.com"
    mo.save()
    return mo


def _sent() -> list[tuple[list[str], str]]:
    emails = OutboundEmail.objects.filter(kind="reminder").order_by("pk")
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        for email in emails:
            outbox_send(email_id=email.pk)
    return [(message.to, message.subject) for message in mail.outbox]


def test_a_week_not_submitted_is_reminded_to_the_person_once(world, mo):
    time_entry_record(member=mo, project=world["alpha_project"], date=LAST_MONDAY, hours=D("7"))
    assert timesheet_reminders_send(today=TODAY) == 1
    assert timesheet_reminders_send(today=TODAY + dt.timedelta(days=1)) == 0
    (sent,) = _sent()
    assert sent == (["mo@example.com"], "[APM] Your timesheet for the week of 3 March is not submitted")
    assert "1 entry still open or rejected" in mail.outbox[0].body
    assert "?week=2025-W10" in mail.outbox[0].body


def test_no_hours_at_all_is_reminded_unless_away_the_whole_week(world, mo):
    TimeOff.objects.create(member=mo, start=LAST_MONDAY, end=LAST_MONDAY + dt.timedelta(days=4))
    assert timesheet_reminders_send(today=TODAY) == 0
    TimeOff.objects.update(end=LAST_MONDAY + dt.timedelta(days=3))  # back on Friday
    assert timesheet_reminders_send(today=TODAY) == 1
    assert "no hours are logged" in OutboundEmail.objects.get(kind="reminder").body_text


def test_a_submitted_week_is_not_reminded_to_the_person_but_its_wait_to_the_pm(world, mo, member, pm):
    pm.email = "pm@example.com"
    pm.save()
    time_entry_record(member=mo, project=world["alpha_project"], date=LAST_MONDAY, hours=D("7.5"))
    with time_machine.travel(dt.datetime(2025, 3, 7, 17, tzinfo=dt.UTC), tick=False):
        timesheet_week_submit(member=mo, week_start=LAST_MONDAY, actor=member)
    assert timesheet_reminders_send(today=TODAY) == 1
    assert list(TimesheetReminder.objects.values_list("kind", "sent_to")) == [("unapproved", ["pm@example.com"])]
    (sent,) = _sent()
    assert sent == (["pm@example.com"], "[APM] Mo Member's hours for the week of 3 March wait for your approval")
    assert "submitted 7.50 hours" in mail.outbox[0].body
    assert "ALPHA-1 (Alpha Project)" in mail.outbox[0].body
    assert timesheet_reminders_send(today=TODAY + dt.timedelta(days=2)) == 0


def test_the_pms_own_week_waits_for_the_head_not_for_the_pm(world, pm, head):
    pm.email, head.email = "pm@example.com", "head@example.com"
    pm.save()
    head.save()
    person = factories.TeamMemberFactory(name="Pat PM", user=pm, email="pm@example.com")
    world["alpha_project"].team_members.add(person)
    member_rate_set(member=person, cost_rate=D("70.00"), bill_rate=D("120.00"), valid_from=dt.date(2024, 1, 1))
    time_entry_record(member=person, project=world["alpha_project"], date=LAST_MONDAY, hours=D("2"))
    with time_machine.travel(dt.datetime(2025, 3, 7, 17, tzinfo=dt.UTC), tick=False):
        timesheet_week_submit(member=person, week_start=LAST_MONDAY, actor=pm)
    timesheet_reminders_send(today=TODAY)
    assert TimesheetReminder.objects.get(kind="unapproved").sent_to == ["head@example.com"]


def test_approved_weeks_and_people_on_no_team_are_not_reminded(world, mo, member, pm):
    factories.TeamMemberFactory(name="Benched", user=factories.UserFactory(role="team_member"), email="b@example.com")
    entry = time_entry_record(member=mo, project=world["alpha_project"], date=LAST_MONDAY, hours=D("7"))
    with time_machine.travel(dt.datetime(2025, 3, 7, 17, tzinfo=dt.UTC), tick=False):
        timesheet_week_submit(member=mo, week_start=LAST_MONDAY, actor=member)
        time_entries_decide(project=world["alpha_project"], entry_ids=[entry.pk], approve=True, actor=pm)
    assert timesheet_reminders_send(today=TODAY) == 0


def test_the_reminder_task_is_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-timesheet-reminders"]
    assert entry["task"] == send_timesheet_reminders.name
