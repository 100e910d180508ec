"""The agency world that setup_demo seeds (projects/demo/world.py): every kind of thing the demo shows, once."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from projects.demo.world import PROJECTS
from projects.models import (
    Allocation,
    ClientContact,
    Correspondence,
    Deliverable,
    Document,
    NonConformance,
    Project,
    RaidItem,
    TimeEntry,
    ToleranceException,
)
from projects.staffing.selectors import member_week_loads
from teams.capacity import week_start

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("teams", "projects", "accounts")
        for model in apps.get_app_config(app).get_models()
    }


def test_it_seeds_every_kind_the_demo_shows_and_a_second_run_creates_nothing(settings, tmp_path):
    # The demo GMPP set and the demo O*NET files (the real ones are slower and may be missing).
    settings.APM_REAL_DATA_DIR = tmp_path / "no-real-data-here"
    call_command("setup_demo", stdout=io.StringIO())
    first = _counts()
    _the_pm_manages_the_agency_projects_with_the_member_and_the_client()
    _every_kind_the_demo_shows_is_there()
    call_command("setup_demo", stdout=io.StringIO())
    assert _counts() == first


def _the_pm_manages_the_agency_projects_with_the_member_and_the_client() -> None:
    projects = Project.objects.filter(project_manager__username="pm")
    assert sorted(projects.values_list("code", flat=True)) == sorted(spec.code for spec in PROJECTS)
    assert all(p.team_members.filter(user__username="member").exists() for p in projects)
    contact = ClientContact.objects.get(user__username="client")
    assert projects.filter(client=contact.client).exists()


def _every_kind_the_demo_shows_is_there() -> None:
    mine = {"project__project_manager__username": "pm"}
    today = timezone.localdate()
    statuses = set(Deliverable.objects.filter(**mine).values_list("status", flat=True))
    assert statuses == {"not_started", "in_progress", "in_review", "awaiting_sign_off", "accepted", "rejected"}
    awaiting = Deliverable.objects.filter(
        status="awaiting_sign_off", project__client__contacts__user__username="client"
    ).select_related("review_document")
    assert awaiting.exists()
    # What the client reviews is there and shared with them.
    assert all(d.review_document.is_shared and d.review_document.status == "approved" for d in awaiting)
    assert NonConformance.objects.filter(deliverable__project__project_manager__username="pm", status="open").exists()
    assert RaidItem.objects.filter(
        **mine, kind="issue", severity="critical", acknowledged_at=None, status="open"
    ).exists()
    assert Document.objects.filter(
        **mine, expires_on__gte=today, expires_on__lte=today + timezone.timedelta(days=30)
    ).exists()
    assert Correspondence.objects.filter(**mine, counterpart_kind="authority", status="awaiting_reply").exists()
    assert list(ToleranceException.objects.filter(**mine, state="open").values_list("project__code", "kind")) == [
        ("MDC-BRAND", "cost")
    ]
    # Its exception plan is submitted and waits for a head's decision.
    assert list(ToleranceException.objects.filter(**mine, state="open").values_list("plan__state", flat=True)) == [
        "submitted"
    ]
    assert Allocation.objects.filter(**mine, status="tentative").exists()
    # Time as a person keeps it: a long day at most (the timesheet refuses a day over 24 h).
    days = TimeEntry.objects.values("member", "date").annotate(hours=Sum("hours")).order_by("-hours")
    assert days[0]["hours"] <= 16
    member = Allocation.objects.filter(**mine, member__user__username="member").first().member
    (load,) = member_week_loads(members=[member], weeks=[week_start(today)])[member.pk]
    assert load.confirmed > load.capacity  # over-booked
