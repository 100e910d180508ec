"""The events that raise notifications: who is told, through which link, once however often the event runs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apm.outbox.models import OutboundEmail
from projects.changes.services import change_request_create, change_request_submit
from projects.delivery.services import deliverable_transition
from projects.models import Notification, NotificationKind, TaskStatus
from projects.notifications.producers import work_due_notify
from projects.planning.services import task_assign, task_create, task_update
from projects.raid.services import raid_escalate_overdue, raid_item_create, raid_item_update
from projects.tasks import notify_work_due
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def mo(world, member):
    return member.team_member


@pytest.fixture
def tess(world):
    """A second person on ALPHA-1's team, with a login."""
    user = factories.UserFactory(username="tess", email="tess@example.com")
    person = factories.TeamMemberFactory(name="Tess Team", user=user, department=world["alpha"])
    world["alpha_project"].team_members.add(person)
    return person


def test_it_tells_the_people_assigned_a_task_once(world, pm, mo, tess):
    task = task_create(project=world["alpha_project"], user=pm, title="Write the brief", assignees=[mo])
    task_assign(task=task, user=pm, assignees=[mo, tess])
    task_update(task=task, user=pm, assignees=[mo, tess])

    told = Notification.objects.filter(kind=NotificationKind.ASSIGNMENT).order_by("recipient__username")
    assert [(n.recipient.username, n.key) for n in told] == [
        ("member", f"assignment:task:{task.pk}:{mo.user_id}"),
        ("tess", f"assignment:task:{task.pk}:{tess.user_id}"),
    ]
    assert told[0].url == f"/projects/ALPHA-1/tasks/{task.pk}/"
    assert told[0].text == "You were assigned the task \u201cWrite the brief\u201d"


def test_it_does_not_tell_people_of_their_own_assignment(world, pm, mo):
    task_create(project=world["alpha_project"], user=mo.user, title="Mine", assignees=[mo])

    assert not Notification.objects.exists()


def test_it_tells_the_owner_of_a_raid_item(world, pm, member):
    item = raid_item_create(
        project=world["alpha_project"], kind="risk", user=pm, title="Late data", probability=2, impact=3
    )
    raid_item_update(item=item, user=pm, owner=member)
    raid_item_update(item=item, user=pm, owner=member, title="Late data feed")

    [told] = Notification.objects.all()
    assert told.recipient == member
    assert told.url == f"/projects/ALPHA-1/raid/{item.pk}/"


def test_a_critical_issue_tells_the_heads_in_apm_beside_its_one_email(world, pm, outside_head):
    outside_head.email = "otto@example.com"
    outside_head.save()

    item = raid_item_create(
        project=world["alpha_project"], kind="issue", user=pm, title="Server down", severity="critical"
    )

    [told] = Notification.objects.all()
    assert (told.recipient, told.kind, told.key) == (
        outside_head,
        NotificationKind.ESCALATION,
        f"escalation:raised:{item.pk}",
    )
    assert told.emailed_at is not None
    assert OutboundEmail.objects.get().to == ["otto@example.com"]


def test_an_escalation_tells_whom_it_escalated_to(world, pm, head, outside_head):
    head.email, outside_head.email = "hea@example.com", "otto@example.com"
    head.save()
    outside_head.save()
    item = raid_item_create(
        project=world["alpha_project"], kind="issue", user=pm, title="Server down", severity="critical"
    )

    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=3)
    raid_escalate_overdue(now=later)
    raid_escalate_overdue(now=later)

    escalated = Notification.objects.get(key=f"escalation:escalated:{item.pk}")
    assert escalated.recipient == head
    assert escalated.emailed_at is not None


def test_a_submitted_change_request_asks_the_heads_who_decide(world, pm, head, outside_head, admin_user):
    outside_head.email = ""
    outside_head.save()
    change = change_request_create(
        project=world["alpha_project"], user=pm, title="More pages", description="Two more", reason="Asked"
    )

    change_request_submit(change_request=change, user=pm)

    told = Notification.objects.filter(kind=NotificationKind.DECISION).order_by("recipient__username")
    assert [n.recipient for n in told] == [head, outside_head]
    assert told[0].url == f"/projects/ALPHA-1/changes/{change.number}/"
    # Decisions are emailed at once by default; the head without an address is told in APM only.
    assert [e.to for e in OutboundEmail.objects.all()] == [[head.email]]


def test_a_deliverable_sent_to_sign_off_asks_the_clients_contacts_in_the_portal(world, pm, client_user):
    deliverable = factories.DeliverableFactory(project=world["alpha_project"], status="in_review")

    deliverable_transition(deliverable=deliverable, to="awaiting_sign_off", user=pm)

    [told] = Notification.objects.all()
    assert told.recipient == client_user
    assert told.url == "/portal/ALPHA-1/"
    assert "waits for your sign-off" in told.text


def test_work_due_tomorrow_and_overdue_is_told_once(world, pm, mo, tess):
    project = world["alpha_project"]
    with time_machine.travel(dt.datetime(2026, 3, 9, 8, 0, tzinfo=LONDON), tick=False):
        due = task_create(project=project, user=pm, title="Due", assignees=[mo], due_date=dt.date(2026, 3, 10))
        late = task_create(project=project, user=pm, title="Late", assignees=[tess], due_date=dt.date(2026, 3, 6))
        done = task_create(project=project, user=pm, title="Done", assignees=[tess], due_date=dt.date(2026, 3, 6))
        done.status = TaskStatus.DONE
        done.save()
        owned = factories.DeliverableFactory(project=project, owner=pm, due_date=dt.date(2026, 3, 10))
        Notification.objects.all().delete()  # the assignments

        first = notify_work_due()
        again = work_due_notify()
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False):
        next_day = work_due_notify()

    keys = set(Notification.objects.values_list("key", flat=True))
    assert keys == {
        f"due:task:{due.pk}:2026-03-10",
        f"overdue:task:{late.pk}",
        f"due:deliverable:{owned.pk}:2026-03-10",
    }
    assert (first, again, next_day) == (3, 0, 0)


def test_the_due_task_is_on_beat_hourly(settings):
    assert settings.CELERY_BEAT_SCHEDULE["notify-work-due"] == {
        "task": "projects.tasks.notify_work_due",
        "schedule": 3600.0,
    }
