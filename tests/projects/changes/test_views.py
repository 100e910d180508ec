"""Change request pages: approving from the page, and a change's history."""

from __future__ import annotations

from django.urls import reverse

from projects.changes import services as change_services
from projects.models import ChangeRequest


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
