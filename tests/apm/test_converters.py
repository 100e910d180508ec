"""Codes in URLs: anything that is not a code is a 404 before any query; bad codes cannot be saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/projects/%00/",
        "/projects/%00/edit/",
        "/projects/a%2Fb/",
        "/projects/../",
        "/reports/project/%00/",
        "/reports/department/%00/",
        "/projects/departments/%00/budget/",
    ],
)
def test_it_answers_404_for_paths_that_are_not_codes(client, admin_user, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("code", ["A/B", "new", "NEW", "time", "departments", "..", "has space", "x" * 41, "-lead"])
def test_it_refuses_project_codes_that_cannot_be_addresses(code):
    project = ProjectFactory.build(code=code)
    with pytest.raises(ValidationError) as error:
        project.full_clean(exclude=["client"])
    assert "code" in error.value.message_dict


def test_it_accepts_gmpp_style_codes():
    project = ProjectFactory.build(code="DFT_0022_1415-Q4")
    project.full_clean(exclude=["client"])
