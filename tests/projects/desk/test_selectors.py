"""The PM's desk: what needs action today, each item linking to where it is done, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.desk.selectors import desk_for
from projects.documents import services
from projects.models import (
    ChangeRequest,
    ClauseChangeProposal,
    ContingencyRequest,
    Correspondence,
    Document,
    DocumentVersion,
    NonConformance,
    RaidItem,
    ToleranceException,
)
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 6, 2)


def fill_project(project, *, n: int, pm, member) -> None:
    """One item of every kind the desk lists, on ``project``."""
    late = factories.DeliverableFactory(project=project, name=f"Late deliverable {n}", due_date=dt.date(2025, 5, 20))
    factories.DeliverableFactory(project=project, name=f"Awaiting {n}", status="awaiting_sign_off")
    NonConformance.objects.create(
        deliverable=late, title=f"Fix {n}", opened_at=NOW, action_due=dt.date(2025, 5, 30), action_owner=pm
    )
    ChangeRequest.objects.create(
        project=project,
        number=1,
        title=f"Change {n}",
        description="d",
        reason="r",
        status="submitted",
        submitted_at=NOW,
    )
    clause = factories.ClauseFactory(
        project=project,
        number="4.1",
        title=f"Permit held {n}",
        evidence="document",
        evidence_document_kind="permit",
        deadline=dt.date(2025, 6, 1),
    )
    ClauseChangeProposal.objects.create(
        clause=clause,
        proposed_text="new",
        reason="r",
        base_version=1,
        old_text=clause.text,
        proposed_by=pm,
        proposed_at=NOW,
    )
    ContingencyRequest.objects.create(
        project=project, amount=Decimal("100"), category="labour", reason="r", requested_by=pm, requested_at=NOW
    )
    factories.CorrespondenceFactory(
        project=project,
        subject=f"Council letter {n}",
        reply_due_on=dt.date(2025, 5, 28),
        status="awaiting_reply",
        their_reference=f"REF/{n}",
    )
    document = Document.objects.create(
        project=project, kind="licence", title=f"Licence {n}", status="signed", expires_on=dt.date(2025, 6, 20)
    )
    DocumentVersion.objects.create(
        document=document,
        number=1,
        file="documents/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_at=NOW,
    )
    ToleranceException.objects.create(project=project, kind="cost", summary=f"EAC over by 12% ({n})", raised_at=NOW)
    factories.RaidItemFactory(
        project=project,
        kind="issue",
        severity="critical",
        title=f"Site flooded {n}",
        probability=None,
        impact=None,
        ack_deadline=NOW + dt.timedelta(hours=4),
    )
    factories.AllocationFactory(
        project=project,
        member=member,
        hours_per_week=Decimal("30"),
        start_date=dt.date(2025, 5, 1),
        end_date=dt.date(2025, 7, 31),
    )
    factories.issued_invoice(project, sequence=n + 1, due_date=dt.date(2025, 5, 15))


def build(pm, count: int, start: int = 0) -> None:
    member = factories.TeamMemberFactory(name=f"Busy Person {start}", weekly_capacity_hours=Decimal("37.5"))
    for n in range(start, start + count):
        project = factories.ProjectFactory(code=f"DESK-{n}", name=f"Desk project {n}", project_manager=pm)
        fill_project(project, n=n, pm=pm, member=member)


@time_machine.travel(NOW, tick=False)
def test_it_lists_what_needs_action_today_each_linking_to_where_it_is_done(pm, client):
    build(pm, 2)
    desk = desk_for(user=pm, today=TODAY)
    assert [d.name for d in desk.overdue_deliverables] == ["Late deliverable 0", "Late deliverable 1"]
    assert [nc.title for nc in desk.overdue_actions] == ["Fix 0", "Fix 1"]
    assert len(desk.sign_offs_waiting) == len(desk.changes_waiting) == len(desk.proposals_waiting) == 2
    assert [r.state for r in desk.obligations] == ["overdue", "overdue"]
    assert [e.their_reference for e in desk.replies_due] == ["REF/0", "REF/1"]
    assert [d.title for d in desk.documents_expiring] == ["Licence 0", "Licence 1"]
    assert len(desk.tolerances) == 2
    assert [(o.member.name, o.booked) for o in desk.over_capacity] == [("Busy Person 0", Decimal("60.00"))]
    assert [item.title for item in desk.critical_issues] == ["Site flooded 0", "Site flooded 1"]
    assert [invoice.number for invoice in desk.invoices_overdue] == ["INV-2025-0001", "INV-2025-0002"]
    client.force_login(pm)
    page = client.get(reverse("projects:desk")).content.decode()
    # The banner above everything: each unacknowledged critical issue, its project and its deadline (with a year).
    banner = page.split('class="alert alert-danger critical-issue"', 1)[1].split("</div>", 1)[0]
    assert "Site flooded 0" in banner
    assert "(DESK-0)" in banner
    assert page.index("critical-issue") < page.index("Your projects, worst first")
    assert "Acknowledge by 2 Jun 2025 " in page
    project = "DESK-0"
    clause = ClauseChangeProposal.objects.filter(clause__project__code=project).get().clause
    entry = Correspondence.objects.get(project__code=project)
    document = Document.objects.get(project__code=project)
    for link in (
        reverse("projects:deliverable", args=[project, desk.overdue_deliverables[0].pk]),
        reverse("projects:change", args=[project, 1]),
        reverse("projects:clause", args=[project, clause.pk]),
        reverse("projects:correspondence_entry", args=[project, entry.pk]),
        reverse("projects:document", args=[project, document.pk]),
        reverse("projects:budget", args=[project]),
        reverse("projects:team", args=[project]),
    ):
        assert f'href="{link}"' in page, link
    assert "Busy Person 0 over capacity" in page


@time_machine.travel(NOW, tick=False)
def test_it_leaves_out_what_is_done_or_not_yet_due(pm):
    build(pm, 1)
    ChangeRequest.objects.update(status="approved")
    Correspondence.objects.update(status="replied")
    Document.objects.update(expires_on=dt.date(2025, 9, 1))
    ToleranceException.objects.update(state="closed", closed_at=NOW)
    RaidItem.objects.update(acknowledged_at=NOW)
    desk = desk_for(user=pm, today=TODAY)
    assert desk.changes_waiting == []
    assert desk.replies_due == []
    assert desk.documents_expiring == []
    assert desk.tolerances == []
    assert desk.critical_issues == []


def test_it_shows_only_the_users_own_projects(world, pm, admin_user):
    build(admin_user, 1)
    with time_machine.travel(NOW, tick=False):
        desk = desk_for(user=pm, today=TODAY)
    assert [p.code for p in desk.projects] == ["ALPHA-1"]
    assert desk.total == 0


def desk_queries(client, pm) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("projects:desk"))
    assert response.status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_it_runs_the_same_number_of_queries_for_3_and_60_projects(pm, client, django_assert_num_queries):
    client.force_login(pm)
    build(pm, 3)
    client.get(reverse("projects:desk"))  # warm the session and content types
    # 29: the documents on file and the reports sent are read only for the clauses they meet (here documents);
    # the ids of the PM's projects are read before the projects; the overdue invoices with the ids of the
    # projects whose money is shown; the user's own open tasks.
    with django_assert_num_queries(29):
        small = client.get(reverse("projects:desk"))
    assert small.content.decode().count("Late deliverable") == 3
    build(pm, 57, start=3)
    with django_assert_num_queries(29):
        large = client.get(reverse("projects:desk"))
    # Each list shows its first ten until the user asks for all of them, in the same number of queries.
    assert large.content.decode().count("Late deliverable") == 10
    # Sixty of each kind: 50 left out of each list (the two people over capacity are all shown).
    assert re.findall(r"desk-(\w+)\">Show all \((\d+) more", large.content.decode()) == [
        ("overdue", "100"),
        ("waiting", "200"),
        ("obligations", "50"),
        ("replies", "50"),
        ("documents", "50"),
        ("capacity", "50"),
        ("invoices", "50"),
    ]
    # From another page of the projects, "Show all" keeps that page.
    second = client.get(reverse("projects:desk"), {"page": "2"}).content.decode()
    assert 'href="?page=2&amp;all=1#desk-overdue">Show all (100 more)' in second
    with django_assert_num_queries(29):
        every = client.get(reverse("projects:desk"), {"all": "1"})
    assert every.content.decode().count("Late deliverable") == 60
    assert "Show all" not in every.content.decode()
    # 12 items a project (its overdue invoice one of them), and the two people booked on them.
    assert desk_for(user=pm, today=TODAY).total == 60 * 12 + 2


def test_it_is_where_a_pm_and_a_head_land_and_is_not_for_clients(world, pm, head, client_user, client):
    client.force_login(pm)
    assert client.get("/").url == reverse("projects:desk")
    client.force_login(head)
    assert client.get("/").url == reverse("projects:desk")
    assert client.get(reverse("projects:desk")).status_code == 200
    client.force_login(client_user)
    assert client.get(reverse("projects:desk")).status_code == 404


def test_it_shows_a_head_the_proposals_to_decide(world, pm, head):
    clause = factories.ClauseFactory(project=world["alpha_project"])
    services.clause_proposal_create(clause=clause, user=pm, text="New wording", reason="r")
    desk = desk_for(user=head, today=timezone.localdate())
    assert [p.clause for p in desk.proposals_waiting] == [clause]
