"""Query-string dates and ids: edge-of-calendar and huge values fall back instead of 500-ing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apm.dates import MAX_ID, parse_date_param, parse_id_param

TODAY = dt.date(2025, 3, 12)
EDGES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]


@pytest.mark.parametrize("value", [*EDGES, "", None, "nonsense", "2025-02-30"])
def test_it_falls_back_to_the_default_outside_the_sane_range(value):
    assert parse_date_param(value, TODAY) == TODAY


@pytest.mark.parametrize("value", ["1900-01-01", "2024-02-29", "2200-12-31"])
def test_it_keeps_dates_inside_the_range(value):
    assert parse_date_param(value, TODAY) == dt.date.fromisoformat(value)


@pytest.mark.parametrize(
    "value", ["0", "-1", str(MAX_ID + 1), "99999999999999999999999", "1e3", "٣", " ", "", None, "x"]
)
def test_it_ignores_ids_that_are_not_ints_in_range(value):
    assert parse_id_param(value) is None


@pytest.mark.parametrize("value", ["1", "42", str(MAX_ID)])
def test_it_reads_ids_in_range(value):
    assert parse_id_param(value) == int(value)


@pytest.mark.parametrize("value", EDGES)
def test_it_shows_the_capacity_heatmap_for_edge_dates(client, pm, world, value):
    client.force_login(pm)
    response = client.get(reverse("staffing:capacity"), {"from": value})
    assert response.status_code == 200


def test_it_ignores_a_huge_department_id_on_the_heatmap(client, pm, world):
    client.force_login(pm)
    response = client.get(reverse("staffing:capacity"), {"department": "99999999999999999999999"})
    assert response.status_code == 200
    assert "Mo Member" in response.content.decode()


@pytest.mark.parametrize("value", EDGES)
def test_it_shows_the_timesheet_for_edge_weeks(client, member, world, value):
    client.force_login(member)
    response = client.get(reverse("projects:timesheet"), {"week": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", EDGES)
def test_it_shows_the_budget_for_edge_as_of_dates(client, pm, world, value):
    client.force_login(pm)
    response = client.get(reverse("projects:budget", args=[world["alpha_project"].code]), {"as_of": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", EDGES)
def test_it_shows_the_status_update_form_for_edge_as_of_dates(client, pm, world, value):
    client.force_login(pm)
    response = client.get(reverse("projects:update", args=[world["alpha_project"].code]), {"as_of": value})
    assert response.status_code == 200
