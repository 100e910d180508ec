"""Staffing pages: the team page's one-click Assign answers every part of the page the booking changes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from projects.models import Allocation, OpenRole
from projects.staffing.services import allocation_create
from tests.factories import AllocationFactory, OpenRoleFactory, TeamMemberFactory

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
    assert "0 h/week booked, 30 open" in team[f"role-{role.pk}"][1]
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
    assert "Fully booked: 30 h/week" in card
    assert "open" not in card.replace("Suggest", "")
    assert "Filled" in card
    assert "Eve Example 30 h/week (confirmed)" in card
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


# --- Changing and cancelling bookings, editing and closing open roles ---------------------------


@pytest.fixture
def booking(world, roles):
    """Eve (37.5 h/week) booked 30 h/week as "Data engineer" (which that fills), 3 Mar to 27 Apr 2025."""
    role, _ = roles
    eve = TeamMemberFactory(name="Eve Example", weekly_capacity_hours=Decimal("37.5"))
    return allocation_create(
        project=world["alpha_project"],
        member=eve,
        hours_per_week=Decimal("30"),
        start_date=role.start_date,
        end_date=role.end_date,
        open_role=role,
    )


def _edit(booking):
    return reverse("projects:allocation_edit", args=["ALPHA-1", booking.pk])


def _change(**changes):
    data = {"hours_per_week": "20", "start_date": "2025-03-03", "end_date": "2025-04-27", "status": "confirmed"}
    return data | changes


def test_it_changes_a_booking_and_opens_the_role_it_no_longer_fills(client, pm, booking):
    client.force_login(pm)
    team = client.get(reverse("projects:team", args=["ALPHA-1"])).content.decode()
    assert _edit(booking) in team
    response = client.post(_edit(booking), _change(hours_per_week="20", end_date="2025-04-13"), follow=True)
    assert "Booking of Eve Example saved." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.hours_per_week, booking.end_date) == (Decimal("20"), dt.date(2025, 4, 13))
    booking.open_role.refresh_from_db()
    assert booking.open_role.status == "open"  # 20 of 30 h/week: a gap again


def test_it_warns_of_over_allocation_when_a_change_takes_the_person_over_capacity(client, pm, booking):
    OpenRole.objects.filter(pk=booking.open_role_id).update(hours_per_week=Decimal("40"))  # room in the role
    client.force_login(pm)
    response = client.post(_edit(booking), _change(hours_per_week="40"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Over-allocation:" in body
    assert "Eve Example would be over-allocated" in body
    booking.refresh_from_db()
    assert booking.hours_per_week == Decimal("30")  # nothing saved before the PM chooses
    # The PM chooses to save anyway.
    client.post(_edit(booking), _change(hours_per_week="40", allow_over="1"))
    booking.refresh_from_db()
    assert booking.hours_per_week == Decimal("40")


def test_it_does_not_count_the_bookings_own_old_hours_against_the_change(client, pm, booking):
    OpenRole.objects.filter(pk=booking.open_role_id).update(hours_per_week=Decimal("40"))  # room in the role
    client.force_login(pm)
    client.post(_edit(booking), _change(hours_per_week="35"))  # 35 of 37.5: fits once the old 30 are set aside
    booking.refresh_from_db()
    assert booking.hours_per_week == Decimal("35")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_change(end_date="2025-02-01"), "The end date is before the start date."),
        (_change(hours_per_week="0"), "Ensure this value is greater than or equal to 0.25."),
        (_change(hours_per_week="1e9"), "Ensure this value is less than or equal to 168."),
        (_change(status="maybe"), "Select a valid choice."),
        (_change(start_date="not a date"), "Enter a valid date."),
    ],
)
def test_it_refuses_a_bad_booking_change_with_a_message_and_changes_nothing(client, pm, booking, data, message):
    client.force_login(pm)
    response = client.post(_edit(booking), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert (booking.hours_per_week, booking.end_date, booking.status) == (
        Decimal("30"),
        dt.date(2025, 4, 27),
        "confirmed",
    )


def test_it_cancels_a_booking_and_opens_its_role_again(client, pm, booking):
    client.force_login(pm)
    url = reverse("projects:allocation_cancel", args=["ALPHA-1", booking.pk])
    response = client.post(url, follow=True)
    assert "Booking of Eve Example cancelled." in response.content.decode()
    # Kept as history: marked cancelled, with when and by whom.
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == ("cancelled", pm)
    assert booking.cancelled_at is not None
    booking.open_role.refresh_from_db()
    assert booking.open_role.status == "open"
    # Twice (a second tab): refused with a message, and nothing changes.
    again = client.post(url, follow=True).content.decode()
    assert "This booking was already cancelled." in again
    assert Allocation.objects.get(pk=booking.pk).cancelled_at == booking.cancelled_at


def test_it_edits_and_closes_an_open_role(client, pm, roles):
    role, other = roles
    client.force_login(pm)
    edit = reverse("projects:role_edit", args=["ALPHA-1", role.pk])
    assert role.title in client.get(edit).content.decode()
    data = {
        "title": "Senior data engineer",
        "hours_per_week": "25",
        "start_date": "2025-03-03",
        "end_date": "2025-05-30",
        "note": "",
        "skills-TOTAL_FORMS": "0",
        "skills-INITIAL_FORMS": "0",
    }
    response = client.post(edit, data, follow=True)
    assert "Open role Senior data engineer saved." in response.content.decode()
    role.refresh_from_db()
    assert (role.title, role.hours_per_week) == ("Senior data engineer", Decimal("25"))
    assert role.end_date == dt.date(2025, 5, 30)
    refused = client.post(edit, data | {"end_date": "2025-01-01"})
    assert "The end date is before the start date." in refused.content.decode()
    role.refresh_from_db()
    assert role.end_date == dt.date(2025, 5, 30)

    close = reverse("projects:role_close", args=["ALPHA-1", other.pk])
    response = client.post(close, follow=True)
    assert "Open role Tester closed" in response.content.decode()
    assert f"role-{other.pk}" not in _elements(response.content.decode())
    response = client.post(close, follow=True)
    assert "Role not closed. This role was already closed." in response.content.decode()


@pytest.mark.parametrize("who", ["member", "client_user", "outside_head"])
def test_it_answers_404_on_booking_and_role_changes_to_those_who_may_not_staff(client, booking, roles, who, request):
    client.force_login(request.getfixturevalue(who))
    role = roles[1]
    for url, data in (
        (_edit(booking), _change(hours_per_week="5")),
        (reverse("projects:allocation_cancel", args=["ALPHA-1", booking.pk]), {}),
        (reverse("projects:role_edit", args=["ALPHA-1", role.pk]), {"title": "x"}),
        (reverse("projects:role_close", args=["ALPHA-1", role.pk]), {}),
    ):
        assert client.post(url, data).status_code == 404
    booking.refresh_from_db()
    role.refresh_from_db()
    assert (booking.hours_per_week, role.status) == (Decimal("30"), "open")


def test_it_answers_404_for_another_projects_booking(client, pm, world):
    theirs = AllocationFactory(project=world["beta_project"])
    client.force_login(pm)
    assert client.post(_edit(theirs), _change()).status_code == 404
    assert client.post(reverse("projects:allocation_cancel", args=["ALPHA-1", theirs.pk])).status_code == 404
    assert Allocation.objects.filter(pk=theirs.pk, hours_per_week=Decimal("10")).exists()
