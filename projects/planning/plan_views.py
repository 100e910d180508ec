"""The plan of a project (``/projects/<code>/plan/``): deliverables and tasks on an interactive Gantt chart.

Seeing it is ``access.see_internal``; the chart's data is in a ``json_script``
block, drawn by ``static/js/plan.js`` with the vendored frappe-gantt. A dragged
bar posts its dates to the same endpoints as the date form below the chart
(the keyboard and screen-reader path): a task's to :func:`task_dates`
(``access.edit_tasks``, through ``plan.task_reschedule``), a deliverable's to
:func:`deliverable_dates` (``access.edit_project``, through the delivery
services). A fetch asking for JSON gets ``{"ok": true}`` or ``{"ok": false,
"message": ...}``; a form post is redirected to the plan. What a change moved
is kept in the session until the plan shows it ("Moved: ...") with an Undo
button posting to :func:`plan_undo`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apm import access
from apm.errors import Refused
from apm.forms import form_errors
from apm.http import AuthenticatedHttpRequest
from apm.paging import page_of
from projects.common.lookups import child_or_404, project_or_404
from projects.common.nav import request_allows
from projects.models import Deliverable, Project, Task
from projects.planning import forms, plan

#: The chart's class of a critical task (plan.css colours it; the legend says it in words).
CRITICAL = "plan-critical"
#: The date form shows this many rows a page (the chart shows them all): two thousand rows of date inputs made a
#: page of 2.4 MB.
ROWS_SHOWN = 100


def _session_key(project: Project) -> str:
    return f"plan-moved-{project.pk}"


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _chart(project: Project, the_plan: plan.Plan, *, may_manage: bool) -> list[dict[str, Any]]:
    """The bars of the chart (frappe-gantt's tasks): each deliverable, then its dated tasks. A bar's ``post``
    is where its new dates go; empty for a deliverable the user may not change (plan.js says so)."""
    critical = set(the_plan.path.critical)
    dated = {t.pk for t in the_plan.tasks if t.start_date or t.due_date}
    before: dict[int, list[str]] = {}
    for pred, succ in the_plan.task_links:
        if pred in dated:
            before.setdefault(succ, []).append(f"t{pred}")
    deliverable_before: dict[int, list[str]] = {}
    for pred, succ in the_plan.deliverable_links:
        deliverable_before.setdefault(succ, []).append(f"d{pred}")
    bars: list[dict[str, Any]] = []
    under: dict[int | None, list[Task]] = {}
    for task in the_plan.tasks:
        if task.pk in dated:
            under.setdefault(task.deliverable_id, []).append(task)
    groups: list[tuple[Deliverable | None, list[Task]]] = [(d, under.get(d.pk, [])) for d in the_plan.deliverables]
    groups.append((None, under.get(None, [])))
    for deliverable, tasks in groups:
        if deliverable is not None:
            bars.append(
                {
                    "id": f"d{deliverable.pk}",
                    "name": f"{deliverable.reference} {deliverable.name}",
                    "start": _day(deliverable.start_date or deliverable.due_date),
                    "end": _day(deliverable.due_date),
                    "progress": deliverable.percent_complete,
                    "dependencies": deliverable_before.get(deliverable.pk, []),
                    "custom_class": "plan-deliverable",
                    "post": reverse("projects:plan_deliverable_dates", args=[project.code, deliverable.pk])
                    if may_manage
                    else "",
                }
            )
        for task in tasks:
            bars.append(
                {
                    "id": f"t{task.pk}",
                    "name": f"{task.reference} {task.title}",
                    "start": _day(task.start_date or task.due_date),
                    "end": _day(task.due_date or task.start_date),
                    "progress": 100 if task.status == "done" else 0,
                    "dependencies": before.get(task.pk, []),
                    "custom_class": CRITICAL if task.pk in critical else "plan-task",
                    "post": reverse("projects:plan_task_dates", args=[project.code, task.pk]),
                }
            )
    return bars


def _rows(project: Project, the_plan: plan.Plan, *, may_edit: bool, may_manage: bool) -> list[dict[str, Any]]:
    """The date form's rows: each deliverable, then its tasks; tasks under none last (undated ones too)."""
    timings = the_plan.path.timings
    under: dict[int | None, list[Task]] = {}
    for task in the_plan.tasks:
        under.setdefault(task.deliverable_id, []).append(task)
    rows: list[dict[str, Any]] = []
    groups: list[tuple[Deliverable | None, list[Task]]] = [(d, under.get(d.pk, [])) for d in the_plan.deliverables]
    groups.append((None, under.get(None, [])))
    for deliverable, tasks in groups:
        if deliverable is not None:
            rows.append(
                {
                    "kind": "deliverable",
                    "key": f"d{deliverable.pk}",
                    "reference": deliverable.reference,
                    "name": deliverable.name,
                    "start": deliverable.start_date,
                    "due": deliverable.due_date,
                    "float": None,
                    "critical": False,
                    "editable": may_manage,
                    "url": reverse("projects:deliverable", args=[project.code, deliverable.pk]),
                    "post": reverse("projects:plan_deliverable_dates", args=[project.code, deliverable.pk]),
                }
            )
        for task in tasks:
            timing = timings.get(task.pk)
            rows.append(
                {
                    "kind": "task",
                    "key": f"t{task.pk}",
                    "reference": task.reference,
                    "name": task.title,
                    "start": task.start_date,
                    "due": task.due_date,
                    "float": timing.float_days if timing else None,
                    "critical": bool(timing and timing.critical),
                    "editable": may_edit,
                    "url": reverse("projects:task", args=[project.code, task.pk]),
                    "post": reverse("projects:plan_task_dates", args=[project.code, task.pk]),
                }
            )
    return rows


@login_required
def plan_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The plan: the chart, what the last change moved (with Undo), the critical path and the date form."""
    project = project_or_404(request, code, access.see_internal)
    the_plan = plan.plan_of(project=project)
    moved = request.session.pop(_session_key(project), None)
    critical = set(the_plan.path.critical)
    may_edit = request_allows(request, access.edit_tasks, project)
    may_manage = request_allows(request, access.edit_project, project)
    rows, query = page_of(request, _rows(project, the_plan, may_edit=may_edit, may_manage=may_manage), ROWS_SHOWN)
    return render(
        request,
        "projects/planning/plan.html",
        {
            "project": project,
            "plan": the_plan,
            "chart": _chart(project, the_plan, may_manage=may_manage),
            "critical": [t for t in the_plan.tasks if t.pk in critical],
            "rows": rows.object_list,
            "page": rows,
            "query": query,
            # A row saved from a later page of the date form comes back to it.
            "back": f"?page={rows.number}" if rows.number > 1 else "",
            "moved": moved,
            "may_edit": may_edit,
        },
    )


def _answer(request: HttpRequest, project: Project, refused: str = "") -> HttpResponse:
    """JSON for a fetch (``Accept: application/json``), else the plan with the refusal as a message."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": not refused, "message": refused}, status=400 if refused else 200)
    if refused:
        messages.error(request, refused)
    page = request.GET.get("page", "")
    back = f"?page={page}" if page.isdigit() and page.isascii() and len(page) < 7 else ""
    return redirect(reverse("projects:plan", args=[project.code]) + back)


def _kept(request: HttpRequest, project: Project, moved: list[plan.Moved], *, undone: bool = False) -> None:
    """What moved, for the plan to show once (with Undo unless it was itself an undo)."""
    request.session[_session_key(project)] = {
        "undone": undone,
        "lines": [
            {
                "pk": m.task.pk,
                "what": f"{m.task.reference} {m.task.title}",
                "old": plan.dates_words(m.old_start, m.old_due),
                "new": plan.dates_words(m.task.start_date, m.task.due_date),
                "pushed": m.pushed,
                "undo": m.undo_value,
            }
            for m in moved
        ],
    }


@login_required
@require_POST
def task_dates(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = child_or_404(Task.objects.select_related("project"), project=project, pk=pk)
    form = forms.PlanDatesForm(request.POST)
    if not form.is_valid():
        return _answer(request, project, f"Nothing changed: {form_errors(form)}")
    try:
        moved = plan.task_reschedule(task=task, user=request.user, **form.cleaned_data)
    except Refused as exc:
        return _answer(request, project, exc.message)
    if moved:
        _kept(request, project, moved)
    return _answer(request, project)


@login_required
@require_POST
def deliverable_dates(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    item = child_or_404(Deliverable.objects.select_related("project"), project=project, pk=pk)
    form = forms.PlanDeliverableDatesForm(request.POST)
    if not form.is_valid():
        return _answer(request, project, f"Nothing changed: {form_errors(form)}")
    try:
        plan.deliverable_reschedule(deliverable=item, user=request.user, **form.cleaned_data)
    except Refused as exc:
        return _answer(request, project, exc.message)
    messages.success(request, f"{item.reference} {item.name}: {plan.dates_words(item.start_date, item.due_date)}.")
    return _answer(request, project)


@login_required
@require_POST
def plan_undo(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    form = forms.PlanUndoForm(request.POST)
    if not form.is_valid():
        return _answer(request, project, f"Nothing was undone: {form_errors(form)}")
    try:
        moved = plan.task_reschedule_undo(project=project, user=request.user, lines=form.cleaned_data["move"])
    except Refused as exc:
        return _answer(request, project, exc.message)
    _kept(request, project, moved, undone=True)
    return _answer(request, project)
