"""Reads of tasks, each in a fixed number of queries whatever the number of tasks."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from apm import access
from projects.models import OPEN_TASK_STATES, Deliverable, Project, Task, TaskChecklistItem
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User


def _with_people(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks with their deliverable joined, assignees prefetched and checklist counts (``ticks``, ``ticked``)."""
    return (
        tasks.select_related("deliverable")
        .prefetch_related(Prefetch("assignees", queryset=TeamMember.objects.order_by("name")))
        .annotate(
            ticks=Count("checklist", distinct=True),
            ticked=Count("checklist", filter=Q(checklist__done=True), distinct=True),
        )
    )


def task_list(
    *,
    project: Project,
    status: str = "",
    assignee: TeamMember | None = None,
    deliverable: Deliverable | None = None,
) -> QuerySet[Task]:
    """The project's tasks, filtered by ``status``, ``assignee`` and ``deliverable`` when given, earliest due
    first (undated last), then by priority and column order (2 queries: the tasks, their assignees)."""
    tasks = Task.objects.filter(project=project)
    if status:
        tasks = tasks.filter(status=status)
    if assignee is not None:
        tasks = tasks.filter(assignees=assignee)
    if deliverable is not None:
        tasks = tasks.filter(deliverable=deliverable)
    return _with_people(tasks).order_by(F("due_date").asc(nulls_last=True), "position", "pk")


def deliverable_tasks(*, deliverable: Deliverable) -> QuerySet[Task]:
    """The tasks under ``deliverable``, earliest due first (2 queries)."""
    return task_list(project=deliverable.project, deliverable=deliverable)


def task_checklist(*, task: Task) -> list[TaskChecklistItem]:
    """The lines of ``task``'s checklist in order (one query)."""
    return list(task.checklist.order_by("position", "pk"))


def my_tasks(*, user: User, today: dt.date) -> list[Task]:
    """``user``'s open tasks (not done) across the projects whose internal pages they see, overdue first, then
    by due date (undated last) and priority; each with its project and deliverable.

    One query when they have none (most desks: a PM or head assigned no task), two otherwise: which projects
    their open tasks are on, read plainly first, then the tasks of those the visibility rule lets them see.
    The rule's UNION joined to the tasks, their projects and deliverables took PostgreSQL 1.6 ms to plan, on
    every desk, to find nothing.
    """
    mine = Task.objects.filter(assignees__user=user, status__in=OPEN_TASK_STATES)
    projects = frozenset(mine.order_by().values_list("project_id", flat=True))
    if not projects:
        return []
    overdue = Case(When(due_date__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField())
    urgency = Case(
        When(priority="urgent", then=Value(0)),
        When(priority="high", then=Value(1)),
        When(priority="normal", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return list(
        mine.filter(project_id__any=projects, project__in=access.see_internal.queryset(user).filter(pk__any=projects))
        .select_related("project", "deliverable")
        .order_by(overdue, F("due_date").asc(nulls_last=True), urgency, "pk")
    )


def open_tasks_of(projects: QuerySet[Project]) -> QuerySet[Task]:
    """The tasks still to finish of ``projects``, by project and title: what a time entry may name."""
    return (
        Task.objects.filter(project__in=projects, status__in=OPEN_TASK_STATES)
        .select_related("project")
        .order_by("project__code", "title", "pk")
    )
