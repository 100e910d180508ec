"""Pages of tasks: a project's task list, a task (details, checklist, moves, history), and its actions.

Thin: reads through ``projects.planning.selectors``, writes through
``projects.planning.services``. Seeing tasks is ``apm.access.see_internal``
(a client contact, or anyone who may not see the project's internal pages,
gets 404); changing them is ``apm.access.edit_tasks`` (404 without it).
Actions show a refusal in the service's words and change nothing
(``apm.actions``). The checklist answers htmx with its fragment, a plain
request with the task's page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest, HtmxRequest
from apm.paging import page_of
from projects.common import workflow
from projects.common.history import history_rows
from projects.common.lookups import child_or_404, project_or_404
from projects.common.nav import request_allows
from projects.common.pages import delivery_form_page
from projects.conversation.selectors import comment_thread
from projects.models import Project, Task, TaskChecklistItem, TaskStatus
from projects.planning import forms, recurrence, selectors, services

#: The task list shows this many tasks a page.
TASKS_PER_PAGE = 100

#: The button of each move, by the state it goes to.
MOVE_LABELS: dict[str, str] = {
    TaskStatus.TO_DO: "Back to to do",
    TaskStatus.IN_PROGRESS: "Start work",
    TaskStatus.IN_REVIEW: "Send to review",
    TaskStatus.BLOCKED: "Blocked",
    TaskStatus.DONE: "Done",
}


def _filtered_tasks(project: Project, chosen: dict[str, Any]) -> QuerySet[Task]:
    """The project's tasks with the list's filters ``chosen`` (the filter form's cleaned data, or nothing)."""
    return selectors.task_list(
        project=project,
        status=chosen.get("status") or "",
        assignee=chosen.get("assignee"),
        deliverable=chosen.get("deliverable"),
    )


#: The columns of the task list's export, as the list shows them.
TASK_COLUMNS = (
    "Task",
    "Ref.",
    "Status",
    "Priority",
    "Start",
    "Due",
    "Assignees",
    "Deliverable",
    "Estimate (h)",
    "Checklist done",
    "Checklist items",
)


@login_required
def task_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The task list as CSV or XLSX, with the list's filters (every task, not a page)."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal)
    filters = forms.TaskFilterForm(request.GET or None, project=project)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = (
        (
            t.title,
            t.reference,
            t.get_status_display(),
            t.get_priority_display(),
            t.start_date,
            t.due_date,
            ", ".join(person.name for person in t.assignees.all()),
            t.deliverable.name if t.deliverable else "",
            t.estimate_hours,
            getattr(t, "ticked", 0),
            getattr(t, "ticks", 0),
        )
        for t in _filtered_tasks(project, chosen).iterator(chunk_size=500)
    )
    return table_response(
        rows=rows,
        columns=TASK_COLUMNS,
        filename=export_filename("tasks", project.code, fmt),
        fmt=fmt,
        sheet="Tasks",
    )


@login_required
def task_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's tasks, filtered by status, assignee and deliverable (``?status=&assignee=&deliverable=``; a
    bad value is ignored), earliest due first, :data:`TASKS_PER_PAGE` a page (``?page=``); a fixed number of
    queries whatever the number of tasks (an imported plan may bring two thousand)."""
    project = project_or_404(request, code, access.see_internal)
    filters = forms.TaskFilterForm(request.GET or None, project=project)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page, query = page_of(request, _filtered_tasks(project, chosen), TASKS_PER_PAGE)
    tasks = list(page.object_list)
    may_edit = request_allows(request, access.edit_tasks, project)
    return render(
        request,
        "projects/planning/tasks.html",
        {
            "project": project,
            "tasks": tasks,
            "page": page,
            "query": query,
            "filters": filters,
            "filtered": bool(chosen and any(chosen.values())),
            "may_edit": may_edit,
            "today": timezone.localdate(),
        },
    )


@login_required
def task_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    initial = {"deliverable": request.GET.get("deliverable")} if request.method == "GET" else None
    form = forms.TaskForm(request.POST or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            task = services.task_create(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"Task {task.title} added.")
            if task.deliverable_id and request.POST.get("back") == "deliverable":
                return redirect("projects:deliverable", code=project.code, pk=task.deliverable_id)
            return redirect("projects:task", code=project.code, pk=task.pk)
    return delivery_form_page(request, project, form, title="New task", tab="tasks")


def _task_or_404(project: Project, pk: int) -> Task:
    return child_or_404(
        Task.objects.select_related("project", "deliverable", "recurs_from", "next_occurrence"), project=project, pk=pk
    )


@login_required
def task_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A task: its facts, assignees, checklist, the moves its workflow allows, the edit form and its history."""
    project = project_or_404(request, code, access.see_internal)
    task = _task_or_404(project, pk)
    may_edit = request_allows(request, access.edit_tasks, project)
    return render(
        request,
        "projects/planning/task_detail.html",
        {
            "project": project,
            "task": task,
            "assignees": list(task.assignees.order_by("name")),
            "predecessors": list(task.depends_on.order_by("start_date", "pk")),
            "successors": list(task.dependents.order_by("start_date", "pk")),
            "repeats": recurrence.describe(task.recurrence),
            "checklist": selectors.task_checklist(task=task),
            "moves": [(state, MOVE_LABELS[state]) for state in workflow.TASK.next_states(task.status)],
            "may_edit": may_edit,
            "form": forms.TaskForm(project=project, instance=task) if may_edit else None,
            "history": history_rows(task),
            "thread": comment_thread(anchor=task, user=request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
def task_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    form = forms.TaskForm(request.POST or None, project=project, instance=task)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            services.task_update(task=task, user=request.user, **form.cleaned_data)
            messages.success(request, "Task saved.")
            return redirect("projects:task", code=project.code, pk=task.pk)
    return delivery_form_page(request, project, form, title=f"Edit {task.title}", tab="tasks")


@login_required
@require_POST
def task_move(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    form = forms.MoveForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.task_move(task=task, user=request.user, to=form.cleaned_data["to"])
            messages.success(request, f"{task.title} is now {task.get_status_display().lower()}.")
    return redirect("projects:task", code=project.code, pk=task.pk)


@login_required
@require_POST
def task_reorder(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    form = forms.ReorderForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.task_reorder(task=task, user=request.user, position=form.cleaned_data["position"])
            messages.success(request, f"{task.title} moved to place {task.position + 1} of its column.")
    return redirect("projects:task", code=project.code, pk=task.pk)


def _checklist_answer(request: HtmxRequest, project: Project, task: Task) -> HttpResponse:
    """The checklist fragment for htmx, else back to the task's page."""
    if request.htmx:
        context = {"project": project, "task": task, "checklist": selectors.task_checklist(task=task), "may_edit": True}
        return render(request, "projects/planning/_checklist.html", context)
    return redirect("projects:task", code=project.code, pk=task.pk)


@login_required
@require_POST
def checklist_add(request: HtmxRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    form = forms.ChecklistItemForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.checklist_item_add(task=task, user=request.user, text=form.cleaned_data["text"])
    return _checklist_answer(request, project, task)


def _item_or_404(task: Task, item: int) -> TaskChecklistItem:
    return child_or_404(TaskChecklistItem, project=task.project, field="task__project", task=task, pk=item)


@login_required
@require_POST
def checklist_tick(request: HtmxRequest, code: str, pk: int, item: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    line = _item_or_404(task, item)
    form = forms.TickForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.checklist_item_tick(item=line, user=request.user, done=form.cleaned_data["done"])
    return _checklist_answer(request, project, task)


@login_required
@require_POST
def checklist_remove(request: HtmxRequest, code: str, pk: int, item: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    line = _item_or_404(task, item)
    with refusal_shown(request):
        services.checklist_item_remove(item=line, user=request.user)
    return _checklist_answer(request, project, task)


@login_required
@require_POST
def task_delete(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_tasks)
    task = _task_or_404(project, pk)
    with refusal_shown(request):
        title = task.title
        services.task_delete(task=task, user=request.user)
        messages.success(request, f"Task {title} removed.")
        return redirect("projects:tasks", code=project.code)
    return redirect("projects:task", code=project.code, pk=task.pk)
