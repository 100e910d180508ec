"""RAID log pages: raising a critical issue from the page with its one-click actions, and a bad form."""

from __future__ import annotations

from django.urls import reverse

from apm.outbox.models import OutboundEmail
from projects.models import OpenRole, RaidItem


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
