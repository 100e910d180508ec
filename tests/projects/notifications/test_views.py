"""The notification centre, its bell, opening and marking read, and the settings: only the recipient's own."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from projects.models import Notification, NotificationChannel, NotificationKind, NotificationPreference

pytestmark = pytest.mark.django_db

CENTRE = "/notifications/"


def _notification(recipient, *, key="k:1", text="Something happened", url="/projects/", **extra):
    return Notification.objects.create(
        recipient=recipient, kind=NotificationKind.ASSIGNMENT, key=key, text=text, url=url, **extra
    )


def test_it_sends_anonymous_visitors_to_the_login_page(client, member):
    notification = _notification(member)
    for url in (CENTRE, "/notifications/bell/", "/notifications/settings/", f"/notifications/{notification.pk}/open/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_it_lists_only_the_users_own_notifications_newest_first(client, member, pm):
    _notification(member, key="a", text="Older one")
    _notification(member, key="b", text="Newer one")
    _notification(pm, key="c", text="The PM's own")
    client.force_login(member)

    response = client.get(CENTRE)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Newer one") < body.index("Older one")
    assert "The PM's own" not in body


@pytest.mark.parametrize("count", [1, 30])
def test_it_lists_in_a_fixed_number_of_queries(client, member, count, django_assert_num_queries):
    for n in range(count):
        _notification(member, key=f"k:{n}")
    client.force_login(member)

    # session, user, count for the pages, the page's rows with their projects
    with django_assert_num_queries(4):
        response = client.get(CENTRE)

    assert response.status_code == 200


def test_it_pages_the_list(client, member):
    for n in range(31):
        _notification(member, key=f"k:{n}", text=f"Item {n:02d}.")
    client.force_login(member)

    first, second = client.get(CENTRE).content.decode(), client.get(CENTRE + "?page=2").content.decode()

    assert "Item 30." in first
    assert "Item 00." not in first
    assert "Item 00." in second


def test_the_bell_counts_the_unread(client, member, pm):
    _notification(member, key="a")
    _notification(member, key="b")
    _notification(member, key="c", read_at="2026-01-01T00:00:00Z")
    _notification(pm, key="d")
    client.force_login(member)

    response = client.get("/notifications/bell/")

    assert response.status_code == 200
    assert ">2<" in response.content.decode()


def test_every_signed_in_page_has_the_bell_link_loaded_later(client, world, member, client_user):
    client.force_login(member)
    internal = client.get(reverse("projects:list")).content.decode()
    client.force_login(client_user)
    portal = client.get(reverse("portal:home")).content.decode()

    for page in (internal, portal):
        assert 'href="/notifications/"' in page
        assert 'data-hx-get="/notifications/bell/"' in page


def test_opening_marks_read_and_goes_to_the_link(client, member):
    notification = _notification(member, url="/projects/ALPHA-1/tasks/")
    client.force_login(member)

    response = client.get(f"/notifications/{notification.pk}/open/")

    assert response.status_code == 302
    assert response.url == "/projects/ALPHA-1/tasks/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_never_goes_outside_apm(client, member):
    # A row written around the service (the service stores no such link): the view checks again.
    notification = _notification(member, url="//evil.example/")
    client.force_login(member)

    response = client.get(f"/notifications/{notification.pk}/open/")

    assert response.url == CENTRE


@pytest.mark.parametrize("who", ["pm", "client_user", "admin_user"])
def test_another_persons_notification_is_a_404_and_stays_unread(client, member, users, who):
    notification = _notification(member)
    client.force_login(users[who.removesuffix("_user") if who != "client_user" else who])

    opened = client.get(f"/notifications/{notification.pk}/open/")
    marked = client.post(f"/notifications/{notification.pk}/read/")

    assert (opened.status_code, marked.status_code) == (404, 404)
    notification.refresh_from_db()
    assert notification.read_at is None


def test_it_marks_one_read_and_keeps_the_page(client, member):
    notification = _notification(member)
    client.force_login(member)

    response = client.post(f"/notifications/{notification.pk}/read/", {"page": "2"})

    assert response.url == CENTRE + "?page=2"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_it_marks_all_read_but_only_the_users_own(client, member, pm):
    _notification(member, key="a")
    _notification(member, key="b")
    others = _notification(pm, key="c")
    client.force_login(member)

    response = client.post("/notifications/read-all/", {"page": "javascript:x"})

    assert response.url == CENTRE
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None


def test_a_client_sees_the_centre_in_the_portals_frame(client, world, client_user):
    _notification(client_user, text="A deliverable waits for your sign-off")
    client.force_login(client_user)

    body = client.get(CENTRE).content.decode()

    assert "A deliverable waits for your sign-off" in body
    assert "portal-header" in body


def test_the_settings_show_each_kinds_default_and_save_a_choice(client, member):
    client.force_login(member)

    page = client.get("/notifications/settings/").content.decode()
    data = dict.fromkeys(NotificationKind.values, NotificationChannel.IN_APP) | {"mention": "digest"}
    response = client.post("/notifications/settings/", data)

    assert "Unless you choose: Email at once." in page
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=member, kind="mention").channel == "digest"
    assert NotificationPreference.objects.filter(user=member).count() == len(NotificationKind.values)


def test_the_settings_refuse_an_unknown_channel_and_change_nothing(client, member):
    client.force_login(member)

    data = dict.fromkeys(NotificationKind.values, NotificationChannel.IN_APP) | {"mention": "pigeon"}
    response = client.post("/notifications/settings/", data)

    assert response.status_code == 200
    assert "Nothing changed." in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_one_persons_settings_are_not_anothers(client, member, pm):
    NotificationPreference.objects.create(user=pm, kind="mention", channel="off")
    client.force_login(member)

    page = client.get("/notifications/settings/").content.decode()

    checked = re.findall(r'<input type="radio" name="mention" value="(\w+)"[^>]*checked', page)
    assert checked == ["email"]
