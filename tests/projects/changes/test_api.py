"""The change requests API: the project's team sees its change requests; the cost impact only in ``money``, for
those who see the money; client contacts are pointed to the portal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apm.accounts.models import Role
from projects.changes.services import change_request_create, change_request_submit
from tests import factories

pytestmark = pytest.mark.django_db

#: Who sees which projects' rows: the outside head also heads BETA.
SEEN = {"pm": {"ALPHA-1"}, "member": {"ALPHA-1"}, "head": {"ALPHA-1"}, "outside_head": {"ALPHA-1", "BETA-1"}}


@pytest.fixture
def stranger(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="stranger", role=Role.PROJECT_MANAGER)


def _raise(project, user, title="More pages", **extra):
    return change_request_create(
        project=project, user=user, title=title, description="Ten more pages.", reason="Client asked.", **extra
    )


@pytest.fixture
def changes(world, pm, admin_user):
    alpha, beta = world["alpha_project"], world["beta_project"]
    video = factories.DeliverableFactory(project=alpha, name="Video")
    first = _raise(alpha, pm, cost_impact=Decimal("1234.50"), schedule_impact_days=5, affected_deliverables=[video])
    change_request_submit(change_request=first, user=pm)
    _raise(alpha, pm, title="Welsh version")
    _raise(beta, admin_user, title="Globex change")
    return {"first": first, "video": video}


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _titles(response):
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


@pytest.mark.parametrize("who", sorted(SEEN))
def test_the_team_and_heads_see_alpha_change_requests(changes, users, api_as, who):
    rows = api_as(users[who]).get("/api/v1/change-requests/").json()["results"]
    assert {row["project"] for row in rows} == SEEN[who]


def test_the_cost_impact_only_for_those_who_see_money(changes, pm, member, api_as):
    first = changes["first"]
    row = api_as(pm).get(f"/api/v1/change-requests/{first.pk}/").json()
    assert row["reference"] == "CR-1"
    assert row["status"] == "submitted"
    assert row["schedule_impact_days"] == 5
    assert row["affected_deliverables"] == [changes["video"].pk]
    assert row["money"] == {"currency": "GBP", "cost_impact": "1234.50", "cost_category": "labour", "funding": ""}
    assert "cost_impact" not in row
    row = api_as(member).get(f"/api/v1/change-requests/{first.pk}/").json()
    assert row["money"] is None
    assert "1234" not in str(row)


def test_someone_without_a_relationship_sees_nothing_and_gets_404(changes, stranger, api_as):
    client = api_as(stranger)
    assert _titles(client.get("/api/v1/change-requests/")) == []
    _problem(client.get(f"/api/v1/change-requests/{changes['first'].pk}/"), 404)


def test_a_client_contact_gets_403(changes, client_user, api_as):
    _problem(api_as(client_user).get("/api/v1/change-requests/"), 403)


def test_filters(changes, admin_user, api_as):
    client = api_as(admin_user)
    assert _titles(client.get("/api/v1/change-requests/?project=ALPHA-1")) == ["More pages", "Welsh version"]
    assert _titles(client.get("/api/v1/change-requests/?project=ALPHA-1&state=draft")) == ["Welsh version"]
    assert _titles(client.get("/api/v1/change-requests/?state=submitted")) == ["More pages"]
    _problem(client.get("/api/v1/change-requests/?state=nonsense"), 400)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_takes_as_many_queries_for_200_rows_as_for_5(world, pm, api_as):
    alpha = world["alpha_project"]
    video = factories.DeliverableFactory(project=alpha, name="Video")
    client = api_as(pm)
    for number in range(5):
        change_request_submit(change_request=_raise(alpha, pm, f"CR {number}", affected_deliverables=[video]), user=pm)
    client.get("/api/v1/change-requests/")  # the token's first use is recorded once
    few = _count(client, "/api/v1/change-requests/")
    for number in range(5, 200):
        change_request_submit(change_request=_raise(alpha, pm, f"CR {number}", affected_deliverables=[video]), user=pm)
    assert _count(client, "/api/v1/change-requests/?page_size=200") == few
