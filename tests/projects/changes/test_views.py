"""Change request pages: approving from the page, and a change's history."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from projects.budget.services import plan
from projects.changes import services as change_services
from projects.models import ChangeRequest
from tests.projects.steps import set_contingency_reserve


def test_it_approves_a_change_from_the_page(client, pm, head, project):
    change = change_services.change_request_create(
        project=project, user=pm, title="More", description="D", reason="R", schedule_impact_days=7
    )
    client.force_login(pm)
    client.post(reverse("projects:change_action", args=[project.code, change.number]), {"action": "submit"})
    client.force_login(head)
    page = client.get(reverse("projects:change", args=[project.code, change.number])).content.decode()
    assert "Approve" in page
    client.post(reverse("projects:change_action", args=[project.code, change.number]), {"action": "approve"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"


def test_it_shows_the_history_of_a_change_with_affected_deliverables(client, pm, project, deliverable):
    change = change_services.change_request_create(
        project=project, user=pm, title="T", description="D", reason="R", affected_deliverables=[deliverable]
    )
    change_services.change_request_submit(change_request=change, user=pm)
    client.force_login(pm)
    html = client.get(reverse("projects:change", args=[project.code, change.number])).content.decode()
    assert "Submitted for approval" in html


def test_it_lets_the_approver_fund_a_cost_from_contingency_and_says_so_on_the_page(client, pm, head, project):
    set_contingency_reserve(project, pm, Decimal("20000"))
    change = change_services.change_request_create(
        project=project, user=pm, title="Workshop", description="D", reason="R", cost_impact=Decimal("18000")
    )
    change_services.change_request_submit(change_request=change, user=pm)
    url = reverse("projects:change", args=[project.code, change.number])
    action = reverse("projects:change_action", args=[project.code, change.number])
    client.force_login(head)
    page = client.get(url).content.decode()
    assert 'value="budget" checked' in page  # raising the budget is the default
    assert "From the contingency reserve" in page
    client.post(action, {"action": "approve", "funding": "nonsense"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "submitted"
    client.post(action, {"action": "approve", "funding": "contingency"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"
    page = client.get(url).content.decode()
    assert "Cost funded from the contingency reserve" in page
    assert plan.budget_get(project=project).contingency_reserve == Decimal("2000.00")


def test_it_shows_why_the_reserve_cannot_fund_a_cost(client, pm, head, project):
    set_contingency_reserve(project, pm, Decimal("1000"))
    change = change_services.change_request_create(
        project=project, user=pm, title="Workshop", description="D", reason="R", cost_impact=Decimal("18000")
    )
    change_services.change_request_submit(change_request=change, user=pm)
    client.force_login(head)
    answer = client.post(
        reverse("projects:change_action", args=[project.code, change.number]),
        {"action": "approve", "funding": "contingency"},
        follow=True,
    )
    assert answer.status_code == 200
    assert "The contingency reserve holds only £1,000" in answer.content.decode()
    assert ChangeRequest.objects.get(pk=change.pk).status == "submitted"
