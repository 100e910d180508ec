"""The task boards: a project's (``/projects/<code>/tasks/board/``), the one across the projects a PM runs
(``/projects/tasks/board/``), and the drop of a card (``.../tasks/<pk>/place/``).

Seeing a project's board is ``apm.access.see_internal``; dragging a card and
its "Move to" menu are there only with ``apm.access.edit_tasks``, which the
drop asks too (404 without it). The drop answers htmx with the board (its
columns as they now are, and the message in the page's live region): a
refused move is shown in the workflow's words and the card is back where it
was, since the board is drawn again from what is stored. A plain POST (the
"Move to" menu with scripts off) goes back to the board with the message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.errors import Refused
from apm.forms import form_errors
from apm.http import AuthenticatedHttpRequest, HtmxRequest
from projects.common.lookups import child_or_404, project_or_404
from projects.common.nav import request_allows
from projects.models import Project, Task, TaskStatus
from projects.planning import board, forms


def _project_context(request: AuthenticatedHttpRequest, project: Project) -> dict[str, Any]:
    filters = forms.TaskFilterForm(request.GET or None, project=project)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    columns = board.project_board(
        project=project,
        today=timezone.localdate(),
        assignee=chosen.get("assignee"),
        deliverable=chosen.get("deliverable"),
    )
    return {
        "project": project,
        "columns": columns,
        "filters": filters,
        "filtered": bool(chosen.get("assignee") or chosen.get("deliverable")),
        "may_edit": request_allows(request, access.edit_tasks, project),
        "across": False,
    }


def _managed_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    projects = board.managed_projects(request.user)
    filters = forms.ManagedBoardFilterForm(request.GET or None, projects=projects)
    chosen = filters.cleaned_data.get("project") if filters.is_valid() else None
    columns = board.managed_board(user=request.user, today=timezone.localdate(), project=chosen)
    return {
        "columns": columns,
        "filters": filters,
        "filtered": chosen is not None,
        # Those who run a project may edit its tasks (access.run_project is within access.edit_tasks).
        "may_edit": True,
        "across": True,
        "done_days": board.DONE_SHOWN_DAYS,
        "empty": not any(column.cards for column in columns),
    }


@login_required
def task_board(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's tasks in one column per status, filtered by assignee and deliverable; fixed queries."""
    project = project_or_404(request, code, access.see_internal)
    return render(request, "projects/planning/board.html", _project_context(request, project))


@login_required
def managed_board(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tasks of every project the user runs in one board, filtered by project; a plain sentence when they
    run none. Nothing here is anyone else's: the projects are the user's own (``board.managed_projects``)."""
    if not access.see_workspace.allows(request.user):
        raise Http404("No such page.")
    return render(request, "projects/planning/board.html", _managed_context(request))


def _placed(form: forms.PlaceForm, task: Task, user: Any) -> tuple[bool, str]:
    """Put ``task`` where ``form`` says: (whether it moved, the sentence saying so or why not)."""
    if not form.is_valid():
        return False, f"Nothing changed. {form_errors(form)}"
    was = task.status
    try:
        board.task_place(
            task=task, user=user, status=form.cleaned_data["status"], position=form.cleaned_data["position"]
        )
    except Refused as exc:
        return False, exc.message
    where = TaskStatus(task.status).label.lower()
    said = "is now" if task.status != was else "stays"
    return True, f"{task.title} {said} {where}, place {board.column_index(task) + 1} of its column."


@login_required
@require_POST
def task_place(request: HtmxRequest, code: str, pk: int) -> HttpResponse:
    """Drop a card: ``status`` and ``position`` (0 first, empty: last); the board's filters ride in the query."""
    project = project_or_404(request, code, access.edit_tasks)
    task = child_or_404(Task.objects.select_related("project"), project=project, pk=pk)
    form = forms.PlaceForm(request.POST)
    moved, message = _placed(form, task, request.user)
    across = request.POST.get("board") == "all"
    if request.htmx:
        context = _managed_context(request) if across else _project_context(request, project)
        context.update(message=message, moved=moved, placed=task.pk)
        return render(request, "projects/planning/board_answer.html", context)
    (messages.success if moved else messages.error)(request, message)
    back = reverse("projects:tasks_board_all") if across else reverse("projects:tasks_board", args=[project.code])
    query = request.GET.urlencode()
    return redirect(f"{back}?{query}" if query else back)
