"""The correspondence endpoint: the log as the correspondence page shows it, filtered by project, direction and
whether a reply is awaited; a fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Correspondence
from tests import factories

pytestmark = pytest.mark.django_db


def _subjects(response):
    assert response.status_code == 200, response.content
    return sorted(row["subject"] for row in response.json()["results"])


@pytest.fixture
def letters(world):
    alpha = world["alpha_project"]
    factories.CorrespondenceFactory(project=alpha, subject="Permit granted", direction="in")
    factories.CorrespondenceFactory(
        project=alpha, subject="Our request", direction="out", reply_due_on=dt.date(2026, 1, 10), status="open"
    )
    factories.CorrespondenceFactory(project=world["beta_project"], subject="Globex letter")


ALPHA = ["Our request", "Permit granted"]


@pytest.mark.parametrize(
    ("who", "seen"),
    [("pm", ALPHA), ("member", ALPHA), ("head", ALPHA), ("outside_head", ["Globex letter", *ALPHA])],
)
def test_the_team_sees_its_projects_correspondence(world, users, who, seen, letters, api_as):
    # The outside head reports on ALPHA-1 and heads BETA-1's department.
    assert _subjects(api_as(users[who]).get("/api/v1/correspondence/")) == seen


def test_filters_by_project_direction_and_awaiting_reply(world, pm, letters, api_as):
    client = api_as(pm)
    assert _subjects(client.get("/api/v1/correspondence/", {"project": "ALPHA-1"})) == ["Our request", "Permit granted"]
    assert _subjects(client.get("/api/v1/correspondence/", {"project": "BETA-1"})) == []
    assert _subjects(client.get("/api/v1/correspondence/", {"direction": "in"})) == ["Permit granted"]
    assert _subjects(client.get("/api/v1/correspondence/", {"awaiting_reply": "true"})) == ["Our request"]
    assert _subjects(client.get("/api/v1/correspondence/", {"awaiting_reply": "false"})) == ["Permit granted"]
    assert client.get("/api/v1/correspondence/", {"direction": "sideways"}).status_code == 400


def test_one_entry_and_anothers_is_a_404(world, pm, letters, api_as):
    mine = Correspondence.objects.get(subject="Our request")
    row = api_as(pm).get(f"/api/v1/correspondence/{mine.pk}/").json()
    assert row["awaiting_reply"] is True
    assert row["project"] == "ALPHA-1"
    other = Correspondence.objects.get(subject="Globex letter")
    assert api_as(pm).get(f"/api/v1/correspondence/{other.pk}/").status_code == 404


def test_a_client_contact_gets_a_403(world, client_user, letters, api_as):
    assert api_as(client_user).get("/api/v1/correspondence/").status_code == 403


def test_the_list_takes_the_same_queries_for_5_or_200_entries(world, pm, api_as):
    client = api_as(pm)
    client.get("/api/v1/correspondence/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        Correspondence.objects.all().delete()
        Correspondence.objects.bulk_create(
            Correspondence(
                project=world["alpha_project"],
                direction="in",
                date=dt.date(2025, 3, 3),
                counterpart_organisation="Council",
                subject=f"Letter {n}",
            )
            for n in range(total)
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/correspondence/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
