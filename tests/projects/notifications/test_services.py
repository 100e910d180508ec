"""notifications_create: idempotent per key, filtered by access, activity and the actor, then by preference."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.models import Notification, NotificationChannel, NotificationKind, NotificationPreference
from projects.notifications.services import notifications_create
from tests import factories
from tests.integration.services import unavailable
from tests.races import race

pytestmark = pytest.mark.django_db


def _create(recipients, **extra):
    arguments = {
        "kind": NotificationKind.ASSIGNMENT,
        "key": "assignment:task:1",
        "text": "You were assigned a task",
        "url": "/projects/ALPHA-1/tasks/",
    }
    return notifications_create(recipients=recipients, **(arguments | extra))


def test_it_creates_one_per_recipient_and_nothing_the_second_time(world, pm, member):
    first = _create([pm, member], project=world["alpha_project"])
    second = _create([pm, member], project=world["alpha_project"])

    assert {n.recipient for n in first} == {pm, member}
    assert second == []
    assert Notification.objects.count() == 2


def test_it_creates_for_a_new_recipient_of_an_event_already_told(world, pm, member):
    _create([pm], project=world["alpha_project"])

    again = _create([pm, member], project=world["alpha_project"])

    assert [n.recipient for n in again] == [member]


def test_it_drops_the_actor_the_inactive_and_those_who_may_not_see_the_project(world, pm, member, other_client_user):
    gone = factories.UserFactory(username="gone", is_active=False)

    created = _create([pm, member, gone, other_client_user], project=world["alpha_project"], actor=pm)

    assert [n.recipient for n in created] == [member]


def test_it_creates_nothing_for_a_kind_turned_off(world, member):
    NotificationPreference.objects.create(
        user=member, kind=NotificationKind.ASSIGNMENT, channel=NotificationChannel.OFF
    )

    assert _create([member], project=world["alpha_project"]) == []
    assert not Notification.objects.exists()


def test_it_emails_at_once_the_recipient_who_chose_email(world, member, published):
    member.email = "mo@example.com"
    member.save()
    NotificationPreference.objects.create(
        user=member, kind=NotificationKind.ASSIGNMENT, channel=NotificationChannel.EMAIL
    )

    [created] = _create([member], project=world["alpha_project"])

    email = OutboundEmail.objects.get()
    outbox_send(email_id=email.pk)
    assert email.to == ["mo@example.com"]
    assert "You were assigned a task" in email.subject
    assert "/projects/ALPHA-1/tasks/" in email.body_text
    assert [m.to for m in mail.outbox] == [["mo@example.com"]]
    created.refresh_from_db()
    assert created.emailed_at is not None


def test_it_emails_mentions_by_default_and_assignments_not(world, member):
    member.email = "mo@example.com"
    member.save()

    _create([member], project=world["alpha_project"])
    _create([member], project=world["alpha_project"], kind=NotificationKind.MENTION, key="mention:comment:1")

    assert OutboundEmail.objects.count() == 1
    assert Notification.objects.get(kind=NotificationKind.ASSIGNMENT).emailed_at is None


def test_it_does_not_email_again_what_the_event_already_emailed(world, member):
    member.email = "mo@example.com"
    member.save()

    [created] = _create(
        [member], project=world["alpha_project"], kind=NotificationKind.ESCALATION, key="e:1", already_emailed=True
    )

    assert created.emailed_at is not None
    assert not OutboundEmail.objects.exists()


def test_it_leaves_digest_ones_unsent(world, member):
    member.email = "mo@example.com"
    member.save()
    NotificationPreference.objects.create(
        user=member, kind=NotificationKind.MENTION, channel=NotificationChannel.DIGEST
    )

    [created] = _create([member], project=world["alpha_project"], kind=NotificationKind.MENTION, key="m:1")

    assert created.emailed_at is None
    assert not OutboundEmail.objects.exists()


def test_it_never_stores_a_link_outside_apm(world, member):
    [created] = _create([member], url="https://evil.example/x")
    [other] = _create([member], url="//evil.example/x", key="k:2")

    assert created.url == ""
    assert other.url == ""


def test_it_refuses_an_unknown_kind(member):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        _create([member], kind="gossip")


def test_it_creates_one_row_and_one_email_when_two_calls_race(transactional_db, world, member):
    if connection.vendor != "postgresql":
        unavailable("the race of producers needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")
    member.email = "mo@example.com"
    member.save()
    made: list[int] = []

    def produce():
        made.append(len(_create([member], kind=NotificationKind.MENTION, key="mention:comment:9")))

    errors = race([produce] * 4)

    assert errors == []
    assert sorted(made) == [0, 0, 0, 1]
    assert Notification.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
