"""Delivery pages (deliverables, quality, change requests, RAID log): who sees what (404 for clients and
outsiders), deliverable actions with clear refusals, fixed queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.changes import services as change_services
from projects.delivery import services as delivery_services
from projects.models import Deliverable
from projects.raid import services as raid
from tests import factories


@pytest.fixture
def item(project, pm):
    """A deliverable with only a due date: its baseline on the Gantt chart is that one day."""
    return delivery_services.deliverable_create(
        project=project, user=pm, name="Launch video", due_date=dt.date(2025, 6, 30)
    )


def _pages(project, item, change, risk):
    code = project.code
    return [
        reverse("projects:deliverables", args=[code]),
        reverse("projects:deliverable", args=[code, item.pk]),
        reverse("projects:quality", args=[code]),
        reverse("projects:changes", args=[code]),
        reverse("projects:change", args=[code, change.number]),
        reverse("projects:raid", args=[code]),
        reverse("projects:raid_item", args=[code, risk.pk]),
    ]


@pytest.fixture
def things(project, pm, item):
    change = change_services.change_request_create(project=project, user=pm, title="T", description="D", reason="R")
    risk = raid.raid_item_create(project=project, kind="risk", user=pm, title="Late", probability=2, impact=3)
    return change, risk


@pytest.mark.parametrize("who", ["pm", "member", "head", "outside_head", "admin_user"])
def test_it_shows_the_pages_to_the_team_and_heads(client, request, project, item, things, who):
    client.force_login(request.getfixturevalue(who))
    for url in _pages(project, item, *things):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", ["client_user", "other_client_user"])
def test_it_answers_404_to_clients_and_outsiders(client, request, world, project, item, things, who):
    client.force_login(request.getfixturevalue(who))
    for url in _pages(project, item, *things):
        assert client.get(url).status_code == 404, url


def test_it_answers_404_to_a_pm_of_another_project(client, world, item, things, db):
    stranger = factories.UserFactory(username="stranger_pm", role="project_manager")
    client.force_login(stranger)
    for url in _pages(world["alpha_project"], item, *things):
        assert client.get(url).status_code == 404, url


def test_it_shows_the_gantt_with_the_baseline(client, pm, project, item):
    delivery_services.schedule_baseline_set(project=project, user=pm, reason="Agreed")
    delivery_services.deliverable_update(deliverable=item, user=pm, due_date=dt.date(2025, 7, 10))
    client.force_login(pm)
    html = client.get(reverse("projects:deliverables", args=[project.code])).content.decode()
    assert 'class="chart chart-gantt"' in html
    assert "Baseline 30 Jun 2025" in html
    assert "+10d" in html


def test_it_refuses_a_move_with_the_workflow_message(client, pm, project, item):
    client.force_login(pm)
    response = client.post(
        reverse("projects:deliverable_move", args=[project.code, item.pk]), {"to": "awaiting_sign_off"}, follow=True
    )
    assert "cannot go from not started to awaiting client sign-off" in response.content.decode()
    assert Deliverable.objects.get(pk=item.pk).status == "not_started"


def test_it_shows_history_on_the_object_page(client, pm, project, item):
    delivery_services.deliverable_update(deliverable=item, user=pm, name="Launch film")
    client.force_login(pm)
    html = client.get(reverse("projects:deliverable", args=[project.code, item.pk])).content.decode()
    assert "History" in html
    assert "Launch video" in html  # the old name, struck through
    assert "edited" in html


@pytest.mark.parametrize("page", ["deliverables", "changes", "raid"])
def test_it_lists_in_a_fixed_number_of_queries(client, pm, project, django_assert_num_queries, page):
    def grow(n):
        for i in range(n):
            d = factories.DeliverableFactory(project=project, name=f"D{i}", owner=pm)
            d.depends_on.add(factories.DeliverableFactory(project=project))
            change_services.change_request_create(project=project, user=pm, title=f"C{i}", description="D", reason="R")
            factories.RaidItemFactory(project=project, owner=pm)

    client.force_login(pm)
    url = reverse(f"projects:{page}", args=[project.code])
    grow(2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small.captured_queries) <= 12
    grow(20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_it_creates_a_deliverable_with_its_percent_complete_from_the_form(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:deliverable_create", args=[project.code]),
        {"name": "Brand book", "due_date": "2025-07-31", "percent_complete": "40"},
    )
    item = Deliverable.objects.get(project=project, name="Brand book")
    assert response.status_code == 302
    assert response.url == reverse("projects:deliverable", args=[project.code, item.pk])
    assert item.percent_complete == 40
    assert item.due_date == dt.date(2025, 7, 31)


def test_it_prefills_the_deliverable_dates_as_iso_for_date_inputs(client, pm, project, item):
    client.force_login(pm)
    body = client.get(reverse("projects:deliverable_edit", args=[project.code, item.pk])).content.decode()
    assert 'type="date" name="due_date" value="2025-06-30"' in body


# --- Acceptance criteria that no quality standard checks ----------------------------------------

UNCHECKED = "No quality standard applies to this deliverable: its acceptance criteria were not checked by a review"


def _in_review(deliverable, pm):
    for to in ("in_progress", "in_review"):
        delivery_services.deliverable_transition(deliverable=deliverable, to=to, user=pm)
    return deliverable


def _move(client, project, deliverable, to="awaiting_sign_off"):
    url = reverse("projects:deliverable_move", args=[project.code, deliverable.pk])
    return client.post(url, {"to": to}, follow=True).content.decode()


def test_it_warns_when_criteria_go_to_sign_off_without_a_quality_standard(client, pm, project, deliverable):
    _in_review(deliverable, pm)
    client.force_login(pm)
    page = client.get(reverse("projects:deliverable", args=[project.code, deliverable.pk])).content.decode()
    assert UNCHECKED in page  # said on its page before the move too
    body = _move(client, project, deliverable)
    assert "Launch video is now awaiting client sign-off." in body
    assert f"{UNCHECKED}." in body  # the message after the move
    assert f"{UNCHECKED} before it went to client sign-off." in body  # and the page's own warning
    assert Deliverable.objects.get(pk=deliverable.pk).status == "awaiting_sign_off"


def test_it_says_nothing_when_a_standard_applies_or_there_are_no_criteria(client, pm, project, deliverable, item):
    client.force_login(pm)
    _in_review(item, pm)  # no acceptance criteria
    assert UNCHECKED not in _move(client, project, item)
    factories.QualityStandardFactory(name="House style").projects.add(project)
    _in_review(deliverable, pm)
    assert UNCHECKED not in _move(client, project, deliverable)


def test_it_gives_no_warning_for_a_refused_move_and_changes_nothing(client, pm, member, project, deliverable):
    _in_review(deliverable, pm)
    client.force_login(member)  # on the team: may work on it, not send it to the client
    body = _move(client, project, deliverable)
    assert "Only the project manager or a head sends deliverables to client sign-off." in body
    assert body.count(UNCHECKED) == 1  # the page's own warning; no message of a move
    client.force_login(pm)
    body = _move(client, project, deliverable, to="bogus")
    assert "Select a valid choice." in body
    assert "is now" not in body
    assert Deliverable.objects.get(pk=deliverable.pk).status == "in_review"


@pytest.mark.parametrize("who", ["client_user", "other_client_user"])
def test_it_answers_404_to_clients_on_the_move_and_the_page(client, pm, project, deliverable, who, request):
    _in_review(deliverable, pm)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("projects:deliverable", args=[project.code, deliverable.pk])).status_code == 404
    url = reverse("projects:deliverable_move", args=[project.code, deliverable.pk])
    assert client.post(url, {"to": "awaiting_sign_off"}).status_code == 404
    assert Deliverable.objects.get(pk=deliverable.pk).status == "in_review"
