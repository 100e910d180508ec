"""The client-access page adds contacts of the project's client (name, email), inviting them when asked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apm.accounts.models import AuditEvent, AuditKind
from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.models import ClientContact
from projects.portal.services import client_contact_add
from tests import factories

pytestmark = pytest.mark.django_db

ADD = reverse("portal:contact_add", args=["ALPHA-1"])


def _post(client, **fields):
    data = {"contact-name": "Cara Client", "contact-email": "cara@acme.example"} | {
        f"contact-{k}": v for k, v in fields.items()
    }
    return client.post(ADD, data, follow=True)


def test_it_adds_a_contact_of_the_projects_client_from_the_access_page(client, world, pm):
    client.force_login(pm)
    page = client.get(reverse("portal:access", args=["ALPHA-1"])).content.decode()
    assert ADD in page
    body = _post(client).content.decode()
    assert "Cara Client added to Acme&#x27;s contacts." in body
    contact = ClientContact.objects.get(email="cara@acme.example")
    assert (contact.client, contact.name, contact.user) == (world["acme"], "Cara Client", None)
    assert "cara@acme.example" in body  # listed on the page it answers with
    assert not OutboundEmail.objects.filter(kind="invitation").exists()
    (event,) = AuditEvent.objects.filter(kind=AuditKind.CLIENT_CONTACT_ADDED)
    assert (event.user, event.target) == (pm, f"client_contact:{contact.pk}")
    assert event.detail == {"project": "ALPHA-1", "client": "Acme", "email": "cara@acme.example", "invited": False}


def test_it_invites_the_new_contact_when_asked(client, world, pm):
    client.force_login(pm)
    body = _post(client, invite="on").content.decode()
    assert "invitation sent to cara@acme.example" in body
    contact = ClientContact.objects.get(email="cara@acme.example")
    assert contact.user is not None
    assert OutboundEmail.objects.get(kind="invitation").to == ["cara@acme.example"]


def test_it_refuses_an_email_the_client_already_has_whatever_its_case(client, world, pm):
    client.force_login(pm)
    body = _post(client, email="ANN@acme.example", invite="on").content.decode()
    assert "Contact not added. Acme already has a contact with the email address ANN@acme.example." in body
    assert ClientContact.objects.filter(client=world["acme"]).count() == 1
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.CLIENT_CONTACT_ADDED).exists()


def test_it_lets_another_client_have_a_contact_with_the_same_email(world, pm):
    contact, invitation = client_contact_add(
        project=world["alpha_project"], name="Gil Again", email="gil@globex.example", invited_by=pm
    )
    assert (contact.client, invitation) == (world["acme"], None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not an email"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_it_refuses_bad_contact_input_with_a_message_and_adds_nobody(client, world, pm, fields, message):
    client.force_login(pm)
    body = _post(client, **fields).content.decode()
    assert "Contact not added." in body
    assert message in body
    assert ClientContact.objects.count() == 2  # Ann and Gil of the world


def test_it_refuses_a_blank_name_and_a_project_without_a_client_in_the_service(world, pm):
    with pytest.raises(Refused, match="Give the contact's name"):
        client_contact_add(project=world["alpha_project"], name="   ", email="x@acme.example", invited_by=pm)
    lone = factories.ProjectFactory(code="LONE-1", client=None, project_manager=pm)
    with pytest.raises(Refused, match="no client"):
        client_contact_add(project=lone, name="X", email="x@acme.example", invited_by=pm)
    assert ClientContact.objects.count() == 2


@pytest.mark.parametrize("who", ["member", "client_user", "other_client_user", "outside_head"])
def test_it_answers_404_to_those_who_may_not_invite_contacts(client, world, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.post(ADD, {"contact-name": "Eve", "contact-email": "eve@acme.example"}).status_code == 404
    assert not ClientContact.objects.filter(email="eve@acme.example").exists()


def test_it_answers_get_with_405(client, world, pm):
    client.force_login(pm)
    assert client.get(ADD).status_code == 405
