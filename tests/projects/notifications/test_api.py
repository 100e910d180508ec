"""The notifications endpoint: the caller's own only (client contacts' too), unread filter, marking one or all
read through the services; another's is a 404; a fixed number of queries whatever the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Notification

pytestmark = pytest.mark.django_db


def _note(user, key, project=None, read=False):
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user,
        kind="mention",
        key=key,
        text=f"Note {key}",
        url="/projects/",
        project=project,
        read_at=timezone.now() if read else None,
    )


def _texts(response):
    assert response.status_code == 200, response.content
    return sorted(row["text"] for row in response.json()["results"])


def test_each_person_sees_only_their_own_client_contacts_too(world, pm, client_user, api_as):
    _note(pm, "a", project=world["alpha_project"])
    _note(client_user, "b")
    assert _texts(api_as(pm).get("/api/v1/notifications/")) == ["Note a"]
    assert _texts(api_as(client_user).get("/api/v1/notifications/")) == ["Note b"]
    row = api_as(pm).get("/api/v1/notifications/").json()["results"][0]
    assert row["project"] == "ALPHA-1"
    assert row["unread"] is True


def test_the_unread_filter(world, pm, api_as):
    _note(pm, "new")
    _note(pm, "old", read=True)
    assert _texts(api_as(pm).get("/api/v1/notifications/", {"unread": "true"})) == ["Note new"]
    assert _texts(api_as(pm).get("/api/v1/notifications/", {"unread": "false"})) == ["Note old"]


def test_marking_one_read_and_anothers_is_a_404(world, pm, member, api_as):
    mine = _note(pm, "mine")
    theirs = _note(member, "theirs")
    client = api_as(pm, write=True)
    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200, response.content
    assert response.json()["unread"] is False
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    response = client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_read_marks_only_the_callers(world, pm, member, client_user, api_as):
    _note(pm, "1")
    _note(pm, "2")
    _note(member, "3")
    _note(client_user, "4")
    response = api_as(pm, write=True).post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked": 2}
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    # A client contact's token reads only, but marks nothing; its own notifications stay theirs.
    assert api_as(client_user).post("/api/v1/notifications/read-all/").status_code == 403
    assert Notification.objects.filter(recipient=client_user, read_at__isnull=True).count() == 1


def test_a_read_token_may_not_mark(world, pm, api_as):
    mine = _note(pm, "mine")
    assert api_as(pm).post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_list_takes_the_same_queries_for_5_or_200_notifications(world, pm, api_as):
    client = api_as(pm)
    client.get("/api/v1/notifications/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        Notification.objects.all().delete()
        Notification.objects.bulk_create(
            Notification(recipient=pm, kind="mention", key=f"k{n}", text="t", project=world["alpha_project"])
            for n in range(total)
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/notifications/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
