"""The clients and contacts endpoints: clients as their account page opens (``see_margin``), contacts with their
email as the client access page lists them (``invite_contact``); a fixed number of queries whatever the rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Client, ClientContact
from tests import factories

pytestmark = pytest.mark.django_db


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("who", "seen"),
    [("pm", ["Acme"]), ("head", ["Acme"]), ("outside_head", ["Acme", "Globex"]), ("admin", ["Acme", "Globex"])],
)
def test_clients_are_those_whose_account_page_opens(world, users, who, seen, api_as):
    assert _names(api_as(users[who]).get("/api/v1/clients/")) == seen


def test_the_team_sees_no_client_and_a_client_contact_gets_a_403(world, member, client_user, api_as):
    assert _names(api_as(member).get("/api/v1/clients/")) == []
    assert api_as(member).get(f"/api/v1/clients/{world['acme'].pk}/").status_code == 404
    assert api_as(client_user).get("/api/v1/clients/").status_code == 403
    assert api_as(client_user).get("/api/v1/contacts/").status_code == 403


def test_the_margin_target_is_in_money(world, pm, api_as):
    Client.objects.filter(pk=world["acme"].pk).update(margin_target_percent=Decimal("25"))
    row = api_as(pm).get(f"/api/v1/clients/{world['acme'].pk}/").json()
    assert row["money"] == {"margin_target_percent": "25.00"}


@pytest.mark.parametrize(("who", "seen"), [("pm", ["Ann Client"]), ("head", ["Ann Client"]), ("member", [])])
def test_contacts_with_their_email_for_those_who_invite_them(world, users, who, seen, api_as):
    response = api_as(users[who]).get("/api/v1/contacts/")
    assert _names(response) == seen
    if seen:
        row = response.json()["results"][0]
        assert row["email"] == "ann@acme.example"
        assert row["client_name"] == "Acme"


def test_contacts_filter_by_project(world, admin_user, api_as):
    client = api_as(admin_user)
    assert _names(client.get("/api/v1/contacts/", {"project": "BETA-1"})) == ["Gil Client"]


def test_the_lists_take_the_same_queries_for_5_or_200_rows(world, admin_user, api_as):
    client = api_as(admin_user)
    client.get("/api/v1/clients/")  # the token's first use is stamped once
    counts = {"clients": [], "contacts": []}
    made = 0
    for total in (5, 200):  # rows added up to ``total`` of each
        for n in range(made, total):
            factories.ProjectFactory(code=f"C-{n}", client=factories.ClientFactory(name=f"C-{n}"))
        ClientContact.objects.bulk_create(
            ClientContact(client=world["acme"], name=f"Contact {n}", email=f"c{n}@acme.example")
            for n in range(made, total)
        )
        made = total
        for name in counts:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/{name}/", {"page_size": 200})
            assert response.status_code == 200
            counts[name].append(len(queries))
    assert counts["clients"][0] == counts["clients"][1]
    assert counts["contacts"][0] == counts["contacts"][1]
