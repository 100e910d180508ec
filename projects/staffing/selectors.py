"""Reads of staffing: who is free when, who fits an open role, how a project's roles are covered.

Each loads what it needs in a fixed number of queries, whatever the number
of people, and hands plain values to ``teams.capacity`` and ``teams.fit``
(``teams`` knows nothing of projects: roles and allocations are read here).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DateField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest, Least

from projects.models import Allocation, AllocationStatus, OpenRole, OpenRoleSkill, OpenRoleStatus, Project
from teams.capacity import (
    Absence,
    Booking,
    Gap,
    WeekLoad,
    cover_gaps,
    needed_hours,
    week_loads,
    week_start,
    weeks_between,
)
from teams.fit import Person, Requirement, Suggestion, rank_candidates
from teams.models import MemberSkill, PublicHoliday, TeamMember, TimeOff


def _ids_filter(members: QuerySet[TeamMember] | Iterable[int]) -> Q:
    # Ids as one array (``__any``, apm.lookups): a desk's fifty people were fifty parameters parsed in each query.
    return Q(member__in=members.values("pk")) if isinstance(members, QuerySet) else Q(member_id__any=frozenset(members))


def member_week_loads(
    *,
    members: QuerySet[TeamMember] | list[TeamMember],
    weeks: list[dt.date],
    scope: QuerySet[TeamMember] | None = None,
) -> dict[int, list[WeekLoad]]:
    """Each member's ``WeekLoad`` for each Monday in ``weeks`` (ascending), by member id.

    Three queries whatever the number of people: allocations (not cancelled), time off and
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
    # Cut to the weeks asked for (only the part inside counts) and summed per person, status and dates: the
    # bookings that cover the whole window become one, and the arithmetic runs once per distinct stretch
    # instead of once per booking (at 10,000 projects, 1,426 bookings of 50 people were 327 rows).
    allocations = (
        Allocation.objects.live()
        .filter(_ids_filter(ids), start_date__lte=last, end_date__gte=first)
        .annotate(
            start=Greatest("start_date", Value(first, output_field=DateField())),
            end=Least("end_date", Value(last, output_field=DateField())),
        )
        .values("member_id", "status", "start", "end")
        .annotate(hours=Sum("hours_per_week"))
        .order_by()
    )
    for row in allocations:
        bookings[row["member_id"]].append(
            Booking(row["start"], row["end"], row["hours"], row["status"] == AllocationStatus.CONFIRMED)
        )
    absences: dict[int, list[Absence]] = defaultdict(list)
    # Unordered: the default ordering (by person) joins the people's table to sort what is only grouped here.
    for member_id, start, end, hours_per_day in (
        TimeOff.objects.filter(_ids_filter(ids), start__lte=last, end__gte=first)
        .order_by()
        .values_list("member_id", "start", "end", "hours_per_day")
    ):
        absences[member_id].append(Absence(start, end, hours_per_day))
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
    less people already booked for this role (a cancelled booking does not count). Six queries whatever the
    number of people. Each ``Suggestion.person.extra`` carries ``member``
    (the TeamMember, department loaded).
    """
    requirements = role_requirements(role=role)
    weeks, needs = role_weeks(role=role)
    pool = (members if members is not None else TeamMember.objects.all()).filter(is_active=True)
    pool = pool.exclude(pk__in=Allocation.objects.live().filter(open_role=role).values("member_id"))
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
    """An open role with what is booked against it and what is still open.

    ``gaps`` are the stretches of the role's period with hours per week still to book (none: fully
    booked). ``booked`` is the hours per week booked throughout the period and ``gap`` the most still
    open in any stretch, so a role booked evenly reads "20 h/week booked, 20 open"; ``whole_period``
    when the one gap left spans the role's whole period (no dates need saying).
    """

    role: OpenRole
    booked: Decimal
    gap: Decimal
    gaps: list[Gap]
    whole_period: bool = False


def role_bookings(allocations: Iterable[Allocation]) -> list[Booking]:
    """The bookings (tentative ones too) that count against a role: its ``allocations`` not cancelled."""
    return [
        Booking(a.start_date, a.end_date, a.hours_per_week, a.status == AllocationStatus.CONFIRMED)
        for a in allocations
        if a.status != AllocationStatus.CANCELLED
    ]


def role_cover(role: OpenRole, allocations: Iterable[Allocation]) -> RoleCover:
    """How ``allocations`` (the role's, cancelled ones skipped) cover ``role`` (no query)."""
    gaps = cover_gaps(
        start=role.start_date,
        end=role.end_date,
        hours_per_week=role.hours_per_week,
        bookings=role_bookings(allocations),
    )
    gap = max((g.hours_per_week for g in gaps), default=Decimal(0))
    whole = len(gaps) == 1 and (gaps[0].start, gaps[0].end) == (role.start_date, role.end_date)
    return RoleCover(role=role, booked=role.hours_per_week - gap, gap=gap, gaps=gaps, whole_period=whole)


def project_role_cover(*, project: Project) -> list[RoleCover]:
    """The project's roles not cancelled, with requirements and bookings loaded (three queries).

    The bookings are the role's allocations not cancelled (tentative ones count, as booked).
    """
    roles = (
        OpenRole.objects.filter(project=project)
        .exclude(status=OpenRoleStatus.CANCELLED)
        .prefetch_related(
            "requirements__skill",
            Prefetch(
                "allocations",
                queryset=Allocation.objects.live().select_related("member").order_by("start_date", "pk"),
            ),
        )
        .order_by("start_date", "title", "pk")
    )
    return [role_cover(role, role.allocations.all()) for role in roles]


def project_allocations(*, project: Project) -> list[Allocation]:
    """The project's bookings that stand (not cancelled) with member and role, by start date then name
    (one query)."""
    return list(
        Allocation.objects.live()
        .filter(project=project)
        .select_related("member", "member__department", "open_role")
        .order_by("start_date", "member__name", "pk")
    )


def project_cancelled_allocations(*, project: Project, limit: int = 20) -> list[Allocation]:
    """The project's cancelled bookings, latest cancelled first, with who cancelled them (one query)."""
    return list(
        Allocation.objects.filter(project=project, status=AllocationStatus.CANCELLED)
        .select_related("member", "cancelled_by")
        .order_by("-cancelled_at", "-pk")[:limit]
    )


def heatmap_weeks(*, start: dt.date, count: int = 12) -> list[dt.date]:
    """``count`` Mondays from the week of ``start`` (1-52)."""
    count = max(1, min(52, count))
    first = week_start(start)
    return [first + dt.timedelta(weeks=i) for i in range(count)]


#: Utilisation bands of the capacity heatmap (confirmed hours as a percent of capacity).
HEAT_HIGH_AT = Decimal(80)


def _hours(value: Decimal, places: int = 1) -> str:
    """Hours as the heatmap writes them: whole hours bare, else to ``places`` decimals, half up
    (what ``floatformat:"-1"`` gives, without the filter's cost in a grid of hundreds of cells)."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One cell of the capacity heatmap: the week's load, its band and whether tentative bookings would overbook it.

    ``band``: ``"over"`` (confirmed above capacity), ``"high"`` (80-100 %),
    ``"low"`` (above 0, under 80 %) or ``"none"`` (nothing confirmed, or no
    capacity). ``tentative_over``: confirmed fits, confirmed plus tentative
    does not (marked apart: it is a warning, not an over-allocation).

    The strings a page shows are worked out here once, so that a grid of people by weeks renders
    without a filter or a lookup chain per cell: ``css_class`` (``static/css/apm.css``; no inline
    style under the CSP), ``text`` (``"85%"``, ``"over"`` or ``"—"``), ``tentative_text``
    (``"+20% t"``, or ``""`` without tentative hours) and ``title`` (the hours in words).
    """

    load: WeekLoad
    band: str
    tentative_over: bool
    css_class: str
    text: str
    tentative_text: str
    title: str


def heat_cell(load: WeekLoad) -> HeatCell:
    """The heatmap cell of ``load`` (bands and strings in :class:`HeatCell`)."""
    utilisation = load.utilisation
    over = load.over
    if over:
        band = "over"
    elif utilisation is None or utilisation <= 0:
        band = "none"
    elif utilisation >= HEAT_HIGH_AT:
        band = "high"
    else:
        band = "low"
    tentative_over = not over and load.tentative > 0 and load.confirmed + load.tentative > load.capacity
    classes = [f"util-{band}"]
    if tentative_over:
        classes.append("util-tentative-over")
    if over:
        classes.append("heat-over")
    if load.away:
        classes.append("heat-away")
    title = f"{_hours(load.confirmed)} of {_hours(load.capacity)} h confirmed"
    tentative_text = ""
    if load.tentative:
        title += f", {_hours(load.tentative)} h tentative"
        share = load.tentative_utilisation
        tentative_text = f"+{share if share else '?'}% t"
    if over:
        title += " — OVER-ALLOCATED"
    elif tentative_over:
        title += " — tentative bookings would overbook"
    text = f"{utilisation}%" if utilisation is not None else ("over" if over else "—")
    return HeatCell(
        load=load,
        band=band,
        tentative_over=tentative_over,
        css_class=" ".join(classes),
        text=text,
        tentative_text=tentative_text,
        title=title,
    )


@dataclass(frozen=True, slots=True)
class HeatRow:
    """One person's row of the capacity heatmap: the person, their weekly hours as shown, a cell per week."""

    person: TeamMember
    weekly_hours: str
    cells: list[HeatCell]


def heatmap_rows(*, people: list[TeamMember], weeks: list[dt.date]) -> list[HeatRow]:
    """A :class:`HeatRow` per person of ``people`` (in their order) over ``weeks``; the three queries of
    :func:`member_week_loads` whatever the number of people."""
    loads = member_week_loads(members=people, weeks=weeks)
    return [
        HeatRow(
            person=person,
            weekly_hours=_hours(person.weekly_capacity_hours, places=2),
            cells=[heat_cell(load) for load in loads[person.pk]],
        )
        for person in people
    ]
