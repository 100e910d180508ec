"""Fixtures of the template tests: ALPHA-1 (starts 1 Jan 2024) with a plan of every kind a template keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.accounts.models import Role
from projects.budget.services.plan import budget_line_add
from projects.delivery import services as delivery_services
from projects.documents.services import clause_create
from projects.planning import services as planning_services
from projects.quality.services import project_standards_set
from projects.raid.services import raid_item_create
from tests import factories


@pytest.fixture
def planned(project, pm):
    """ALPHA-1's plan: "Design" (1-15 Jan 2024) and "Build" (16 Jan-29 Feb, after Design); task "Sketch"
    (2-10 Jan, 8 h, two checklist lines) under Design, "Code" (16 Jan-1 Feb, after Sketch) under Build,
    "Tidy up" under none; a risk due 31 Jan, an assumption, an issue and a closed risk (neither kept); the
    company standard "Accessible web"; a labour line of 1,234; clause 4.1 due 1 Mar 2024."""
    design = delivery_services.deliverable_create(
        project=project,
        user=pm,
        name="Design",
        start_date=dt.date(2024, 1, 1),
        due_date=dt.date(2024, 1, 15),
        acceptance_criteria="Signed wireframes",
    )
    build = delivery_services.deliverable_create(
        project=project,
        user=pm,
        name="Build",
        start_date=dt.date(2024, 1, 16),
        due_date=dt.date(2024, 2, 29),
        depends_on=[design],
    )
    sketch = planning_services.task_create(
        project=project,
        user=pm,
        title="Sketch",
        deliverable=design,
        estimate_hours=Decimal("8"),
        start_date=dt.date(2024, 1, 2),
        due_date=dt.date(2024, 1, 10),
        priority="high",
    )
    planning_services.checklist_item_add(task=sketch, user=pm, text="Wireframes")
    planning_services.checklist_item_add(task=sketch, user=pm, text="Review")
    code = planning_services.task_create(
        project=project,
        user=pm,
        title="Code",
        deliverable=build,
        start_date=dt.date(2024, 1, 16),
        due_date=dt.date(2024, 2, 1),
    )
    code.depends_on.set([sketch])
    planning_services.task_create(project=project, user=pm, title="Tidy up")
    raid_item_create(
        project=project,
        kind="risk",
        user=pm,
        title="Key designer leaves",
        probability=3,
        impact=4,
        mitigation="Pair on everything",
        due_date=dt.date(2024, 1, 31),
    )
    raid_item_create(project=project, kind="assumption", user=pm, title="The client gives feedback in 3 days")
    raid_item_create(project=project, kind="issue", user=pm, title="Server down", severity="low")
    closed = raid_item_create(project=project, kind="risk", user=pm, title="Old risk", probability=1, impact=1)
    closed.status = "closed"
    closed.save()
    standard = factories.QualityStandardFactory(name="Accessible web")
    project_standards_set(project=project, standards=[standard], user=pm)
    budget_line_add(project=project, category="labour", amount=Decimal("1234.00"), description="Design days", actor=pm)
    clause_create(
        project=project,
        user=pm,
        number="4.1",
        title="Handover",
        text="The supplier hands over the code.",
        deadline=dt.date(2024, 3, 1),
    )
    return project


@pytest.fixture
def stranger_pm(db):
    """A project manager of no project of the world (may create projects; sees no money of ALPHA-1)."""
    return factories.UserFactory(username="stranger_pm", role=Role.PROJECT_MANAGER)


@pytest.fixture
def form_data(pm):
    """What the new-project form posts for "NEW-1", run by the PM, starting 3 Mar 2025."""
    return {
        "code": "NEW-1",
        "name": "New shop",
        "status": "active",
        "currency": "GBP",
        "project_manager": str(pm.pk),
        "start_date": "2025-03-03",
    }
