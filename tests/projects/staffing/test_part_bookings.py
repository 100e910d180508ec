"""Booking part of an open role's hours or period, and cancelled bookings kept as history but counted nowhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apm.errors import Refused
from projects.models import Allocation
from projects.staffing.selectors import member_week_loads, project_role_cover, staffing_suggestions
from projects.staffing.services import allocation_cancel, allocation_create, allocation_update
from teams.capacity import Booking, Gap, cover_gaps, weeks_between
from tests.factories import OpenRoleFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db

D = Decimal
MAR3, APR27 = dt.date(2025, 3, 3), dt.date(2025, 4, 27)  # Monday 3 March to Sunday 27 April 2025: 8 weeks


@pytest.fixture
def role(world):
    """A 40 h/week "Data engineer" role on ALPHA-1, 3 Mar to 27 Apr 2025."""
    return OpenRoleFactory(
        project=world["alpha_project"], title="Data engineer", hours_per_week=D("40"), start_date=MAR3, end_date=APR27
    )


def _cover(role):
    [cover] = [c for c in project_role_cover(project=role.project) if c.role.pk == role.pk]
    return cover


def test_it_cuts_a_roles_period_where_bookings_start_and_end():
    gaps = cover_gaps(
        start=MAR3,
        end=APR27,
        hours_per_week=D("40"),
        bookings=[
            Booking(MAR3, APR27, D("20")),
            Booking(MAR3, dt.date(2025, 3, 28), D("20"), confirmed=False),  # to a Friday
            Booking(dt.date(2025, 3, 31), dt.date(2025, 4, 13), D("20")),  # from the Monday after
        ],
    )
    # The weekend between two bookings is no gap.
    assert gaps == [Gap(dt.date(2025, 4, 14), APR27, D("20"))]
    assert cover_gaps(start=MAR3, end=APR27, hours_per_week=D("40"), bookings=[]) == [Gap(MAR3, APR27, D("40"))]


def test_a_role_booked_for_part_of_its_hours_stays_open_with_the_rest(client, pm, role, world):
    eve = TeamMemberFactory(name="Eve Example", weekly_capacity_hours=D("37.5"))
    client.force_login(pm)
    url = reverse("projects:role_assign", args=["ALPHA-1", role.pk])
    response = client.post(url, {"member": eve.pk, "status": "confirmed", "hours_per_week": "20"}, follow=True)
    assert "Eve Example booked as Data engineer." in response.content.decode()
    booking = Allocation.objects.get(member=eve)
    assert (booking.hours_per_week, booking.start_date, booking.end_date) == (D("20"), MAR3, APR27)
    role.refresh_from_db()
    assert role.status == "open"
    cover = _cover(role)
    assert (cover.booked, cover.gap) == (D("20"), D("20"))
    team = client.get(reverse("projects:team", args=["ALPHA-1"])).content.decode()
    assert '20 h/week booked, <strong class="text-danger">20 open</strong>' in team
    # The suggestions offer the rest by default.
    TeamMemberFactory(name="Cy Candidate")
    suggestions = client.get(reverse("projects:role_suggestions", args=["ALPHA-1", role.pk])).content.decode()
    assert "Cy Candidate" in suggestions
    assert 'name="hours_per_week"' in suggestions
    assert 'value="20"' in suggestions


def test_a_role_booked_for_part_of_its_period_lists_what_is_still_open_and_closes_when_covered(pm, role, world):
    first, second = TeamMemberFactory(name="Ann First"), TeamMemberFactory(name="Bo Second")
    allocation_create(
        project=role.project,
        member=first,
        hours_per_week=D("40"),
        start_date=MAR3,
        end_date=dt.date(2025, 3, 30),
        open_role=role,
        allow_over_allocation=True,
    )
    role.refresh_from_db()
    assert role.status == "open"
    assert _cover(role).gaps == [Gap(dt.date(2025, 3, 31), APR27, D("40"))]
    allocation_create(
        project=role.project,
        member=second,
        hours_per_week=D("40"),
        start_date=dt.date(2025, 3, 31),
        end_date=APR27,
        open_role=role,
        status="tentative",
    )
    role.refresh_from_db()
    assert role.status == "filled"
    assert _cover(role).gaps == []


def test_a_booking_for_a_role_stays_within_the_roles_dates_and_hours(role):
    eve = TeamMemberFactory(name="Eve Example")
    common = {"project": role.project, "member": eve, "open_role": role, "allow_over_allocation": True}
    with pytest.raises(Refused, match="book within those dates"):
        allocation_create(hours_per_week=D("10"), start_date=MAR3, end_date=dt.date(2025, 5, 30), **common)
    with pytest.raises(Refused, match="book at most that"):
        allocation_create(hours_per_week=D("41"), start_date=MAR3, end_date=APR27, **common)
    assert not Allocation.objects.exists()


def test_a_part_booking_still_warns_of_over_allocation(client, pm, role, world):
    busy = TeamMemberFactory(name="Bea Busy", weekly_capacity_hours=D("37.5"))
    allocation_create(
        project=world["beta_project"], member=busy, hours_per_week=D("30"), start_date=MAR3, end_date=APR27
    )
    client.force_login(pm)
    url = reverse("projects:role_assign", args=["ALPHA-1", role.pk])
    data = {"member": busy.pk, "status": "confirmed", "hours_per_week": "10", "start_date": "2025-03-10"}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Over-allocation:" in body
    assert "Bea Busy would be over-allocated in 7 week(s)" in body
    # The warning's "book anyway" keeps the part asked for.
    assert 'name="hours_per_week" value="10"' in body
    assert 'name="start_date" value="2025-03-10"' in body
    assert not Allocation.objects.filter(project=role.project).exists()
    client.post(url, {**data, "allow_over": "1"}, HTTP_HX_REQUEST="true")
    booking = Allocation.objects.get(project=role.project)
    assert (booking.hours_per_week, booking.start_date, booking.end_date) == (D("10"), dt.date(2025, 3, 10), APR27)


def test_a_cancelled_booking_is_kept_and_counts_nowhere(pm, role, world):
    eve = TeamMemberFactory(name="Eve Example", weekly_capacity_hours=D("37.5"))
    booking = allocation_create(
        project=role.project,
        member=eve,
        hours_per_week=D("40"),
        start_date=MAR3,
        end_date=APR27,
        open_role=role,
        allow_over_allocation=True,
    )
    weeks = weeks_between(MAR3, APR27)
    assert member_week_loads(members=[eve], weeks=weeks)[eve.pk][0].confirmed == D("40")
    allocation_cancel(allocation=booking, user=pm)

    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == ("cancelled", pm)
    loads = member_week_loads(members=[eve], weeks=weeks)[eve.pk]
    assert all((load.confirmed, load.tentative, load.utilisation) == (0, 0, 0) for load in loads)
    role.refresh_from_db()
    assert role.status == "open"
    assert _cover(role).gap == D("40")
    # Eve may be suggested for the role again.
    assert eve.pk in {s.person.id for s in staffing_suggestions(role=role)}
    with pytest.raises(Refused, match="already cancelled"):
        allocation_cancel(allocation=booking, user=pm)


def test_the_team_and_person_pages_keep_cancelled_bookings_apart(client, pm, role, world):
    eve = TeamMemberFactory(name="Eve Example")
    booking = allocation_create(
        project=role.project, member=eve, hours_per_week=D("10"), start_date=MAR3, end_date=APR27, open_role=role
    )
    allocation_cancel(allocation=booking, user=pm)
    client.force_login(pm)
    team = client.get(reverse("projects:team", args=["ALPHA-1"])).content.decode()
    allocations = team.split('id="allocations"', 1)[1].split("</section>", 1)[0]
    assert "Eve Example" not in allocations
    assert "Cancelled bookings (1)" in team
    assert "Eve Example · Data engineer · 10 h/week" in team
    person = client.get(reverse("staffing:person", args=[eve.pk])).content.decode()
    assert "No current allocations." in person
    # A cancelled booking is not changed any more.
    response = client.get(reverse("projects:allocation_edit", args=["ALPHA-1", booking.pk]), follow=True)
    assert "was cancelled" in response.content.decode()


def _book(role, member, hours, start=MAR3, end=APR27, **kwargs):
    return allocation_create(
        project=role.project,
        member=member,
        hours_per_week=D(hours),
        start_date=start,
        end_date=end,
        open_role=role,
        allow_over_allocation=True,
        **kwargs,
    )


def test_a_role_is_never_booked_past_the_hours_still_open(role):
    ann, bo, cy = (TeamMemberFactory(name=n) for n in ("Ann First", "Bo Second", "Cy Third"))
    _book(role, ann, "20")
    # Over-allocating the person may be chosen; over-booking the role may not.
    with pytest.raises(Refused, match=r"^Only 20 h/week of this role is open from 03 Mar 2025 to 27 Apr 2025;"):
        _book(role, bo, "40")
    _book(role, bo, "20", status="tentative")  # tentative bookings count against the role too
    with pytest.raises(
        Refused, match=r"None of this role's hours are open from 07 Apr 2025 to 27 Apr 2025: it is fully booked then."
    ):
        _book(role, cy, "5", start=dt.date(2025, 4, 7))
    assert sorted(Allocation.objects.values_list("member__name", "hours_per_week")) == [
        ("Ann First", D("20.00")),
        ("Bo Second", D("20.00")),
    ]
    role.refresh_from_db()
    assert role.status == "filled"


def test_a_booking_over_part_of_a_booked_period_says_what_is_still_open(role):
    ann, bo = TeamMemberFactory(name="Ann First"), TeamMemberFactory(name="Bo Second")
    _book(role, ann, "40", end=dt.date(2025, 3, 30))
    with pytest.raises(Refused, match="still open: 40 h/week from 31 Mar 2025 to 27 Apr 2025"):
        _book(role, bo, "40")
    assert _book(role, bo, "40", start=dt.date(2025, 3, 31)).hours_per_week == D("40")


def test_a_weekend_between_two_bookings_does_not_block_a_booking_across_it(role):
    ann, bo, cy = (TeamMemberFactory(name=n) for n in ("Ann First", "Bo Second", "Cy Third"))
    _book(role, ann, "20", end=dt.date(2025, 3, 28))  # to a Friday
    _book(role, bo, "20", start=dt.date(2025, 3, 31))  # from the Monday after
    assert _book(role, cy, "20").hours_per_week == D("20")
    role.refresh_from_db()
    assert role.status == "filled"


def test_a_person_is_booked_once_on_a_role(client, pm, role):
    ann = TeamMemberFactory(name="Ann First")
    first = _book(role, ann, "10", end=dt.date(2025, 3, 30))
    with pytest.raises(Refused, match=r"^Ann First is already booked on this role: change that booking instead.$"):
        _book(role, ann, "10", start=dt.date(2025, 3, 31))
    # The one-click assign says so too, and books nothing.
    client.force_login(pm)
    url = reverse("projects:role_assign", args=["ALPHA-1", role.pk])
    response = client.post(url, {"member": ann.pk, "status": "confirmed"}, follow=True)
    assert "Ann First is already booked on this role: change that booking instead." in response.content.decode()
    assert Allocation.objects.filter(member=ann).count() == 1
    # Once that booking is cancelled, the person may be booked again.
    allocation_cancel(allocation=first, user=pm)
    assert _book(role, ann, "40").status == "confirmed"


def test_a_changed_booking_stays_within_the_role_its_own_hours_set_aside(role):
    ann, bo = TeamMemberFactory(name="Ann First"), TeamMemberFactory(name="Bo Second")
    booking = _book(role, ann, "20")
    _book(role, bo, "20")
    common = {"allocation": booking, "allow_over_allocation": True}
    with pytest.raises(Refused, match="book within those dates"):
        allocation_update(
            hours_per_week=D("20"), start_date=MAR3, end_date=dt.date(2025, 5, 30), status="confirmed", **common
        )
    with pytest.raises(Refused, match="asks for 40 h/week; book at most that"):
        allocation_update(hours_per_week=D("41"), start_date=MAR3, end_date=APR27, status="confirmed", **common)
    with pytest.raises(Refused, match=r"^Only 20 h/week of this role is open from 03 Mar 2025 to 27 Apr 2025;"):
        allocation_update(hours_per_week=D("30"), start_date=MAR3, end_date=APR27, status="confirmed", **common)
    booking.refresh_from_db()
    assert (booking.hours_per_week, booking.end_date) == (D("20.00"), APR27)
    # Its own 20 h are not counted against it: keeping them, or changing the status, goes through.
    changed = allocation_update(hours_per_week=D("20"), start_date=MAR3, end_date=APR27, status="tentative", **common)
    assert changed.status == "tentative"
