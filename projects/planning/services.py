"""Writes of tasks: create, edit, assign, move along ``workflow.TASK``, reorder, delete, and their checklists.

Every function asks ``access.edit_tasks`` of the user on the task's project
and raises ``apm.errors.Refused`` otherwise. A refusal changes nothing:
values are checked before anything is written, and each write runs in one
transaction. Writes of a task are validated by the model and recorded in
its history with who and why (``projects.common.history``); a checklist
change is recorded on the task's history too.

With ``APM_DELIVERABLE_PROGRESS_FROM_TASKS`` on, a change that can move a
deliverable's progress (a task added, removed, moved, re-estimated or moved
to another deliverable) sets that deliverable's ``percent_complete`` from its
tasks (:func:`deliverable_progress_from_tasks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum

from apm import access, validation
from apm.errors import Refused
from projects.common import workflow
from projects.common.history import history_save
from projects.models import (
    Deliverable,
    DeliverableStatus,
    Project,
    Task,
    TaskChecklistItem,
    TaskPriority,
    TaskStatus,
)
from projects.notifications.producers import task_assignees_notify
from projects.planning.recurring import check_recurrence, task_repeat
from projects.planning.schedule import find_loop, loop_words
from teams.models import TeamMember

if TYPE_CHECKING:
    from apm.accounts.models import User

#: The fields :func:`task_update` changes (assignees through :func:`task_assign`).
EDITABLE_FIELDS = (
    "title",
    "description",
    "deliverable",
    "estimate_hours",
    "start_date",
    "due_date",
    "priority",
    "recurrence",
)


def _require(user: User, project: Project) -> None:
    access.edit_tasks.require(
        user,
        project,
        "Only the project's team, its project manager, a head of its departments or an administrator "
        "may change its tasks.",
    )


def _check_values(
    *,
    project: Project,
    title: str,
    deliverable: Deliverable | None,
    estimate_hours: Decimal | None,
    start_date: dt.date | None,
    due_date: dt.date | None,
    priority: str,
) -> None:
    if not str(title or "").strip():
        raise Refused("Give the task a title.")
    if deliverable is not None and deliverable.project_id != project.pk:
        raise Refused("That deliverable belongs to another project.")
    if estimate_hours is not None and (not Decimal(estimate_hours).is_finite() or Decimal(estimate_hours) < 0):
        raise Refused("The estimate is a number of hours, 0 or more.")
    if start_date is not None and due_date is not None and start_date > due_date:
        raise Refused(f"The start ({start_date:%d %b %Y}) is after the due date ({due_date:%d %b %Y}).")
    if priority not in TaskPriority.values:
        raise Refused(f"Unknown priority {priority!r}.")


def _check_assignees(project: Project, assignees: Iterable[TeamMember]) -> list[TeamMember]:
    """``assignees`` as a list, each of the project's team, else ``Refused`` naming those who are not."""
    people = list(assignees)
    if not people:
        return people
    team = set(project.team_members.filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
    outside = [p for p in people if p.pk not in team]
    if outside:
        names = ", ".join(sorted(str(p) for p in outside))
        raise Refused(
            f"Only people on the team of {project.code} may be assigned; not on it: {names}. "
            "Book them on the project first."
        )
    return people


def check_depends_on(project: Project, task: Task | None, depends_on: Iterable[Task]) -> list[Task]:
    """``depends_on`` as a list of predecessors for ``task`` (None: a task not yet saved), else ``Refused``:
    a task of another project, the task itself, or a loop with the project's other links, named as it runs
    ("T-3 → T-5 → T-3"). Two queries (the project's links)."""
    predecessors = list(depends_on)
    for before in predecessors:
        if before.project_id != project.pk:
            raise Refused(f"{before.reference} ({before.title}) belongs to another project.")
        if task is not None and before.pk == task.pk:
            raise Refused("A task cannot depend on itself.")
    if task is None or task.pk is None or not predecessors:
        return predecessors
    links = Task.depends_on.through.objects.filter(from_task__project=project).exclude(from_task_id=task.pk)
    edges = [(before, after) for after, before in links.values_list("from_task_id", "to_task_id")]
    edges += [(before.pk, task.pk) for before in predecessors]
    loop = find_loop(edges)
    if loop:
        if task.pk in loop[:-1]:  # read from the task being changed
            at = loop.index(task.pk)
            loop = [*loop[at:-1], *loop[:at], task.pk]
        raise Refused(
            f"These dependencies would make a loop: {loop_words(f'T-{pk}' for pk in loop)} (a task waiting on itself)."
        )
    return predecessors


def _depends_words(predecessors: list[Task]) -> str:
    """The history's reason for a change of predecessors: which they are now."""
    refs = ", ".join(sorted((t.reference for t in predecessors), key=lambda ref: int(ref[2:])))
    return f"depends on: {refs or 'nothing'}"


def _next_position(project: Project, status: str) -> int:
    top = Task.objects.filter(project=project, status=status).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def task_create(
    *,
    project: Project,
    user: User,
    title: str,
    description: str = "",
    deliverable: Deliverable | None = None,
    assignees: Iterable[TeamMember] = (),
    estimate_hours: Decimal | None = None,
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    priority: str = TaskPriority.NORMAL,
    depends_on: Iterable[Task] = (),
    recurrence: str = "",
) -> Task:
    """Add a task to ``project`` (status to do, last of its column), optionally under ``deliverable``.

    ``estimate_hours`` in hours (0 or more, None: not estimated). Raises
    ``Refused`` unless ``user`` may edit the project's tasks, and for a
    missing title, a deliverable of another project, a negative estimate,
    a start after the due date, an unknown priority, an assignee who is not on
    the project's team, a predecessor (``depends_on``) of another project, a
    repeat rule (``recurrence``, RRULE text) outside ``projects.planning.recurrence``'s
    subset or without a due date, or a value the model refuses (a title over
    300 characters).
    """
    _require(user, project)
    _check_values(
        project=project,
        title=title,
        deliverable=deliverable,
        estimate_hours=estimate_hours,
        start_date=start_date,
        due_date=due_date,
        priority=priority,
    )
    people = _check_assignees(project, assignees)
    predecessors = check_depends_on(project, None, depends_on)
    recurrence = check_recurrence(recurrence_text=recurrence, due_date=due_date)
    with transaction.atomic():
        task = Task(
            project=project,
            deliverable=deliverable,
            title=title.strip(),
            description=description,
            estimate_hours=estimate_hours,
            start_date=start_date,
            due_date=due_date,
            priority=priority,
            status=TaskStatus.TO_DO,
            position=_next_position(project, TaskStatus.TO_DO),
            recurrence=recurrence,
        )
        reason = "; ".join(
            [
                "created",
                *([_assigned(people)] if people else []),
                *([_depends_words(predecessors)] if predecessors else []),
            ]
        )
        history_save(task, user=user, reason=reason)
        if people:
            task.assignees.set(people)
            task_assignees_notify(task=task, people=people, actor=user)
        if predecessors:
            task.depends_on.set(predecessors)
        _progress_follows(task.deliverable_id, user=user)
    return task


def task_update(*, task: Task, user: User, **changes: Any) -> Task:
    """Change the plain fields of a task (``EDITABLE_FIELDS``), with ``assignees`` who does it and with
    ``depends_on`` its finish-to-start predecessors (named in the history's reason when they change).

    Not its status (:func:`task_move`) nor its place (:func:`task_reorder`).
    Raises ``Refused`` as :func:`task_create` does, for a field that is not
    editable here, and for a predecessor that is the task itself or would
    make a loop (:func:`check_depends_on`, the loop named); nothing changes then.
    """
    project = task.project
    _require(user, project)
    unknown = set(changes) - {*EDITABLE_FIELDS, "assignees", "depends_on"}
    if unknown:
        raise Refused(f"Cannot change {', '.join(sorted(unknown))} here.")
    merged = {field: changes.get(field, getattr(task, field)) for field in EDITABLE_FIELDS}
    _check_values(project=project, **{k: v for k, v in merged.items() if k not in ("description", "recurrence")})
    merged["recurrence"] = check_recurrence(recurrence_text=merged["recurrence"], due_date=merged["due_date"])
    people = _check_assignees(project, changes["assignees"]) if "assignees" in changes else None
    predecessors = check_depends_on(project, task, changes["depends_on"]) if "depends_on" in changes else None
    was_under = task.deliverable_id
    with transaction.atomic():
        for field, value in merged.items():
            setattr(task, field, value.strip() if field == "title" else value)
        reasons = ["edited"]
        before = {p.pk for p in task.assignees.all()} if people is not None else set()
        people_changed = people is not None and {p.pk for p in people} != before
        if people_changed:
            reasons.append(_assigned(people or []))
        links_changed = predecessors is not None and {p.pk for p in predecessors} != {
            p.pk for p in task.depends_on.all()
        }
        if links_changed:
            reasons.append(_depends_words(predecessors or []))
        history_save(task, user=user, reason="; ".join(reasons))
        if people_changed:
            task.assignees.set(people or [])
            task_assignees_notify(task=task, people=[p for p in people or [] if p.pk not in before], actor=user)
        if links_changed:
            task.depends_on.set(predecessors or [])
        for deliverable_id in {was_under, task.deliverable_id}:
            _progress_follows(deliverable_id, user=user)
    return task


def _assigned(people: list[TeamMember]) -> str:
    """The history's reason for a change of assignees: who they are now."""
    return f"assigned: {', '.join(sorted(p.name for p in people))}" if people else "assigned: nobody"


def task_assign(*, task: Task, user: User, assignees: Iterable[TeamMember]) -> Task:
    """Set who does ``task``: people of the project's team only (anyone else: ``Refused`` naming them). The
    history's entry names them."""
    _require(user, task.project)
    people = _check_assignees(task.project, assignees)
    with transaction.atomic():
        before = set(task.assignees.values_list("pk", flat=True))
        history_save(task, user=user, reason=_assigned(people))
        task.assignees.set(people)
        task_assignees_notify(task=task, people=[p for p in people if p.pk not in before], actor=user)
    return task


def task_move(*, task: Task, user: User, to: str) -> Task:
    """Move ``task`` to the state ``to`` along ``workflow.TASK``, last in its new column; a repeating task moved
    to done gets its next occurrence, once (``projects.planning.recurring.task_repeat``).

    Raises a ``TransitionError`` (a ``Refused``) naming the allowed moves for a
    move the table does not allow, ``Refused`` when ``user`` may not edit the
    project's tasks; nothing changes then.
    """
    _require(user, task.project)
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        workflow.TASK.check(what=f"Task {locked.reference} ({locked.title})", current=locked.status, target=to)
        locked.status = to
        locked.position = _next_position(locked.project, to)
        history_save(locked, user=user, reason=f"status: {TaskStatus(to).label}")
        _progress_follows(locked.deliverable_id, user=user)
        if to == TaskStatus.DONE:
            task_repeat(task=locked, user=user)
    task.refresh_from_db()
    return task


def task_reorder(*, task: Task, user: User, position: int) -> Task:
    """Put ``task`` at ``position`` (0 first) among the tasks of its status column, the others closing up.

    A position past the end puts it last. Raises ``Refused`` for a negative
    position or when ``user`` may not edit the project's tasks.
    """
    _require(user, task.project)
    if position is None or int(position) < 0:
        raise Refused("A position is 0 (first) or more.")
    with transaction.atomic():
        column = list(
            Task.objects.select_for_update()
            .filter(project_id=task.project_id, status=task.status)
            .exclude(pk=task.pk)
            .order_by("position", "pk")
        )
        place = min(int(position), len(column))
        column.insert(place, task)
        for index, item in enumerate(column):
            if item.position != index or item.pk == task.pk:
                item.position = index
                if item.pk == task.pk:
                    history_save(item, user=user, reason=f"position {index + 1}", fields=["position", "updated_at"])
                else:
                    Task.objects.filter(pk=item.pk).update(position=index)
    task.refresh_from_db()
    return task


def task_delete(*, task: Task, user: User) -> None:
    """Remove ``task``, its checklist with it (its history keeps a deletion entry; time logged on it stays,
    without the task). Removing a repeating task's next occurrence stops the series: the occurrence it repeats
    no longer repeats (else it would be made again as soon as that one is done or due). Raises ``Refused`` when
    ``user`` may not edit the project's tasks."""
    _require(user, task.project)
    with transaction.atomic():
        deliverable_id = task.deliverable_id
        before = (
            Task.objects.select_for_update().filter(pk=task.recurs_from_id).exclude(recurrence="").first()
            if task.recurs_from_id is not None
            else None
        )
        reference = task.reference
        task._history_user = user  # type: ignore[attr-defined]
        task._change_reason = "deleted"  # type: ignore[attr-defined]
        task.delete()
        if before is not None:
            before.recurrence = ""
            history_save(
                before,
                user=user,
                reason=f"stops repeating: its next occurrence {reference} was removed",
                fields=["recurrence", "updated_at"],
            )
        _progress_follows(deliverable_id, user=user)


# --- The checklist --------------------------------------------------------------------------------


def _checklist_noted(task: Task, *, user: User, what: str) -> None:
    """A history entry on the task saying what happened to its checklist (the task's fields unchanged)."""
    history_save(task, user=user, reason=f"checklist: {what}", fields=["updated_at"])


def checklist_item_add(*, task: Task, user: User, text: str) -> TaskChecklistItem:
    """Add a line to ``task``'s checklist, last. Raises ``Refused`` for an empty text, one over 300
    characters, or when ``user`` may not edit the project's tasks."""
    _require(user, task.project)
    text = str(text or "").strip()
    if not text:
        raise Refused("Say what is to be checked.")
    with transaction.atomic():
        top = task.checklist.aggregate(top=Max("position"))["top"]
        item = validation.create(TaskChecklistItem, task=task, text=text, position=0 if top is None else top + 1)
        _checklist_noted(task, user=user, what=f"added {text!r}")
    return item


def checklist_item_tick(*, item: TaskChecklistItem, user: User, done: bool) -> TaskChecklistItem:
    """Tick (``done``) or untick one line of a task's checklist. Raises ``Refused`` when ``user`` may not
    edit the project's tasks."""
    task = item.task
    _require(user, task.project)
    with transaction.atomic():
        item.done = bool(done)
        item.save(update_fields=["done"])
        _checklist_noted(task, user=user, what=f"{'ticked' if item.done else 'unticked'} {item.text!r}")
    return item


def checklist_item_remove(*, item: TaskChecklistItem, user: User) -> None:
    """Remove one line of a task's checklist. Raises ``Refused`` when ``user`` may not edit the project's tasks."""
    task = item.task
    _require(user, task.project)
    with transaction.atomic():
        text = item.text
        item.delete()
        _checklist_noted(task, user=user, what=f"removed {text!r}")


# --- A deliverable's progress from its tasks --------------------------------------------------------------


def deliverable_progress_from_tasks(*, deliverable: Deliverable) -> int | None:
    """Percent complete of ``deliverable`` from its tasks: the estimate of the done ones over the estimate of
    all, as a whole percent 0-100 (half up); None when its tasks have no estimate (nothing to weigh). One query."""
    sums = deliverable.tasks.aggregate(
        total=Sum("estimate_hours"), done=Sum("estimate_hours", filter=Q(status=TaskStatus.DONE))
    )
    total, done = sums["total"] or Decimal(0), sums["done"] or Decimal(0)
    if total <= 0:
        return None
    return int((done * 100 / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _progress_follows(deliverable_id: int | None, *, user: User) -> None:
    """With ``APM_DELIVERABLE_PROGRESS_FROM_TASKS`` on, store the deliverable's percent complete from its tasks
    (not an accepted one: its sign-off made it final), recorded in its history."""
    if not settings.APM_DELIVERABLE_PROGRESS_FROM_TASKS or deliverable_id is None:
        return
    deliverable = Deliverable.objects.select_for_update().filter(pk=deliverable_id).first()
    if deliverable is None or deliverable.status == DeliverableStatus.ACCEPTED:
        return
    percent = deliverable_progress_from_tasks(deliverable=deliverable)
    if percent is None or percent == deliverable.percent_complete:
        return
    deliverable.percent_complete = percent
    history_save(deliverable, user=user, reason="progress from its tasks", fields=["percent_complete", "updated_at"])
