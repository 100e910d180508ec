"""Staffing: who is free when, who fits an open role, and booking people. Calls teams' arithmetic.

Reads (selectors) load what they need in a fixed number of queries,
whatever the number of people, and hand plain values to
``teams.capacity`` and ``teams.fit``. Writes (services) check their input
and refuse with ``apm.errors.Refused`` (``OverAllocationError`` is one), the
model's own validation included (``apm.validation``); views stay thin.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet

from apm import validation
from apm.errors import Refused
from projects.models import Allocation, AllocationStatus, OpenRole, OpenRoleSkill, OpenRoleStatus, Project
from teams.capacity import Absence, Booking, WeekLoad, needed_hours, week_loads, week_start, weeks_between
from teams.fit import Person, Requirement, Suggestion, rank_candidates
from teams.models import MemberSkill, PublicHoliday, TeamMember, TimeOff

if TYPE_CHECKING:
    from apm.accounts.models import User


class OverAllocationError(Refused):
    """Booking would take a person's confirmed hours over capacity; ``weeks`` lists the Mondays."""

    def __init__(self, member: TeamMember, weeks: list[WeekLoad]):
        self.member = member
        self.weeks = weeks
        labels = ", ".join(f"{load.week:%d %b}" for load in weeks[:4]) + (" …" if len(weeks) > 4 else "")
        super().__init__(f"{member} would be over-allocated in {len(weeks)} week(s) (from {labels}).")


def _ids_filter(members: QuerySet | Iterable[int]) -> Q:
    return Q(member__in=members.values("pk")) if isinstance(members, QuerySet) else Q(member_id__in=list(members))


def member_week_loads(
    *,
    members: QuerySet[TeamMember] | list[TeamMember],
    weeks: list[dt.date],
    scope: QuerySet[TeamMember] | None = None,
) -> dict[int, list[WeekLoad]]:
    """Each member's ``WeekLoad`` for each Monday in ``weeks`` (ascending), by member id.

    Three queries whatever the number of people: allocations, time off and
    public holidays overlapping the weeks. ``members`` is a queryset (used as
    a subquery) or a list of members, whose capacity and working days are read;
    ``scope``, when given, is the queryset the list came from (a subquery
    instead of a long list of ids).
    """
    if not weeks:
        return {}
    people = list(members) if isinstance(members, QuerySet) else members
    first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
    ids = scope if scope is not None else members if isinstance(members, QuerySet) else [m.pk for m in members]
    bookings: dict[int, list[Booking]] = defaultdict(list)
    allocations = Allocation.objects.filter(_ids_filter(ids), start_date__lte=last, end_date__gte=first)
    for member_id, start, end, hours, status in allocations.values_list(
        "member_id", "start_date", "end_date", "hours_per_week", "status"
    ):
        bookings[member_id].append(Booking(start, end, hours, status == AllocationStatus.CONFIRMED))
    absences: dict[int, list[Absence]] = defaultdict(list)
    for member_id, start, end, hours in TimeOff.objects.filter(
        _ids_filter(ids), start__lte=last, end__gte=first
    ).values_list("member_id", "start", "end", "hours_per_day"):
        absences[member_id].append(Absence(start, end, hours))
    holidays = list(PublicHoliday.objects.filter(date__range=(first, last)).values_list("date", flat=True))
    return {
        person.pk: week_loads(
            weeks=weeks,
            weekly_hours=person.weekly_capacity_hours,
            weekdays=person.weekdays,
            bookings=bookings.get(person.pk, ()),
            absences=absences.get(person.pk, ()),
            holidays=holidays,
        )
        for person in people
    }


def role_weeks(*, role: OpenRole) -> tuple[list[dt.date], list[Decimal]]:
    """The role's ISO weeks (Mondays) and the hours it needs in each (pro rata in partial weeks)."""
    weeks = weeks_between(role.start_date, role.end_date)
    needs = [
        needed_hours(week=week, hours_per_week=role.hours_per_week, start=role.start_date, end=role.end_date)
        for week in weeks
    ]
    return weeks, needs


def role_requirements(*, role: OpenRole) -> list[Requirement]:
    """The role's required skills, highest minimum level first, then by skill name (one query)."""
    rows = OpenRoleSkill.objects.filter(role=role).order_by("-min_level", "skill__name", "skill_id")
    return [
        Requirement(skill_id=sid, min_level=lvl, name=name)
        for sid, lvl, name in rows.values_list("skill_id", "min_level", "skill__name")
    ]


def staffing_suggestions(
    *, role: OpenRole, limit: int | None = 20, members: QuerySet[TeamMember] | None = None
) -> list[Suggestion]:
    """Ranked candidates for ``role`` (``teams.fit.rank_candidates``: score = fit * availability;
    ties by fit desc, free hours desc, name, id).

    Candidates are the active ``members`` (default: everyone) holding at
    least one required skill (everyone active when the role needs no skill),
    less people already booked for this role. Six queries whatever the
    number of people. Each ``Suggestion.person.extra`` carries ``member``
    (the TeamMember, department loaded).
    """
    requirements = role_requirements(role=role)
    weeks, needs = role_weeks(role=role)
    pool = (members if members is not None else TeamMember.objects.all()).filter(is_active=True)
    pool = pool.exclude(pk__in=Allocation.objects.filter(open_role=role).values("member_id"))
    skill_ids = [req.skill_id for req in requirements]
    if skill_ids:
        pool = pool.filter(pk__in=MemberSkill.objects.filter(skill_id__in=skill_ids).values("member_id"))
    people = list(pool.select_related("department").order_by("pk"))
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    if skill_ids:
        for member_id, skill_id, level in MemberSkill.objects.filter(
            skill_id__in=skill_ids, member__in=pool.values("pk")
        ).values_list("member_id", "skill_id", "level"):
            levels[member_id][skill_id] = level
    loads = member_week_loads(members=people, weeks=weeks, scope=pool)
    return rank_candidates(
        people=(
            Person(id=m.pk, name=m.name, levels=levels.get(m.pk, {}), loads=loads[m.pk], extra={"member": m})
            for m in people
        ),
        requirements=requirements,
        needs=needs,
        limit=limit,
    )


@dataclass(frozen=True)
class RoleCover:
    """An open role with the hours per week booked against it and the gap left (≥ 0)."""

    role: OpenRole
    booked: Decimal
    gap: Decimal


def project_role_cover(*, project: Project) -> list[RoleCover]:
    """The project's roles not cancelled, with requirements and allocations loaded (three queries).

    ``booked`` sums the hours per week of the role's allocations (tentative
    ones too); ``gap`` is what is still to staff per week.
    """
    roles = (
        OpenRole.objects.filter(project=project)
        .exclude(status=OpenRoleStatus.CANCELLED)
        .prefetch_related("requirements__skill", "allocations__member")
        .order_by("start_date", "title", "pk")
    )
    covers = []
    for role in roles:
        booked = sum((a.hours_per_week for a in role.allocations.all()), Decimal(0))
        covers.append(RoleCover(role=role, booked=booked, gap=max(Decimal(0), role.hours_per_week - booked)))
    return covers


def project_allocations(*, project: Project) -> list[Allocation]:
    """The project's allocations with member and role, by start date then name (one query)."""
    return list(
        Allocation.objects.filter(project=project)
        .select_related("member", "member__department", "open_role")
        .order_by("start_date", "member__name", "pk")
    )


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


def heatmap_weeks(*, start: dt.date, count: int = 12) -> list[dt.date]:
    """``count`` Mondays from the week of ``start`` (1-52)."""
    count = max(1, min(52, count))
    first = week_start(start)
    return [first + dt.timedelta(weeks=i) for i in range(count)]
