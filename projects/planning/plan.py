"""The interactive plan of a project: what it shows (:func:`plan_of`) and the date changes made on it.

A task's dates change through :func:`task_reschedule`: the task gets its new
dates and each successor that would now start before a predecessor is
finished is pushed later by what it needs (``schedule.successors_push``),
every write in the task's history with its reason, in one transaction.
:func:`task_reschedule_undo` puts the dates of such a change back, only if
none of the moved tasks has changed since. A deliverable's dates change
through ``projects.delivery.services.deliverable_update`` (history written,
baselines untouched). Asking to change tasks is ``access.edit_tasks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from apm import access
from apm.errors import Refused
from projects.common.history import history_save
from projects.delivery.services import deliverable_update
from projects.models import Deliverable, Project, Task
from projects.planning import schedule

if TYPE_CHECKING:
    from apm.accounts.models import User

REFUSED_EDIT = (
    "Only the project's team, its project manager, a head of its departments or an administrator may change its tasks."
)


@dataclass(frozen=True)
class Moved:
    """One task whose dates a change set: the task (its new dates on it) and the dates it had before."""

    task: Task
    old_start: dt.date | None
    old_due: dt.date | None
    pushed: bool

    @property
    def days(self) -> int:
        old, new = self.old_start or self.old_due, self.task.start_date or self.task.due_date
        return (new - old).days if old and new else 0

    @property
    def undo_value(self) -> str:
        """``pk:old start:old due:new start:new due`` (ISO dates, empty for none): what an undo posts back."""
        dates = (self.old_start, self.old_due, self.task.start_date, self.task.due_date)
        return ":".join([str(self.task.pk), *(d.isoformat() if d else "" for d in dates)])


@dataclass(frozen=True)
class Plan:
    """A project's plan: its deliverables and tasks (in the order the chart shows them), the links among
    each, and the critical path of the dated tasks (``schedule.CriticalPath``)."""

    deliverables: list[Deliverable]
    tasks: list[Task]
    task_links: list[tuple[int, int]]
    deliverable_links: list[tuple[int, int]]
    path: schedule.CriticalPath

    @property
    def undated(self) -> list[Task]:
        left_out = set(self.path.undated)
        return [task for task in self.tasks if task.pk in left_out]


def project_links(project: Project) -> list[tuple[int, int]]:
    """The finish-to-start links among ``project``'s tasks as (predecessor id, successor id), one query."""
    rows = Task.depends_on.through.objects.filter(from_task__project=project).values_list("to_task_id", "from_task_id")
    return [(before, after) for before, after in rows]


def plan_of(*, project: Project) -> Plan:
    """The plan of ``project``: deliverables by due date, each followed by its tasks by start; tasks under no
    deliverable last. Four queries whatever the number of tasks; the critical path is O(tasks + links)."""
    deliverables = list(Deliverable.objects.filter(project=project).order_by("due_date", "pk"))
    tasks = list(
        Task.objects.filter(project=project)
        .only("pk", "project_id", "deliverable_id", "title", "start_date", "due_date", "status")
        .order_by("start_date", "due_date", "pk")
    )
    links = project_links(project)
    deliverable_rows = Deliverable.depends_on.through.objects.filter(from_deliverable__project=project)
    deliverable_links = [(b, a) for a, b in deliverable_rows.values_list("from_deliverable_id", "to_deliverable_id")]
    try:
        path = schedule.critical_path({t.pk: (t.start_date, t.due_date) for t in tasks}, links)
    except ValueError:
        # A loop written past the services (an import): show the plan without a critical path.
        path = schedule.CriticalPath(timings={}, critical=[], length_days=0, undated=[])
    order = {d.pk: index for index, d in enumerate(deliverables)}
    tasks.sort(key=lambda t: order.get(t.deliverable_id or 0, len(order)))
    return Plan(deliverables, tasks, links, deliverable_links, path)


def dates_words(start: dt.date | None, due: dt.date | None) -> str:
    """Dates as a person reads them: "03 Jun to 05 Jun 2026", one date alone, or "no dates"."""
    if start and due and start != due:
        return f"{start:%d %b} to {due:%d %b %Y}"
    only = start or due
    return f"{only:%d %b %Y}" if only else "no dates"


def task_reschedule(*, task: Task, user: User, start_date: dt.date | None, due_date: dt.date | None) -> list[Moved]:
    """Give ``task`` these dates and push its successors that would start before it finishes (transitively),
    each write in the task's history ("dates: …", "pushed by T-4 moving 3 days"), in one transaction.

    Returns what moved, ``task`` first (empty when its dates are the same). Raises ``Refused`` when ``user``
    may not edit the project's tasks, for a start after the due date, or when the project's links make a
    loop (named); nothing changes then.
    """
    project = task.project
    access.edit_tasks.require(user, project, REFUSED_EDIT)
    if start_date and due_date and start_date > due_date:
        raise Refused(f"The start ({start_date:%d %b %Y}) is after the due date ({due_date:%d %b %Y}).")
    with transaction.atomic():
        tasks = {t.pk: t for t in Task.objects.select_for_update().filter(project=project).order_by("pk")}
        locked = tasks[task.pk]
        if (locked.start_date, locked.due_date) == (start_date, due_date):
            return []
        links = project_links(project)
        try:
            moves = schedule.successors_push(
                {pk: (t.start_date, t.due_date) for pk, t in tasks.items()},
                links,
                moved=task.pk,
                start=start_date,
                due=due_date,
            )
        except ValueError as exc:
            raise Refused(f"{exc} Remove one of these links first.") from exc
        except OverflowError:
            raise Refused(
                "That would push a task waiting on this one past the last date there is (31 Dec 9999): nothing changed."
            ) from None
        moved: list[Moved] = []
        for move in moves:
            item = tasks[int(str(move.node))]
            pushed = item.pk != task.pk
            item.start_date, item.due_date = move.new_start, move.new_due
            if pushed:
                word = "day" if abs(moves[0].days) == 1 else "days"
                reason = f"pushed by {locked.reference} moving {moves[0].days} {word}"
            else:
                now, was = dates_words(move.new_start, move.new_due), dates_words(move.old_start, move.old_due)
                reason = f"dates: {now} (was {was})"
            history_save(item, user=user, reason=reason, fields=["start_date", "due_date", "updated_at"])
            moved.append(Moved(task=item, old_start=move.old_start, old_due=move.old_due, pushed=pushed))
    task.start_date, task.due_date = start_date, due_date
    return moved


@dataclass(frozen=True)
class UndoLine:
    """One task of an undo: its id, the dates to put back and the dates it must still have."""

    pk: int
    old_start: dt.date | None
    old_due: dt.date | None
    new_start: dt.date | None
    new_due: dt.date | None


def undo_line(value: str) -> UndoLine:
    """Read :attr:`Moved.undo_value` back; ``ValueError`` for anything else."""
    pk, *dates = value.split(":")
    if len(dates) != 4 or not pk.isdigit() or not 0 < int(pk) < 2**63:
        raise ValueError(value)
    old_start, old_due, new_start, new_due = (dt.date.fromisoformat(d) if d else None for d in dates)
    for start, due in ((old_start, old_due), (new_start, new_due)):
        if start and due and start > due:
            raise ValueError(value)
    return UndoLine(int(pk), old_start, old_due, new_start, new_due)


def task_reschedule_undo(*, project: Project, user: User, lines: Iterable[UndoLine]) -> list[Moved]:
    """Put back the dates of a change made by :func:`task_reschedule`: each task of ``lines`` gets its old dates,
    written in its history ("undo"), all in one transaction.

    Raises ``Refused`` when ``user`` may not edit the project's tasks, when a task is not of ``project`` (or
    gone), or when any of them no longer has the dates the change gave it (changed since): nothing changes then.
    """
    access.edit_tasks.require(user, project, REFUSED_EDIT)
    wanted = list(lines)
    if not wanted:
        raise Refused("There is nothing to undo.")
    with transaction.atomic():
        tasks = Task.objects.select_for_update().filter(project=project, pk__in=[line.pk for line in wanted])
        found = {t.pk: t for t in tasks.order_by("pk")}
        moved: list[Moved] = []
        for line in wanted:
            item = found.get(line.pk)
            if item is None:
                raise Refused(f"T-{line.pk} is not a task of {project.code} (any more): nothing was undone.")
            if (item.start_date, item.due_date) != (line.new_start, line.new_due):
                raise Refused(
                    f"{item.reference} ({item.title}) has changed since "
                    f"({dates_words(item.start_date, item.due_date)} now): nothing was undone."
                )
        for line in wanted:
            item = found[line.pk]
            moved.append(Moved(task=item, old_start=item.start_date, old_due=item.due_date, pushed=False))
            item.start_date, item.due_date = line.old_start, line.old_due
            history_save(
                item,
                user=user,
                reason=f"undo: dates back to {dates_words(line.old_start, line.old_due)}",
                fields=["start_date", "due_date", "updated_at"],
            )
    return moved


def deliverable_reschedule(
    *, deliverable: Deliverable, user: User, start_date: dt.date | None, due_date: dt.date
) -> Deliverable:
    """New dates for ``deliverable`` from the plan, through ``deliverable_update`` (history written; its
    baselines are left as they were). Raises ``Refused`` as that does (who may change it, an accepted
    deliverable, reversed dates, no due date)."""
    return deliverable_update(deliverable=deliverable, user=user, start_date=start_date, due_date=due_date)
