"""What the bad-input properties found, kept as plain tests (each failed before its fix)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import ContingencyRequest, ProjectBudget
from tests.badinput.conftest import changed_rows, row_prints

pytestmark = pytest.mark.django_db


def test_it_refuses_a_standard_id_too_large_for_the_database(client, world, pm):
    # Was: OverflowError (Python int too large to convert to SQLite INTEGER) from ModelMultipleChoiceField's pk__in.
    client.force_login(pm)
    before = row_prints()
    response = client.post(reverse("projects:quality", args=["ALPHA-1"]), {"standards": [str(2**63)]})
    assert response.status_code == 200
    assert changed_rows(before, row_prints()) == {}


@pytest.mark.parametrize("huge", [str(2**63), str(2**64), "-1", "0"])
def test_it_refuses_out_of_range_ids_in_every_multiple_choice(client, world, pm, huge):
    client.force_login(pm)
    before = row_prints()
    code = "ALPHA-1"
    posts = [
        (
            reverse("projects:deliverable_create", args=[code]),
            {"name": "D", "due_date": "2025-05-01", "depends_on": [huge]},
        ),
        (reverse("projects:change_create", args=[code]), {"title": "C", "affected_deliverables": [huge]}),
        (
            reverse("projects:correspondence_create", args=[code]),
            {"subject": "S", "documents": [huge], "clauses": [huge]},
        ),
        (reverse("projects:letter_create", args=[code]), {"subject": "S", "documents": [huge], "clauses": [huge]}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (200, 400), url
    assert changed_rows(before, row_prints()) == {}


def test_it_leaves_no_budget_row_behind_when_a_contingency_request_is_refused(client, world, pm):
    # Was: budget_get() created the project's ProjectBudget row before refusing an amount above the reserve.
    client.force_login(pm)
    assert not ProjectBudget.objects.filter(project=world["alpha_project"]).exists()
    response = client.post(
        reverse("projects:contingency_request", args=["ALPHA-1"]),
        {"amount": "173", "category": "travel", "reason": "more trains"},
    )
    assert response.status_code == 302
    assert not ProjectBudget.objects.filter(project=world["alpha_project"]).exists()
    assert not ContingencyRequest.objects.exists()
    assert ProjectBudget(project=world["alpha_project"]).contingency_reserve == Decimal("0")
