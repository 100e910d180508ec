"""The portal home: what waits for the client across their projects, before the project list, in fixed queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.common.client_view import problems
from projects.models import ChangeRequest
from projects.portal.selectors import WaitingDecision, WaitingSignOff, portal_waiting
from tests import factories

pytestmark = pytest.mark.django_db


def change_awaiting_client(project, *, number, title="Add a language"):
    return ChangeRequest.objects.create(
        project=project,
        number=number,
        title=title,
        description="Internal description",
        reason="r",
        client_summary="Adds Welsh.",
        schedule_impact_days=14,
        approvers="client",
        status="submitted",
        submitted_at=timezone.now(),
    )


def waiting_items(project, n):
    """``n`` deliverables awaiting sign-off and ``n`` change requests awaiting the client in ``project``."""
    for i in range(n):
        factories.DeliverableFactory(
            project=project, name=f"{project.code} deliverable {i}", status="awaiting_sign_off"
        )
        change_awaiting_client(project, number=i + 1, title=f"{project.code} change {i}")


@pytest.fixture
def two_projects(world):
    """ALPHA-1 and ALPHA-2 of Acme (the client user's), BETA-1 of Globex, each with waiting items."""
    alpha2 = factories.ProjectFactory(code="ALPHA-2", name="Alpha Two", client=world["acme"])
    for project in (world["alpha_project"], alpha2, world["beta_project"]):
        waiting_items(project, 1)
    factories.DeliverableFactory(project=alpha2, name="Already in progress", status="in_progress")
    return world | {"alpha2": alpha2}


def test_it_lists_what_waits_across_the_clients_projects_before_the_projects(client, two_projects, client_user):
    client.force_login(client_user)
    page = client.get(reverse("portal:home")).content.decode()
    for name in ("ALPHA-1 deliverable 0", "ALPHA-2 deliverable 0", "ALPHA-1 change 0", "ALPHA-2 change 0"):
        assert name in page
    assert "BETA-1" not in page
    assert "Already in progress" not in page
    assert "Internal description" not in page
    assert page.index("Waiting for you") < page.index('class="portal-card"')
    links = re.findall(r'<a class="fw-semibold" href="([^"]+)"', page)
    assert len(links) == 4
    for link in links:
        path, anchor = link.split("#")
        response = client.get(path)
        assert response.status_code == 200
        assert f'id="{anchor}"' in response.content.decode(), "the link lands on the item's form"


def test_it_builds_the_waiting_items_from_the_client_view(two_projects, client_user):
    waiting = portal_waiting(user=client_user)
    assert [w["project"]["code"] for w in waiting["sign_offs"]] == ["ALPHA-1", "ALPHA-2"]
    assert {w["change_request"]["title"] for w in waiting["decisions"]} == {"ALPHA-1 change 0", "ALPHA-2 change 0"}
    assert waiting["more"] is False
    for item in waiting["sign_offs"]:
        assert problems(item, WaitingSignOff) == []
    for item in waiting["decisions"]:
        assert problems(item, WaitingDecision) == []


def test_it_drops_a_change_request_once_the_client_decided_it(client, two_projects, client_user):
    client.force_login(client_user)
    change = ChangeRequest.objects.get(title="ALPHA-1 change 0")
    response = client.post(reverse("portal:decide", args=["ALPHA-1", change.pk]), {"decision": "approve"})
    assert response.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert f'id="waiting-change-{change.pk}"' not in page
    assert "ALPHA-2 change 0" in page


def test_it_says_plainly_when_nothing_waits(client, world, client_user):
    client.force_login(client_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Nothing is waiting for you" in page
    assert "ALPHA-1" in page


@pytest.mark.parametrize(("projects", "items"), [(1, 1), (6, 4)])
def test_it_answers_the_home_in_fixed_queries(client, world, client_user, django_assert_num_queries, projects, items):
    for n in range(projects):
        project = factories.ProjectFactory(code=f"ACME-{n}", client=world["acme"], end_date=dt.date(2027, 1, 31))
        waiting_items(project, items)
    client.force_login(client_user)
    client.get(reverse("portal:home"))  # the session and the user are cached from here on
    # session, user, page count, projects, deliverables, change requests
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:home"))
    assert response.content.decode().count('class="portal-waiting-item"') == 2 * projects * items
