"""The daily digest: one email per person and day, only of the kinds they chose for it, claimed once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from apm.outbox.models import OutboundEmail
from projects.models import DigestRun, Notification, NotificationChannel, NotificationKind, NotificationPreference
from projects.notifications.digest import digests_send
from projects.notifications.services import notifications_create
from projects.tasks import send_notification_digests
from tests.integration.services import unavailable
from tests.races import race

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def wants_digest(world, member):
    member.email = "mo@example.com"
    member.save()
    for kind in (NotificationKind.MENTION, NotificationKind.ASSIGNMENT):
        NotificationPreference.objects.create(user=member, kind=kind, channel=NotificationChannel.DIGEST)
    return member


def _tell(user, key, *, project=None, kind=NotificationKind.MENTION, text=None):
    return notifications_create(
        recipients=[user], kind=kind, key=key, text=text or f"Notice {key}", url="/projects/", project=project
    )


def test_it_sends_one_email_grouped_by_project_over_two_beats(world, wants_digest):
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 0, tzinfo=LONDON), tick=False):
        _tell(wants_digest, "a", project=world["alpha_project"], text="Alpha notice")
        _tell(wants_digest, "b", kind=NotificationKind.ASSIGNMENT, text="Loose notice")
    with time_machine.travel(dt.datetime(2026, 12, 8, 7, 5, tzinfo=LONDON), tick=False):
        first = send_notification_digests()
        second = send_notification_digests()

    assert (first, second) == (1, 0)
    email = OutboundEmail.objects.get()
    assert email.to == ["mo@example.com"]
    assert email.subject == "Your APM digest: 2 notifications"
    assert "ALPHA-1 \u2014 Alpha Project\n  - Alpha notice" in email.body_text
    assert "Not about one project\n  - Loose notice" in email.body_text
    assert DigestRun.objects.get().notification_count == 2
    assert not Notification.objects.filter(digested_at__isnull=True).exists()


def test_it_waits_for_the_morning_and_for_the_day_to_end(world, wants_digest):
    with time_machine.travel(dt.datetime(2026, 12, 8, 6, 0, tzinfo=LONDON), tick=False):
        _tell(wants_digest, "a")
    with time_machine.travel(dt.datetime(2026, 12, 8, 6, 30, tzinfo=LONDON), tick=False):
        before_seven = digests_send()
    with time_machine.travel(dt.datetime(2026, 12, 8, 9, 0, tzinfo=LONDON), tick=False):
        same_day = digests_send()

    assert (before_seven, same_day) == (0, 0)
    assert not OutboundEmail.objects.exists()


def test_a_day_with_nothing_sends_nothing_and_claims_nothing(world, wants_digest):
    with time_machine.travel(dt.datetime(2026, 12, 8, 8, 0, tzinfo=LONDON), tick=False):
        assert digests_send() == 0

    assert not OutboundEmail.objects.exists()
    assert not DigestRun.objects.exists()


def test_it_leaves_out_kinds_not_chosen_for_it_and_what_was_read(world, wants_digest):
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 0, tzinfo=LONDON), tick=False):
        _tell(wants_digest, "due", kind=NotificationKind.DUE)
        [read] = _tell(wants_digest, "read")
        Notification.objects.filter(pk=read.pk).update(read_at=dt.datetime(2026, 12, 7, 16, 0, tzinfo=LONDON))
    with time_machine.travel(dt.datetime(2026, 12, 8, 8, 0, tzinfo=LONDON), tick=False):
        assert digests_send() == 0


def test_the_next_day_sends_only_whats_new(world, wants_digest):
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 0, tzinfo=LONDON), tick=False):
        _tell(wants_digest, "a", text="First day")
    with time_machine.travel(dt.datetime(2026, 12, 8, 8, 0, tzinfo=LONDON), tick=False):
        digests_send()
        _tell(wants_digest, "b", text="Second day")
    with time_machine.travel(dt.datetime(2026, 12, 9, 8, 0, tzinfo=LONDON), tick=False):
        digests_send()

    second = OutboundEmail.objects.order_by("pk").last()
    assert OutboundEmail.objects.count() == 2
    assert "Second day" in second.body_text
    assert "First day" not in second.body_text


def test_the_digest_task_is_on_beat_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]
    assert entry == {"task": "projects.tasks.send_notification_digests", "schedule": 3600.0}


def test_two_workers_at_once_send_one_digest(transactional_db, world, wants_digest):
    if connection.vendor != "postgresql":
        unavailable("the race of digests needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/apm_x")
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 0, tzinfo=LONDON), tick=False):
        _tell(wants_digest, "a")
    now = dt.datetime(2026, 12, 8, 8, 0, tzinfo=LONDON)

    errors = race([lambda: digests_send(now=now), lambda: digests_send(now=now)])

    assert errors == []
    assert OutboundEmail.objects.count() == 1
    assert DigestRun.objects.count() == 1
