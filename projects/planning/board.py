"""The task board: a project's tasks (or those of every project a PM runs) in one column per status, and the one
write a board makes, :func:`task_place` (a card dropped in a column at a place).

The columns follow ``workflow.TASK``'s states in the order of ``TaskStatus``
(to do, in progress, in review, blocked, done); the cards of a column are in
their ``position`` order (smaller first), a board across projects groups them
by project code first. Each card knows its ``index``: its place among all the
tasks of its project in its column, filtered out ones included, so that a page
showing only some of them still posts the place a drop means.

Reads are a fixed number of queries whatever the number of tasks (3: the tasks
with their checklist counts, their assignees, and the projects for a board
across projects); tests/projects/planning/test_board.py pins them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet

from apm import access
from apm.errors import Refused
from projects.common import workflow
from projects.models import Deliverable, Project, Task, TaskStatus
from projects.planning import services
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User


@dataclass(frozen=True)
class Card:
    """One task on the board: ``index`` is its place in its project's column (0 first, every task counted),
    ``moves`` the ``(state, label)`` pairs the workflow allows from its status, ``overdue`` whether its due
    date has passed and it is not done."""

    task: Task
    index: int
    moves: list[tuple[str, str]]
    overdue: bool
    #: How many tasks its project has in its column (for the "Move to" menu's "down one place").
    column_size: int


@dataclass
class Column:
    status: str
    label: str
    cards: list[Card] = field(default_factory=list)


def _tasks(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks with their deliverable (and project) joined, their assignees by name (one more query) and their
    checklist counts (``ticks``, ``ticked``)."""
    return (
        tasks.select_related("deliverable", "project")
        .prefetch_related(Prefetch("assignees", queryset=TeamMember.objects.order_by("name")))
        .annotate(
            ticks=Count("checklist", distinct=True),
            ticked=Count("checklist", filter=Q(checklist__done=True), distinct=True),
        )
    )


def _columns(tasks: list[Task], *, today: dt.date, shown: set[int] | None = None) -> list[Column]:
    """``tasks`` (in board order: project, status, position) as one column per status; each card's index
    counts every task of its project's column, but only the tasks in ``shown`` (all when None) get a card."""
    places: dict[tuple[int, str], int] = defaultdict(int)
    indexed: list[tuple[Task, int]] = []
    for task in tasks:
        key = (task.project_id, task.status)
        indexed.append((task, places[key]))
        places[key] += 1
    columns = {status: Column(status=status, label=label) for status, label in TaskStatus.choices}
    for task, index in indexed:
        if shown is not None and task.pk not in shown:
            continue
        columns[task.status].cards.append(
            Card(
                task=task,
                index=index,
                moves=workflow.TASK.moves(task.status),
                overdue=bool(task.due_date and task.due_date < today and task.status != TaskStatus.DONE),
                column_size=places[(task.project_id, task.status)],
            )
        )
    return list(columns.values())


def project_board(
    *,
    project: Project,
    today: dt.date,
    assignee: TeamMember | None = None,
    deliverable: Deliverable | None = None,
) -> list[Column]:
    """The board of ``project``: one :class:`Column` per status, cards in position order, only the tasks of
    ``assignee`` and under ``deliverable`` when given (2 queries)."""
    tasks = list(_tasks(Task.objects.filter(project=project)).order_by("status", "position", "pk"))
    shown = None
    if assignee is not None or deliverable is not None:
        shown = {
            task.pk
            for task in tasks
            if (assignee is None or any(person.pk == assignee.pk for person in task.assignees.all()))
            and (deliverable is None or task.deliverable_id == deliverable.pk)
        }
    return _columns(tasks, today=today, shown=shown)


def managed_projects(user: User) -> QuerySet[Project]:
    """The projects whose tasks are on ``user``'s board across projects: those they run (the desk's projects,
    ``access.run_project``), by code."""
    return access.run_project.listed(user).order_by("code")


#: The board across projects shows the done tasks last changed within this many days: years of them across a
#: PM's projects made a wall of a column (each project's own board keeps them all).
DONE_SHOWN_DAYS = 30


def managed_board(*, user: User, today: dt.date, project: Project | None = None) -> list[Column]:
    """The board across the projects ``user`` runs (:func:`managed_projects`): their open tasks and those done in
    the last :data:`DONE_SHOWN_DAYS` days, cards grouped by project code in each column; only ``project``'s when
    given (one of them). 3 queries: the projects' ids, the tasks, their assignees."""
    projects = managed_projects(user)
    if project is not None:
        projects = projects.filter(pk=project.pk)
    since = dt.datetime.combine(today - dt.timedelta(days=DONE_SHOWN_DAYS), dt.time(), tzinfo=dt.UTC)
    tasks = _tasks(Task.objects.filter(project__in=projects).exclude(status=TaskStatus.DONE, updated_at__lt=since))
    return _columns(list(tasks.order_by("project__code", "project_id", "status", "position", "pk")), today=today)


def column_index(task: Task) -> int:
    """``task``'s place in its column (0 first) as the board counts it (one query)."""
    ahead = Q(position__lt=task.position) | Q(position=task.position, pk__lt=task.pk)
    return Task.objects.filter(ahead, project_id=task.project_id, status=task.status).count()


def task_place(*, task: Task, user: User, status: str, position: int | None = None) -> Task:
    """Put ``task`` in the column ``status`` at ``position`` (0 first; None or past the end: last), as a card
    dropped on the board: a change of status goes through ``services.task_move`` (``workflow.TASK``), then
    ``services.task_reorder`` sets the place; the others of the column close up.

    Raises ``Refused`` when ``user`` may not edit the project's tasks, for an unknown status or a negative
    position, and a ``TransitionError`` (a ``Refused``) naming the allowed moves for a move the workflow
    forbids. Nothing changes then (one transaction). A card put back where it was writes nothing.
    """
    access.edit_tasks.require(
        user,
        task.project,
        "Only the project's team, its project manager, a head of its departments or an administrator "
        "may change its tasks.",
    )
    if status not in TaskStatus.values:
        raise Refused(f"Unknown status {status!r}.")
    if position is not None and position < 0:
        raise Refused("A position is 0 (first) or more.")
    with transaction.atomic():
        task.refresh_from_db(fields=["status", "position"])  # a board drawn earlier may show an older place
        if status != task.status:
            services.task_move(task=task, user=user, to=status)
            if position is None:
                return task  # task_move puts it last
        size = Task.objects.filter(project_id=task.project_id, status=task.status).count()
        place = size - 1 if position is None else min(position, size - 1)
        if place != column_index(task):
            services.task_reorder(task=task, user=user, position=place)
    return task
