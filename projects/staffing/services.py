"""Writes of staffing: booking a person onto a project (for all of an open role or part of its hours or
period), changing or cancelling a booking (kept as history), editing and closing an open role.

Each checks its input and refuses with ``apm.errors.Refused``
(``OverAllocationError`` is one), the model's own validation included
(``apm.validation``), changing nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apm import validation
from apm.errors import Refused
from projects.models import Allocation, AllocationStatus, OpenRole, OpenRoleStatus, Project
from projects.staffing.selectors import member_week_loads, role_cover
from teams.capacity import DEFAULT_WEEKDAYS, Booking, WeekLoad, week_loads, weeks_between
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User


#: The statuses a booking is made or changed to (cancelling is :func:`allocation_cancel`).
BOOKABLE = (AllocationStatus.CONFIRMED, AllocationStatus.TENTATIVE)


class OverAllocationError(Refused):
    """Booking would take a person's confirmed hours over capacity; ``weeks`` lists the Mondays."""

    def __init__(self, member: TeamMember, weeks: list[WeekLoad]):
        self.member = member
        self.weeks = weeks
        labels = ", ".join(f"{load.week:%d %b}" for load in weeks[:4]) + (" …" if len(weeks) > 4 else "")
        super().__init__(f"{member} would be over-allocated in {len(weeks)} week(s) (from {labels}).")


@transaction.atomic
def allocation_create(
    *,
    project: Project,
    member: TeamMember,
    hours_per_week: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    status: str = AllocationStatus.CONFIRMED,
    open_role: OpenRole | None = None,
    role_title: str = "",
    created_by: User | None = None,
    allow_over_allocation: bool = False,
) -> Allocation:
    """Book ``member`` onto ``project`` for ``hours_per_week`` hours per week, ``start_date``…``end_date``.

    Adds the member to the project's team. A confirmed booking that would
    take the member's confirmed hours over capacity in any week raises
    ``OverAllocationError`` unless ``allow_over_allocation`` (the PM saw the
    warning and chose to book anyway). Raises ``Refused`` for hours ≤ 0,
    reversed dates, an unknown status, an inactive member, a role of another
    project, a booking for a role that does not fit it (see
    :func:`_refuse_outside_role`: outside its dates, more hours than it asks
    or than are still open then, a person already booked on it), or a value
    the model refuses (hours per week outside 0.25-168, a role title over 200
    characters). A booking may take part of a role's hours or period; when
    the role's bookings then cover its hours throughout its period, the role
    is marked filled.
    """
    if hours_per_week <= 0:
        raise Refused("Hours per week must be more than zero.")
    if end_date < start_date:
        raise Refused("The end date is before the start date.")
    if status not in BOOKABLE:
        raise Refused(f"Unknown status {status!r}.")
    if not member.is_active:
        raise Refused(f"{member} is not active.")
    if open_role is not None and open_role.project_id != project.pk:
        raise Refused("That role belongs to another project.")
    # Serialise bookings of one person so two PMs cannot both take the last free hours (the person is locked
    # before the role, as in allocation_update).
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    if open_role is not None:
        _refuse_outside_role(
            role=open_role, member=member, booking=Booking(start_date, end_date, hours_per_week), editing=None
        )
    if status == AllocationStatus.CONFIRMED and not allow_over_allocation:
        _refuse_over_allocation(member=member, booking=Booking(start_date, end_date, hours_per_week))
    allocation = validation.create(
        Allocation,
        project=project,
        member=member,
        open_role=open_role,
        role_title=role_title or (open_role.title if open_role else ""),
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
        status=status,
        created_by=created_by,
    )
    project.team_members.add(member)
    if open_role is not None:
        open_role_status_sync(role=open_role)
    return allocation


def _refuse_outside_role(*, role: OpenRole, member: TeamMember, booking: Booking, editing: Allocation | None) -> None:
    """Raise ``Refused`` when ``booking`` of ``member`` does not fit ``role``: it runs outside the role's
    dates, asks more hours per week than the role does, or than the role's other live bookings (tentative
    ones too; ``editing``, the booking being changed, not counted) leave open on any working day of the
    booked dates, or ``member`` already has another live booking on the role (that one is changed instead).

    Locks the role's row first, so two bookings of one role are checked one after the other.
    """
    role = OpenRole.objects.select_for_update().get(pk=role.pk)
    others = [a for a in role.allocations.live().select_related("member") if editing is None or a.pk != editing.pk]
    if any(a.member_id == member.pk for a in others):
        raise Refused(f"{member} is already booked on this role: change that booking instead.")
    if booking.start < role.start_date or booking.end > role.end_date:
        raise Refused(
            f"The role runs from {role.start_date:%d %b %Y} to {role.end_date:%d %b %Y}; book within those dates."
        )
    if booking.hours_per_week > role.hours_per_week:
        raise Refused(f"The role asks for {role.hours_per_week.normalize():f} h/week; book at most that.")
    gaps = role_cover(role, others).gaps
    days = [booking.start + dt.timedelta(days=i) for i in range((booking.end - booking.start).days + 1)]
    # Weekends are not worked: a weekend between two bookings is no gap (``cover_gaps``), so it limits nothing.
    days = [day for day in days if day.isoweekday() in DEFAULT_WEEKDAYS] or days
    still_open = min(
        (next((g.hours_per_week for g in gaps if g.start <= day <= g.end), Decimal(0)) for day in days),
        default=Decimal(0),
    )
    if booking.hours_per_week > still_open:
        dates = f"from {booking.start:%d %b %Y} to {booking.end:%d %b %Y}"
        if still_open:
            raise Refused(f"Only {still_open.normalize():f} h/week of this role is open {dates}; book at most that.")
        inside = [g for g in gaps if g.start <= booking.end and g.end >= booking.start]
        if not inside:
            raise Refused(f"None of this role's hours are open {dates}: it is fully booked then.")
        still = "; ".join(
            f"{g.hours_per_week.normalize():f} h/week from {max(g.start, booking.start):%d %b %Y} "
            f"to {min(g.end, booking.end):%d %b %Y}"
            for g in inside
        )
        raise Refused(f"This role is fully booked on part of the dates {dates}; still open: {still}.")


def _refuse_over_allocation(*, member: TeamMember, booking: Booking, replacing: Allocation | None = None) -> None:
    """Raise ``OverAllocationError`` when ``booking`` (confirmed) takes ``member``'s confirmed hours over
    capacity in a week; ``replacing`` is a booking of theirs it takes the place of (its hours are not counted)."""
    weeks = weeks_between(booking.start, booking.end)
    loads = member_week_loads(members=[member], weeks=weeks)[member.pk]

    def spread(bookings: list[Booking]) -> list[WeekLoad]:
        return week_loads(
            weeks=weeks, weekly_hours=member.weekly_capacity_hours, weekdays=member.weekdays, bookings=bookings
        )

    extra = spread([booking])
    old = (
        spread([Booking(replacing.start_date, replacing.end_date, replacing.hours_per_week)])
        if replacing is not None and replacing.status == AllocationStatus.CONFIRMED
        else [None] * len(weeks)
    )
    over = [
        load
        for load, add, was in zip(loads, extra, old, strict=True)
        if add.confirmed and load.confirmed - (was.confirmed if was else 0) + add.confirmed > load.capacity
    ]
    if over:
        raise OverAllocationError(member, over)


def open_role_status_sync(*, role: OpenRole) -> None:
    """An open role whose bookings (not cancelled; tentative ones count) cover its hours throughout its
    period becomes filled; a filled one with a gap again is open."""
    role.refresh_from_db(fields=["status", "hours_per_week", "start_date", "end_date"])
    if role.status == OpenRoleStatus.CANCELLED:
        return
    cover = role_cover(role, role.allocations.live())
    status = OpenRoleStatus.OPEN if cover.gaps else OpenRoleStatus.FILLED
    if status != role.status:
        OpenRole.objects.filter(pk=role.pk).update(status=status)
        role.status = status


@transaction.atomic
def allocation_update(
    *,
    allocation: Allocation,
    hours_per_week: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    status: str,
    allow_over_allocation: bool = False,
) -> Allocation:
    """Change a booking's hours per week, dates (inclusive) and status (confirmed or tentative).

    As :func:`allocation_create`: a confirmed booking that would take the
    person's confirmed hours over capacity in any week raises
    ``OverAllocationError`` (its own old hours not counted) unless
    ``allow_over_allocation``. Raises ``Refused`` for hours ≤ 0, reversed
    dates, an unknown status, a booking cancelled meanwhile, a booking that
    no longer fits its role (checked as when booking, its own old hours not
    counted), or a value the model refuses (hours per week outside
    0.25-168); nothing is written then.
    The role it fills becomes filled or open again as its hours are covered.
    """
    if hours_per_week <= 0:
        raise Refused("Hours per week must be more than zero.")
    if end_date < start_date:
        raise Refused("The end date is before the start date.")
    if status not in BOOKABLE:
        raise Refused(f"Unknown status {status!r}.")
    TeamMember.objects.select_for_update().filter(pk=allocation.member_id).first()
    locked = Allocation.objects.live().select_related("member").filter(pk=allocation.pk).first()
    if locked is None:
        raise Refused("This booking was cancelled meanwhile.")
    if locked.open_role is not None:
        _refuse_outside_role(
            role=locked.open_role,
            member=locked.member,
            booking=Booking(start_date, end_date, hours_per_week),
            editing=locked,
        )
    if status == AllocationStatus.CONFIRMED and not allow_over_allocation:
        _refuse_over_allocation(
            member=locked.member, booking=Booking(start_date, end_date, hours_per_week), replacing=locked
        )
    fields = ["hours_per_week", "start_date", "end_date", "status"]
    locked.hours_per_week, locked.start_date, locked.end_date, locked.status = (
        hours_per_week,
        start_date,
        end_date,
        status,
    )
    validation.clean(locked, fields=fields)
    locked.save(update_fields=fields)
    if locked.open_role is not None:
        open_role_status_sync(role=locked.open_role)
    return locked


@transaction.atomic
def allocation_cancel(*, allocation: Allocation, user: User | None = None) -> Allocation:
    """Cancel a booking: it is kept, marked cancelled with when and by whom, and counts no more in
    capacity, utilisation or the role's cover (the person stays on the team, their logged time with them).

    The role it filled is open again when its hours are no longer covered.
    Raises ``Refused`` when it was cancelled meanwhile.
    """
    locked = Allocation.objects.select_for_update().filter(pk=allocation.pk).first()
    if locked is None or locked.status == AllocationStatus.CANCELLED:
        raise Refused("This booking was already cancelled.")
    locked.status = AllocationStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = user
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    if locked.open_role is not None:
        open_role_status_sync(role=locked.open_role)
    return locked


@transaction.atomic
def open_role_close(*, role: OpenRole) -> OpenRole:
    """Close an open role (cancelled: no longer staffed, off the team page); its bookings stay.

    Raises ``Refused`` when it was already closed.
    """
    locked = OpenRole.objects.select_for_update().get(pk=role.pk)
    if locked.status == OpenRoleStatus.CANCELLED:
        raise Refused("This role was already closed.")
    locked.status = OpenRoleStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked
