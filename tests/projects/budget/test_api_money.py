"""The money sentinel sweep of the money endpoints: on the access world with the money loop planted (time at the
planted rates in every approval state, rate cards, invoices), nobody without ALPHA-1's money finds one of its
figures in any list or row of the time entries, budgets, rate cards, people's rates, invoices, reports or
schedules they can read (and those who see the money find them: the control)."""

from __future__ import annotations

import re

import pytest

from tests.apm.access.test_money_sentinels import leaks, planted, without_money
from tests.apm.access.test_money_sentinels import world as sentinel_world

pytestmark = pytest.mark.django_db

world = sentinel_world

#: ``member-rates`` is left out: a person's rates are their department's to see, not a project's (a head only on
#: ALPHA-1's team heads the department of two of its people and sees their planted rates, as the person's page
#: shows them); tests/projects/billing/test_api.py holds who sees them.
ENDPOINTS = ("time-entries", "budgets", "rate-cards", "invoices", "reports", "schedules")


#: What a JSON body holds that is no figure but may read as one once flattened: a time stamp's microseconds, a
#: digest's hex. Dropped before the search.
NOT_FIGURES = re.compile(r'\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?|"sha256":"[0-9a-f]*"')


def _key(row: dict) -> str | None:
    for name in ("id", "code"):
        if row.get(name) is not None:
            return str(row[name])
    return None


def test_the_money_endpoints_show_no_figure_to_those_without_money(world, api_as):
    figures = planted(world)
    keys = without_money(world)
    assert {"member", "pm_on_team", "head_on_team"} <= set(keys)
    failures, read = [], 0
    for key in keys:
        client = api_as(world.users[key])
        for endpoint in ENDPOINTS:
            listed = client.get(f"/api/v1/{endpoint}/?page_size=200")
            if listed.status_code == 403:
                assert key in ("contact", "other_contact"), f"{key} refused {endpoint}"
                continue
            assert listed.status_code == 200, (key, endpoint, listed.content[:300])
            bodies = [listed.content.decode()]
            for row in listed.json()["results"]:
                detail = client.get(f"/api/v1/{endpoint}/{_key(row)}/")
                assert detail.status_code == 200, (key, endpoint, row)
                bodies.append(detail.content.decode())
                read += 1
            for body in bodies:
                found = leaks(NOT_FIGURES.sub("", body), figures)
                if found:
                    failures.append(f"{key} {endpoint}: {found}")
    assert read, "nobody read a row: the sweep swept nothing"
    assert not failures, "\n".join(failures)


def test_those_with_money_see_the_planted_figures(world, api_as):
    """The control: the PM finds the planted figures in the time entries and the budget lines' BAC in the budget."""
    client = api_as(world.users["pm"])
    assert leaks(client.get("/api/v1/time-entries/?page_size=200").content.decode(), planted(world))
    assert "budget_line" in leaks(client.get("/api/v1/budgets/ALPHA-1/").content.decode())
