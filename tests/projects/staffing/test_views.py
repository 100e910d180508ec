"""Staffing pages: the team page's one-click Assign answers every part of the page the booking changes."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import OpenRoleFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Elements(HTMLParser):
    """The attributes and whitespace-collapsed text of every element with an id (the last one of each id wins)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, tuple[dict[str, str | None], str]] = {}
        self._open: list[tuple[str, str | None, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        values = dict(attrs)
        self._open.append((tag, values.get("id"), values, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, ident, attrs, text = self._open.pop()
            if ident:
                self.found[ident] = (attrs, " ".join("".join(text).split()))
            if self._open:
                self._open[-1][3].extend(text)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][3].append(data)


def _elements(html: str) -> dict[str, tuple[dict[str, str | None], str]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def _oob(attrs: dict[str, str | None]) -> bool:
    return any(re.fullmatch(r"(data-)?hx-swap-oob", name) for name in attrs)


@pytest.fixture
def roles(world):
    """Two open roles on ALPHA-1: "Data engineer" (30 h/week) and "Tester" (20 h/week)."""
    project = world["alpha_project"]
    return (
        OpenRoleFactory(project=project, title="Data engineer", hours_per_week=Decimal("30")),
        OpenRoleFactory(project=project, title="Tester"),
    )


def test_it_answers_assign_with_the_role_card_and_allocations_the_booking_changed(client, pm, roles):
    role, other = roles
    eve = TeamMemberFactory(name="Eve Example", weekly_capacity_hours=Decimal("37.5"))
    client.force_login(pm)
    team = _elements(client.get(reverse("projects:team", args=["ALPHA-1"])).content.decode())
    assert "Booked 0 of 30 h/week · gap 30 h/week" in team[f"role-{role.pk}"][1]
    assert "Eve Example" not in team["allocations"][1]

    response = client.post(
        reverse("projects:role_assign", args=["ALPHA-1", role.pk]),
        {"member": eve.pk, "status": "confirmed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    # The answer replaces the role's whole card, whichever row's form asked.
    assert (response["HX-Retarget"], response["HX-Reswap"]) == (f"#role-{role.pk}", "outerHTML")
    answer = _elements(response.content.decode())
    _, card = answer[f"role-{role.pk}"]
    assert "Booked 30 of 30 h/week" in card
    assert "gap" not in card
    assert "Filled" in card
    assert "Eve Example (confirmed)" in card
    assert "Eve Example booked as Data engineer" in card
    # The person's load over the role's weeks: 30 of 37.5 hours.
    assert "Eve Example is now booked 80 % of their capacity in those weeks" in card
    assert "Suggest people" not in card  # the role is filled
    attrs, allocations = answer["allocations"]
    assert _oob(attrs)
    assert "Eve Example Data engineer 30" in allocations
    # The other open role's suggestions (free time now stale) are closed, to be asked for again.
    attrs, stale = answer[f"suggest-{other.pk}"]
    assert _oob(attrs)
    assert stale == ""


def test_it_keeps_answering_a_refused_assign_in_the_candidates_row(client, pm, roles, world):
    role, _ = roles
    client.force_login(pm)
    inactive = TeamMemberFactory(name="Ida Inactive", is_active=False)
    response = client.post(
        reverse("projects:role_assign", args=["ALPHA-1", role.pk]),
        {"member": inactive.pk, "status": "confirmed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert f"cand-{role.pk}-{inactive.pk}" in _elements(response.content.decode())
