"""Writes of staffing: booking a person onto a project.

Each checks its input and refuses with ``apm.errors.Refused``
(``OverAllocationError`` is one), the model's own validation included
(``apm.validation``), changing nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from apm import validation
from apm.errors import Refused
from projects.models import Allocation, AllocationStatus, OpenRole, OpenRoleStatus, Project
from projects.staffing.selectors import member_week_loads
from teams.capacity import Booking, WeekLoad, week_loads, weeks_between
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User


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
    project, or a value the model refuses (hours per week outside 0.25-168,
    a role title over 200 characters). When the role's bookings then cover
    its hours, the role is marked filled.
    """
    if hours_per_week <= 0:
        raise Refused("Hours per week must be more than zero.")
    if end_date < start_date:
        raise Refused("The end date is before the start date.")
    if status not in AllocationStatus.values:
        raise Refused(f"Unknown status {status!r}.")
    if not member.is_active:
        raise Refused(f"{member} is not active.")
    if open_role is not None and open_role.project_id != project.pk:
        raise Refused("That role belongs to another project.")
    # Serialise bookings of one person so two PMs cannot both take the last free hours.
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    if status == AllocationStatus.CONFIRMED and not allow_over_allocation:
        weeks = weeks_between(start_date, end_date)
        loads = member_week_loads(members=[member], weeks=weeks)[member.pk]
        extra = week_loads(
            weeks=weeks,
            weekly_hours=member.weekly_capacity_hours,
            weekdays=member.weekdays,
            bookings=[Booking(start_date, end_date, hours_per_week)],
        )
        over = [
            load
            for load, add in zip(loads, extra, strict=True)
            if add.confirmed and load.confirmed + add.confirmed > load.capacity
        ]
        if over:
            raise OverAllocationError(member, over)
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
    if open_role is not None and open_role.status == OpenRoleStatus.OPEN:
        booked = sum(open_role.allocations.values_list("hours_per_week", flat=True), Decimal(0))
        if booked >= open_role.hours_per_week:
            OpenRole.objects.filter(pk=open_role.pk).update(status=OpenRoleStatus.FILLED)
    return allocation
