"""Fixtures of the task tests: Mo Member (on ALPHA-1's team) and a task of ALPHA-1's "Launch video"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.accounts.models import Role
from projects.planning import services
from tests import factories


@pytest.fixture
def mo(project):
    """The member login's person, on ALPHA-1's team."""
    return project.team_members.get(user__username="member")


@pytest.fixture
def task(project, deliverable, pm, mo):
    """ "Cut the trailer": under "Launch video", assigned to Mo, 10 hours, due 20 June 2025, to do."""
    return services.task_create(
        project=project,
        user=pm,
        title="Cut the trailer",
        deliverable=deliverable,
        assignees=[mo],
        estimate_hours=Decimal("10"),
        due_date=dt.date(2025, 6, 20),
    )


@pytest.fixture
def other_pm(db):
    """A project manager of no project of the world."""
    return factories.UserFactory(username="other_pm", role=Role.PROJECT_MANAGER)
