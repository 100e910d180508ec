"""The timesheet pages: the signed-in person's week as a grid (projects by days) saved in one go, and an
entry logged one at a time (with a note, or not billable).

Thin: reads go through ``projects.budget.selectors``, writes through
``projects.budget.services.timesheet`` and ``.costs`` (the same costing for
every entry). Only people who keep a timesheet (``access.keep_timesheet``)
reach it, and only their own; the projects offered are those they may log
time on (``access.log_time``). No money is shown: hours only.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import refusal_on_form, refusal_shown
from apm.dates import parse_date_param, parse_id_param
from apm.errors import Refused
from apm.http import AuthenticatedHttpRequest
from projects.budget import forms, selectors
from projects.budget.selectors import time as time_selectors
from projects.budget.services import costs, timer
from projects.budget.services.approval import timesheet_week_submit
from projects.budget.services.timesheet import time_entry_remove as timesheet_entry_remove
from projects.budget.services.timesheet import timesheet_week_save
from projects.planning.selectors import open_tasks_of
from teams.capacity import week_start
from teams.models import TeamMember


def _member_or_404(request: AuthenticatedHttpRequest) -> TeamMember:
    if not access.keep_timesheet.allows(request.user):
        raise Http404("No timesheet for this login.")
    return request.user.team_member


def _week_of(request: AuthenticatedHttpRequest) -> dt.date:
    """The Monday of ``?week=`` (an ISO week ``2026-W50`` or any date in it); this week when missing or bad."""
    return week_start(parse_date_param(request.GET.get("week"), selectors.today()))


def _iso_week(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _week_url(monday: dt.date) -> str:
    return f"{reverse('projects:timesheet')}?week={_iso_week(monday)}"


@login_required
def timesheet(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My timesheet: one week (``?week=2026-W50``, or a date in it) as a grid to type into.

    Rows are the projects the person is on (and any other they logged time on
    that week, read-only), columns Monday to Sunday with totals. POST saves
    every cell at once (``projects.budget.forms.TimesheetGridForm``): a bad
    cell, a day over 24 hours or a cell changed since the page was loaded
    (another tab) is named and nothing is saved.
    """
    member = _member_or_404(request)
    monday = _week_of(request)
    week = time_selectors.timesheet_week(
        member=member, week_start=monday, loggable=time_selectors.projects_for_time_entry(user=request.user)
    )
    grid = forms.TimesheetGridForm(request.POST or None, week=week)
    if request.method == "POST" and grid.is_valid():
        with refusal_on_form(grid):
            saved = timesheet_week_save(member=member, cells=grid.cells(), loaded=grid.loaded(), actor=request.user)
            if saved.any:
                messages.success(
                    request,
                    f"Timesheet saved: {saved.added} added, {saved.changed} changed, {saved.removed} removed.",
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect(_week_url(monday))
    return _page(request, monday, week, grid, _entry_form(request, monday))


@login_required
@require_POST
def timesheet_submit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Submit the week shown (``?week=``) for approval: its open and rejected entries, all projects."""
    member = _member_or_404(request)
    monday = _week_of(request)
    try:
        submitted = timesheet_week_submit(member=member, week_start=monday, actor=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        entries = "1 entry waits" if submitted.entries == 1 else f"{submitted.entries} entries wait"
        messages.success(request, f"Week submitted: {entries} for approval on {', '.join(submitted.projects)}.")
    return redirect(_week_url(monday))


@login_required
@require_POST
def timesheet_timer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start the timer on a project (``action=start``, ``project`` its id), stop it and log the time
    (``stop``), or discard it (``discard``); back to the week shown."""
    member = _member_or_404(request)
    monday = _week_of(request)
    action = request.POST.get("action", "")
    with refusal_shown(request, failed="Timer:"):
        if action == "start":
            chosen = parse_id_param(request.POST.get("project"))
            project = (
                time_selectors.projects_for_time_entry(user=request.user).filter(pk=chosen).first() if chosen else None
            )
            if project is None:
                raise Refused("Choose one of your projects.")
            timer.timer_start(member=member, project=project, actor=request.user)
            messages.success(request, f"Timer started on {project.code}.")
        elif action == "stop":
            stopped, hours = timer.timer_stop(member=member, actor=request.user)
            messages.success(request, f"{hours.normalize():f} h logged on {stopped.project.code}.")
        elif action == "discard":
            if timer.timer_discard(member=member):
                messages.info(request, "Timer discarded: nothing logged.")
        else:
            raise Refused("Start or stop the timer.")
    return redirect(_week_url(monday))


@login_required
@require_POST
def time_entry_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove one of my entries that is not submitted or approved (anyone else's: 404); back to the week shown."""
    member = _member_or_404(request)
    entry = access.object_or_404(request.user, access.change_own_time, pk=pk)
    monday = _week_of(request)
    with refusal_shown(request, failed="Nothing removed:"):
        removed = timesheet_entry_remove(member=member, entry_id=entry.pk, actor=request.user)
        messages.success(request, f"{removed.hours.normalize():f} h on {removed.project.code} removed.")
    return redirect(_week_url(monday))


@login_required
@require_POST
def time_entry_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Log one entry (project, day of the week shown, hours, billable, note); the page again on an error."""
    member = _member_or_404(request)
    monday = _week_of(request)
    form = _entry_form(request, monday, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form):
            costs.time_entry_record(member=member, actor=request.user, **data)
            messages.success(request, f"{data['hours']} h logged on {data['project'].code}.")
            return redirect(_week_url(monday))
    week = time_selectors.timesheet_week(
        member=member, week_start=monday, loggable=time_selectors.projects_for_time_entry(user=request.user)
    )
    return _page(request, monday, week, forms.TimesheetGridForm(week=week), form)


def _entry_form(request: AuthenticatedHttpRequest, monday: dt.date, data: object = None) -> forms.TimeEntryForm:
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    today = selectors.today()
    loggable = time_selectors.projects_for_time_entry(user=request.user)
    return forms.TimeEntryForm(
        data,
        projects=loggable.order_by("code"),
        tasks=open_tasks_of(loggable),
        week=days,
        initial={"date": today if monday <= today <= days[-1] else monday},
    )


def _page(
    request: AuthenticatedHttpRequest,
    monday: dt.date,
    week: time_selectors.TimesheetWeek,
    grid: forms.TimesheetGridForm,
    form: forms.TimeEntryForm,
) -> HttpResponse:
    year, number, _ = monday.isocalendar()
    return render(
        request,
        "projects/budget/timesheet.html",
        {
            "week": week,
            "grid": grid,
            # Each cell with its field and the hidden field of the hours it showed (None: shown read-only), in
            # row order: Tab moves along a row.
            "rows": [
                (
                    row,
                    [
                        (cell, grid[cell.name], grid[grid.was_name(cell)]) if cell.editable else (cell, None, None)
                        for cell in row.cells
                    ],
                )
                for row in week.rows
            ],
            "several": any(cell.entries > 1 for cell in week.cells),
            "can_log": any(row.loggable for row in week.rows),
            "form": form,
            "iso_week": _iso_week(monday),
            "week_number": number,
            "week_year": year,
            "this_week": _iso_week(week_start(selectors.today())),
            "can_submit": monday <= selectors.today(),
            "timer": time_selectors.running_timer(member=request.user.team_member),
            "today_iso": selectors.today().isoformat(),
            "previous": _iso_week(monday - dt.timedelta(days=7)),
            "next": _iso_week(monday + dt.timedelta(days=7)),
        },
    )
