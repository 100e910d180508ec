"""The deliverables API: the deliverables page's rows for the project's team, filtered by project, status and due
date; client contacts are pointed to the portal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

#: Who sees which projects' rows: the outside head also heads BETA.
SEEN = {"pm": {"ALPHA-1"}, "member": {"ALPHA-1"}, "head": {"ALPHA-1"}, "outside_head": {"ALPHA-1", "BETA-1"}}


@pytest.fixture
def stranger(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="stranger", role=Role.PROJECT_MANAGER)


@pytest.fixture
def deliverables(world, pm):
    alpha, beta = world["alpha_project"], world["beta_project"]
    milestone = factories.MilestoneFactory(project=alpha, name="Launch", weight=3)
    brief = factories.DeliverableFactory(project=alpha, name="Brief", due_date=dt.date(2025, 3, 31), owner=pm)
    video = factories.DeliverableFactory(
        project=alpha, name="Video", due_date=dt.date(2025, 6, 30), status="in_progress", milestone=milestone
    )
    video.depends_on.add(brief)
    factories.DeliverableFactory(project=beta, name="Globex thing")
    return {"brief": brief, "video": video}


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize("who", sorted(SEEN))
def test_the_team_and_heads_see_alpha_deliverables(deliverables, users, api_as, who):
    rows = api_as(users[who]).get("/api/v1/deliverables/").json()["results"]
    assert {row["project"] for row in rows} == SEEN[who]


def test_a_deliverable_has_the_fields_of_the_page(deliverables, pm, api_as):
    video = deliverables["video"]
    row = api_as(pm).get(f"/api/v1/deliverables/{video.pk}/").json()
    assert row["name"] == "Video"
    assert row["status"] == "in_progress"
    assert row["milestone_name"] == "Launch"
    assert row["milestone_weight"] == "3.00"
    assert row["depends_on"] == [deliverables["brief"].pk]
    assert row["open_non_conformances"] == 0
    assert row["acceptance_criteria"] == ["Meets the brief"]


def test_someone_without_a_relationship_sees_nothing_and_gets_404(deliverables, stranger, api_as):
    client = api_as(stranger)
    assert _names(client.get("/api/v1/deliverables/")) == []
    _problem(client.get(f"/api/v1/deliverables/{deliverables['brief'].pk}/"), 404)


def test_a_client_contact_gets_403(deliverables, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/deliverables/"), 403)


def test_filters(deliverables, pm, api_as):
    client = api_as(pm)
    assert _names(client.get("/api/v1/deliverables/?project=ALPHA-1")) == ["Brief", "Video"]
    assert _names(client.get("/api/v1/deliverables/?project=BETA-1")) == []
    assert _names(client.get("/api/v1/deliverables/?status=in_progress")) == ["Video"]
    assert _names(client.get("/api/v1/deliverables/?due_before=2025-04-30")) == ["Brief"]
    assert _names(client.get("/api/v1/deliverables/?due_after=2025-04-30")) == ["Video"]
    _problem(client.get("/api/v1/deliverables/?status=nonsense"), 400)
    _problem(client.get("/api/v1/deliverables/?due_before=yesterday"), 400)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_takes_as_many_queries_for_200_rows_as_for_5(world, pm, api_as):
    alpha = world["alpha_project"]
    milestone = factories.MilestoneFactory(project=alpha)
    client = api_as(pm)
    first = factories.DeliverableFactory(project=alpha, owner=pm, milestone=milestone)
    for _ in range(4):
        factories.DeliverableFactory(project=alpha, owner=pm, milestone=milestone).depends_on.add(first)
    client.get("/api/v1/deliverables/")  # the token's first use is recorded once
    few = _count(client, "/api/v1/deliverables/")
    for _ in range(195):
        factories.DeliverableFactory(project=alpha, owner=pm, milestone=milestone).depends_on.add(first)
    assert _count(client, "/api/v1/deliverables/?page_size=200") == few
