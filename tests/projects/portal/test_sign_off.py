"""Signing off a deliverable in the portal: accepting is final and stamped, so it takes a confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apm.accounts.models import AuditEvent, AuditKind
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(world):
    return factories.DeliverableFactory(project=world["alpha_project"], name="Designs", status="awaiting_sign_off")


def test_it_asks_for_confirmation_and_records_nothing_before_it(client, deliverable, client_user):
    client.force_login(client_user)
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    response = client.post(url, {"decision": "accept", "comment": "Looks good"})
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "You are about to sign off Designs as accepted on behalf of Acme. "
        "This is final and recorded with your name and the time."
    ) in page
    assert 'name="confirm"' in page
    assert 'value="Looks good"' in page
    assert f'href="{reverse("portal:project", args=["ALPHA-1"])}#deliverable-{deliverable.pk}">Cancel' in page
    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.signed_off_at) == ("awaiting_sign_off", None)
    assert not AuditEvent.objects.filter(kind=AuditKind.CLIENT_DECISION).exists()


def test_it_records_a_confirmed_sign_off_once(client, deliverable, client_user):
    client.force_login(client_user)
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    response = client.post(url, {"decision": "accept", "comment": "Looks good", "confirm": "yes"})
    assert response.status_code == 302
    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.signed_off_by, deliverable.sign_off_comment) == (
        "accepted",
        client_user,
        "Looks good",
    )
    assert deliverable.signed_off_at is not None
    # A second confirmation (a double click, a resent form) finds nothing awaiting and records nothing.
    assert client.post(url, {"decision": "accept", "confirm": "yes"}).status_code == 404
    assert AuditEvent.objects.filter(kind=AuditKind.CLIENT_DECISION).count() == 1


def test_it_needs_the_confirmation_whatever_the_positive_word(client, deliverable, client_user):
    client.force_login(client_user)
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    for unconfirmed in ({"decision": "approve"}, {"decision": "accept", "confirm": "false"}):
        assert client.post(url, unconfirmed).status_code == 200
    deliverable.refresh_from_db()
    assert deliverable.status == "awaiting_sign_off"


def test_it_rejects_with_a_comment_in_one_step(client, deliverable, client_user):
    client.force_login(client_user)
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    assert client.post(url, {"decision": "reject", "comment": "Wrong colours"}).status_code == 302
    deliverable.refresh_from_db()
    assert deliverable.sign_off_comment == "Wrong colours"
    assert deliverable.status != "awaiting_sign_off"


def test_it_shows_no_confirmation_to_the_team_or_another_client(client, deliverable, pm, other_client_user):
    url = reverse("portal:sign_off", args=["ALPHA-1", deliverable.pk])
    client.force_login(pm)
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.force_login(other_client_user)
    assert client.post(url, {"decision": "accept"}).status_code == 404
    deliverable.refresh_from_db()
    assert deliverable.status == "awaiting_sign_off"
