"""Staffing pages: a project's team (open roles, allocations, gaps, suggestions, one-click
assign; changing and cancelling bookings, editing and closing roles), the capacity heatmap and
a person's page. Thin: reads go through ``projects.staffing.selectors``, writes through
``projects.staffing.services``.

Projects are looked up with ``projects.common.lookups.project_or_404`` (the team
page: ``access.see_internal``; open roles and bookings: ``access.staff_project``)
and people inside ``access.see_member``; anything else is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from apm import access
from apm.actions import refusal_shown
from apm.dates import parse_date_param, parse_id_param
from apm.errors import Refused
from apm.http import AuthenticatedHttpRequest, HtmxRequest
from apm.paging import page_of
from projects.common.forms import limit_choices
from projects.common.lookups import child_or_404, project_or_404
from projects.common.nav import request_allows
from projects.models import Allocation, AllocationStatus, OpenRole, Project
from projects.staffing import selectors, services
from projects.staffing.forms import AllocationForm, OpenRoleForm, RequirementFormSet, RoleBookingForm
from projects.staffing.services import OverAllocationError, allocation_create
from teams.capacity import week_start, weeks_between
from teams.fit import week_label
from teams.models import Department, MemberSkill, Skill, TeamMember, TimeOff

if TYPE_CHECKING:
    pass

HEATMAP_PAGE = 50


def _staffable_project_or_404(request: AuthenticatedHttpRequest, code: str) -> Project:
    """A project the user may staff (``access.staff_project``), else 404."""
    return project_or_404(request, code, access.staff_project)


def _staffable_role_or_404(request: AuthenticatedHttpRequest, code: str, role_id: int) -> tuple[Project, OpenRole]:
    project = _staffable_project_or_404(request, code)
    return project, child_or_404(OpenRole, project=project, pk=role_id)


@login_required
def project_team(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's team: open roles with their skills and gaps, and allocations (fixed queries)."""
    project = project_or_404(request, code, access.see_internal)
    return render(
        request,
        "projects/staffing/team.html",
        {
            "project": project,
            "covers": selectors.project_role_cover(project=project),
            "allocations": selectors.project_allocations(project=project),
            "cancelled": selectors.project_cancelled_allocations(project=project),
            "can_staff": request_allows(request, access.staff_project, project),
        },
    )


@login_required
def role_suggestions(request: HtmxRequest, code: str, role_id: int) -> HttpResponse:
    """Ranked candidates for an open role (an htmx fragment, or a page without htmx)."""
    project, role = _staffable_role_or_404(request, code, role_id)
    suggestions = selectors.staffing_suggestions(role=role, limit=20)
    template = "projects/staffing/_suggestions.html" if request.htmx else "projects/staffing/suggestions.html"
    context = {"project": project, "role": role, "suggestions": suggestions, "terms": _booking_terms(role)}
    return render(request, template, context)


@login_required
@require_POST
def role_assign(request: HtmxRequest, code: str, role_id: int) -> HttpResponse:
    """Book a suggested person for the role in one click: for what is still open of it, or part of it.

    POST ``member`` (id), ``status`` (confirmed or tentative), optionally
    ``hours_per_week``, ``start_date`` and ``end_date`` (part of the role's
    hours or period; blank: the hours still open in the role's first gap and
    that gap's dates), and ``allow_over`` ("1" after the PM saw the
    over-allocation warning). The rest of the role stays open. For htmx, a
    booking answers the role's card again (retargeted: booked hours, what is
    still open, status, the person's load in the booked weeks) with the
    allocations table and the other open roles' suggestions (closed: their
    free time changed) out of band; a warning or refusal answers the
    candidate's row. Without htmx, redirects to the team page.
    """
    project, role = _staffable_role_or_404(request, code, role_id)
    form = RoleBookingForm(request.POST)
    try:
        member_id = int(request.POST.get("member", ""))
    except ValueError:
        raise Http404("No such person.") from None
    member = access.object_or_404(request.user, access.see_member, pk=member_id)
    terms = _booking_terms(role)
    context: dict[str, object] = {"project": project, "role": role, "member": member, "terms": terms}
    allocation: Allocation | None = None
    if not form.is_valid():
        context["error"] = " ".join(str(m) for errors in form.errors.values() for m in errors)
    else:
        data = form.cleaned_data
        terms = BookingTerms(
            hours_per_week=data.get("hours_per_week") or terms.hours_per_week,
            start_date=data.get("start_date") or terms.start_date,
            end_date=data.get("end_date") or terms.end_date,
        )
        context["terms"] = terms
        try:
            allocation = allocation_create(
                project=project,
                member=member,
                hours_per_week=terms.hours_per_week,
                start_date=terms.start_date,
                end_date=terms.end_date,
                status=data.get("status") or AllocationStatus.CONFIRMED,
                open_role=role,
                created_by=request.user,
                allow_over_allocation=request.POST.get("allow_over") == "1",
            )
        except OverAllocationError as exc:
            context["over"] = exc
        except Refused as exc:
            context["error"] = exc.message
        else:
            context["allocation"] = allocation
    if request.htmx and allocation is not None:
        return _assign_answer(request, project, role, member, allocation)
    if request.htmx:
        return render(request, "projects/staffing/_assigned.html", context)
    if "allocation" in context:
        messages.success(request, f"{member} booked as {role.title}.")
    else:
        messages.error(request, str(context.get("over") or context.get("error")))
    return redirect("projects:team", code=project.code)


@dataclass(frozen=True)
class BookingTerms:
    """What "Assign" books: hours per week from ``start_date`` to ``end_date``."""

    hours_per_week: Decimal
    start_date: dt.date
    end_date: dt.date


def _booking_terms(role: OpenRole) -> BookingTerms:
    """What "Assign" books by default: the hours and dates of the role's first gap (the whole role if none)."""
    gaps = selectors.role_cover(role, role.allocations.live()).gaps
    if not gaps:
        return BookingTerms(role.hours_per_week, role.start_date, role.end_date)
    return BookingTerms(gaps[0].hours_per_week, gaps[0].start, gaps[0].end)


def _assign_answer(
    request: HtmxRequest, project: Project, role: OpenRole, member: TeamMember, allocation: Allocation
) -> HttpResponse:
    """The htmx answer to a booking: every part of the team page it changed (see :func:`role_assign`)."""
    covers = selectors.project_role_cover(project=project)
    loads = selectors.member_week_loads(
        members=[member], weeks=weeks_between(allocation.start_date, allocation.end_date)
    )
    capacity = sum((load.capacity for load in loads[member.pk]), Decimal(0))
    confirmed = sum((load.confirmed for load in loads[member.pk]), Decimal(0))
    tentative = sum((load.tentative for load in loads[member.pk]), Decimal(0))
    booked = {
        "member": member,
        "allocation": allocation,
        "load": round(confirmed * 100 / capacity) if capacity else None,
        "tentative": round(tentative * 100 / capacity) if capacity else None,
    }
    response = render(
        request,
        "projects/staffing/_assign_done.html",
        {
            "project": project,
            "role": role,
            "covers": covers,
            "can_staff": True,
            "booked": booked,
            "allocations": selectors.project_allocations(project=project),
        },
    )
    return reswap(retarget(response, f"#role-{role.pk}"), "outerHTML")


@login_required
def role_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """State an open role: title, hours per week, dates and the skills needed with a minimum level."""
    project = _staffable_project_or_404(request, code)
    return _role_form(request, project, OpenRole(project=project))


@login_required
def role_edit(request: AuthenticatedHttpRequest, code: str, role_id: int) -> HttpResponse:
    """Change an open role's title, hours, dates, note and skills; it is filled or open again by its bookings."""
    project, role = _staffable_role_or_404(request, code, role_id)
    return _role_form(request, project, role)


def _role_form(request: AuthenticatedHttpRequest, project: Project, role: OpenRole) -> HttpResponse:
    """The open role form, new (``role`` unsaved) or to change; saves the role and its skills together."""
    new = role.pk is None
    initial = {"start_date": project.start_date, "end_date": project.end_date} if new else None
    form = OpenRoleForm(request.POST or None, instance=None if new else role, initial=initial)
    form.fields["job_role"].widget.attrs["class"] = "form-select"
    formset = RequirementFormSet(request.POST or None, instance=role, prefix="skills")
    # Offer the skills someone holds, the 35 O*NET skills and our own: not all 8,800 technologies.
    held = Skill.objects.filter(
        Q(pk__in=MemberSkill.objects.values("skill_id")) | ~Q(source_code="") | Q(category__kind="custom")
    ).order_by("name")
    for sub in [*formset.forms, formset.empty_form]:
        limit_choices(sub, "skill", held)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            form.instance.project = project
            role = form.save()
            formset.instance = role
            formset.save()
            services.open_role_status_sync(role=role)
        messages.success(request, f"Open role {role.title} {'added' if new else 'saved'}.")
        return redirect("projects:team", code=project.code)
    return render(
        request,
        "projects/staffing/role_form.html",
        {"project": project, "form": form, "formset": formset, "role": None if new else role},
    )


@login_required
@require_POST
def role_close(request: AuthenticatedHttpRequest, code: str, role_id: int) -> HttpResponse:
    """Close an open role: no longer staffed and off the team page (its bookings stay)."""
    project, role = _staffable_role_or_404(request, code, role_id)
    with refusal_shown(request, failed="Role not closed."):
        services.open_role_close(role=role)
        messages.success(request, f"Open role {role.title} closed; its bookings stay.")
    return redirect("projects:team", code=project.code)


def _staffable_allocation_or_404(request: AuthenticatedHttpRequest, code: str, pk: int) -> tuple[Project, Allocation]:
    project = _staffable_project_or_404(request, code)
    queryset = Allocation.objects.select_related("member", "open_role")
    return project, child_or_404(queryset, project=project, pk=pk)


@login_required
def allocation_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Change a booking's hours per week, dates and status.

    As when booking, a confirmed change that takes the person over capacity
    shows the over-allocation warning first: POST again with ``allow_over``
    "1" to save anyway, or save it as tentative.
    """
    project, allocation = _staffable_allocation_or_404(request, code, pk)
    if allocation.cancelled:
        messages.error(request, f"The booking of {allocation.member} was cancelled; book them again instead.")
        return redirect("projects:team", code=project.code)
    initial = {
        "hours_per_week": allocation.hours_per_week,
        "start_date": allocation.start_date,
        "end_date": allocation.end_date,
        "status": allocation.status,
    }
    form = AllocationForm(request.POST or None, initial=initial)
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("class", "form-select" if name == "status" else "form-control")
    over: OverAllocationError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.allocation_update(
                allocation=allocation, allow_over_allocation=request.POST.get("allow_over") == "1", **form.cleaned_data
            )
        except OverAllocationError as exc:
            over = exc
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Booking of {allocation.member} saved.")
            return redirect("projects:team", code=project.code)
    return render(
        request,
        "projects/staffing/allocation_form.html",
        {"project": project, "allocation": allocation, "form": form, "over": over},
    )


@login_required
@require_POST
def allocation_cancel(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Cancel a booking (kept as history, counted nowhere); the role it filled is open again when its hours
    are no longer covered."""
    project, allocation = _staffable_allocation_or_404(request, code, pk)
    with refusal_shown(request, failed="Booking not cancelled."):
        services.allocation_cancel(allocation=allocation, user=request.user)
        messages.success(request, f"Booking of {allocation.member} cancelled.")
    return redirect("projects:team", code=project.code)


def _parse_week(value: str | None) -> dt.date:
    """A Monday from ``YYYY-MM-DD`` (any day of that week); today's week when missing or bad."""
    return week_start(parse_date_param(value, timezone.localdate()))


@login_required
def capacity_heatmap(request: AuthenticatedHttpRequest) -> HttpResponse:
    """People by weeks: confirmed utilisation percent coloured by band, tentative apart, over-allocation in red.

    GET ``from`` (a date in the first week), ``weeks`` (1-26, default 12), ``department`` (id; one the
    user cannot see is ignored, and said so), ``q`` (part of a name), ``mine`` (only people booked on a
    project the user may staff) and ``page`` (50 people a page; past the end, the last). A fixed number
    of queries whatever the number of people.
    """
    if not access.see_workspace.allows(request.user):
        raise Http404("No such page.")
    first = _parse_week(request.GET.get("from"))
    try:
        count = max(1, min(26, int(request.GET.get("weeks", 12))))
    except ValueError:
        count = 12
    weeks = selectors.heatmap_weeks(start=first, count=count)
    members = access.see_member.queryset(request.user)
    departments = list(Department.objects.filter(pk__in=members.values("department")).order_by("code"))
    department = request.GET.get("department", "")
    department_id = parse_id_param(department)
    unknown_department = bool(department) and department_id not in {d.pk for d in departments}
    if unknown_department:
        department = ""
    elif department_id is not None:
        members = members.filter(department_id=department_id)
    # A NUL is no part of a name, and PostgreSQL refuses it in a query: dropped, as a form's field drops it.
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if search:
        members = members.filter(name__icontains=search)
    mine = request.GET.get("mine") == "1"
    if mine:
        staffed = Allocation.objects.live().filter(project__in=access.staff_project.queryset(request.user))
        members = members.filter(pk__in=staffed.values("member_id"))
    members = members.filter(is_active=True).select_related("department").order_by("name", "pk")
    page, query = page_of(request, members, HEATMAP_PAGE)
    return render(
        request,
        "projects/staffing/capacity.html",
        {
            "weeks": [(week, week_label(week)) for week in weeks],
            "rows": selectors.heatmap_rows(people=list(page.object_list), weeks=weeks),
            "page": page,
            "query": query,
            "departments": departments,
            "department": department,
            "unknown_department": unknown_department,
            "search": search,
            "mine": mine,
            "first": first,
            "count": count,
            "previous": first - dt.timedelta(weeks=count),
            "next": first + dt.timedelta(weeks=count),
            # A person's link is this prefix, their id and "/": one reverse() a page instead of one a row.
            "person_prefix": reverse("staffing:person", args=[0]).removesuffix("0/"),
        },
    )


@login_required
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A person's page: role, capacity, skills and levels, time off, allocations and utilisation
    for the next 12 weeks; rates only with ``access.see_member_rates`` (administrators and the heads
    of the person's department)."""
    user = request.user
    member = access.object_or_404(
        user, access.see_member, queryset=TeamMember.objects.select_related("department", "job_role"), pk=pk
    )
    today = timezone.localdate()
    weeks = weeks_between(today, today + dt.timedelta(weeks=11))
    loads = selectors.member_week_loads(members=[member], weeks=weeks)[member.pk]
    allocations = (
        # Bookings on projects the viewer cannot see stay out of the list (their hours
        # still count in the utilisation above, without naming the project).
        Allocation.objects.live()
        .filter(
            member=member,
            end_date__gte=today - dt.timedelta(days=90),
            project__in=access.see_project.queryset(user),
        )
        .select_related("project", "open_role")
        .order_by("start_date", "pk")
    )
    booked = sum((load.confirmed for load in loads), Decimal(0))
    capacity = sum((load.capacity for load in loads), Decimal(0))
    return render(
        request,
        "projects/staffing/person.html",
        {
            "member": member,
            "skills": MemberSkill.objects.filter(member=member)
            .select_related("skill__category", "assessed_by")
            .order_by("-level", "skill__name"),
            "time_off": TimeOff.objects.filter(member=member, end__gte=today).order_by("start"),
            "allocations": allocations,
            "weeks": [(selectors.heat_cell(load), week_label(load.week)) for load in loads],
            "utilisation": round(booked * 100 / capacity) if capacity else None,
            "rates": member.rates.order_by("-valid_from") if access.see_member_rates.allows(user, member) else None,
        },
    )
