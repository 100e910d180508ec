"""Delivery pages: who sees what (404 for clients and outsiders), actions with clear refusals, fixed queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apm.outbox.models import OutboundEmail
from projects.delivery import quality_services as quality
from projects.delivery import raid_services as raid
from projects.delivery import services
from projects.delivery.quality_services import CheckInput
from projects.models import ChangeRequest, Deliverable, OpenRole, RaidItem
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def project(world):
    return world["alpha_project"]


@pytest.fixture
def item(project, pm):
    return services.deliverable_create(project=project, user=pm, name="Launch video", due_date=dt.date(2025, 6, 30))


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
    change = services.change_request_create(project=project, user=pm, title="T", description="D", reason="R")
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
    services.schedule_baseline_set(project=project, user=pm, reason="Agreed")
    services.deliverable_update(deliverable=item, user=pm, due_date=dt.date(2025, 7, 10))
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


def test_it_records_a_review_with_evidence_and_serves_it_only_inside(client, pm, member, client_user, project, item):
    standard = factories.QualityStandardFactory(name="House")
    criterion = factories.QualityCriterionFactory(standard=standard, text="Spelling")
    standard.projects.add(project)
    services.deliverable_transition(deliverable=item, to="in_progress", user=pm)
    services.deliverable_transition(deliverable=item, to="in_review", user=pm)
    client.force_login(member)
    url = reverse("projects:review_create", args=[project.code, item.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            f"result-{criterion.pk}": "failed",
            f"note-{criterion.pk}": "Typo",
            f"file-{criterion.pk}": SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    check = item.reviews.get().checks.get()
    assert item.non_conformances.count() == 1
    evidence = reverse("projects:evidence", args=[project.code, check.pk])
    download = client.get(evidence)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    client.force_login(client_user)
    assert client.get(evidence).status_code == 404


def test_it_shows_history_on_the_object_page(client, pm, project, item):
    services.deliverable_update(deliverable=item, user=pm, name="Launch film")
    client.force_login(pm)
    html = client.get(reverse("projects:deliverable", args=[project.code, item.pk])).content.decode()
    assert "History" in html
    assert "Launch video" in html  # the old name, struck through
    assert "edited" in html


def test_it_approves_a_change_from_the_page(client, pm, head, project):
    change = services.change_request_create(
        project=project, user=pm, title="More", description="D", reason="R", schedule_impact_days=7
    )
    client.force_login(pm)
    client.post(reverse("projects:change_action", args=[project.code, change.number]), {"action": "submit"})
    client.force_login(head)
    page = client.get(reverse("projects:change", args=[project.code, change.number])).content.decode()
    assert "Approve" in page
    client.post(reverse("projects:change_action", args=[project.code, change.number]), {"action": "approve"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"


def test_it_raises_a_critical_issue_from_the_page_and_offers_one_click_actions(client, pm, project, outside_head):
    client.force_login(pm)
    response = client.post(
        reverse("projects:raid_create", args=[project.code]) + "?kind=issue",
        {"kind": "issue", "title": "Supplier gone", "severity": "critical"},
    )
    assert response.status_code == 302
    item = RaidItem.objects.get(title="Supplier gone")
    assert OutboundEmail.objects.filter(subject__startswith="CRITICAL", to=[outside_head.email]).count() == 1
    page = client.get(reverse("projects:detail", args=[project.code])).content.decode()
    assert "Critical issue" in page
    assert "Request contingency" in page
    client.post(reverse("projects:raid_action", args=[project.code, item.pk]), {"action": "staff"})
    assert OpenRole.objects.filter(project=project, title__startswith=f"Cover for {item.reference}").exists()


def test_it_refuses_a_bad_raid_form_with_a_message(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:raid_create", args=[project.code]), {"kind": "risk", "title": "x", "probability": "9"}
    )
    assert response.status_code == 200
    assert not RaidItem.objects.exists()


@pytest.mark.parametrize("page", ["deliverables", "changes", "raid"])
def test_it_lists_in_a_fixed_number_of_queries(client, pm, project, django_assert_num_queries, page):
    def grow(n):
        for i in range(n):
            d = factories.DeliverableFactory(project=project, name=f"D{i}", owner=pm)
            d.depends_on.add(factories.DeliverableFactory(project=project))
            services.change_request_create(project=project, user=pm, title=f"C{i}", description="D", reason="R")
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


def test_it_keeps_review_evidence_private(project, pm, member, item):
    standard = factories.QualityStandardFactory(name="Private")
    criterion = factories.QualityCriterionFactory(standard=standard)
    standard.projects.add(project)
    services.deliverable_transition(deliverable=item, to="in_progress", user=pm)
    services.deliverable_transition(deliverable=item, to="in_review", user=pm)
    review = quality.review_record(
        deliverable=item,
        reviewer=member,
        checks=[CheckInput(criterion.pk, "passed", evidence_file=SimpleUploadedFile("a.png", PNG))],
    )
    check = review.checks.get()
    with pytest.raises(ValueError, match="no URL"):
        check.evidence_file.url  # noqa: B018


def test_it_shows_the_history_of_a_change_with_affected_deliverables(client, pm, project, item):
    change = services.change_request_create(
        project=project, user=pm, title="T", description="D", reason="R", affected_deliverables=[item]
    )
    services.change_request_submit(change_request=change, user=pm)
    client.force_login(pm)
    html = client.get(reverse("projects:change", args=[project.code, change.number])).content.decode()
    assert "Submitted for approval" in html


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
