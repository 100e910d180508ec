"""Fixtures of the project domain tests: ALPHA-1, its "Launch video" deliverable and a house quality standard."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.delivery import services as delivery_services
from tests import factories


@pytest.fixture
def project(world):
    return world["alpha_project"]


@pytest.fixture
def deliverable(project, pm):
    """ "Launch video", made by the PM through the service: not started, due 30 June 2025, two acceptance criteria."""
    return delivery_services.deliverable_create(
        project=project,
        user=pm,
        name="Launch video",
        due_date=dt.date(2025, 6, 30),
        start_date=dt.date(2025, 2, 1),
        acceptance_criteria="90 seconds\nSubtitled",
        owner=pm,
    )


@pytest.fixture
def standard(project):
    """ "House style", applied to ``project``: "Spelling checked", then "Brand colours used"."""
    std = factories.QualityStandardFactory(name="House style")
    factories.QualityCriterionFactory(standard=std, text="Spelling checked")
    factories.QualityCriterionFactory(standard=std, text="Brand colours used")
    std.projects.add(project)
    return std
