"""Writes of repeating tasks: the next occurrence of a task, made once, when it is done or falls due.

A task repeats when its ``recurrence`` holds a rule (``projects.planning.recurrence``)
and it has a due date. Its next occurrence is a new task of the same project
and deliverable with the same title, description, assignees, estimate,
priority, rule and checklist (unticked), status to do, due on the rule's
first date after the old due date that is not yet past (a task done or
found late does not leave a trail of overdue copies), its start kept at the
same distance before its due date. It points back to the task it repeats
(``recurs_from``, one to one): the database holds at most one next
occurrence per task, so a second click, a task done after the hourly run
made its next one, or two runs at once make nothing more (the losing insert
fails the constraint in its savepoint and is skipped).

:func:`task_repeat` is called by ``task_move`` when a task is moved to done;
:func:`tasks_repeat_due` by the periodic Celery task for open tasks whose
due date has passed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apm.errors import Refused
from projects.common.history import history_save
from projects.models import OPEN_TASK_STATES, Task, TaskChecklistItem, TaskStatus
from projects.planning import recurrence

if TYPE_CHECKING:
    from apm.accounts.models import User

logger = logging.getLogger(__name__)


def check_recurrence(*, recurrence_text: str, due_date: dt.date | None) -> str:
    """The rule as stored ("" for none), or ``Refused``: a rule outside the subset, or a rule without a due date
    to count from."""
    rule = recurrence.parse(recurrence_text)
    if rule is None:
        return ""
    if due_date is None:
        raise Refused("A repeating task needs a due date: its repeats are counted from it.")
    return str(rule)


def next_dates(task: Task, *, today: dt.date) -> tuple[dt.date | None, dt.date] | None:
    """(start, due) of ``task``'s next occurrence as of ``today``, None when it does not repeat (no rule, a rule
    that no longer reads, or no due date)."""
    try:
        rule = recurrence.parse(task.recurrence)
    except Refused:
        return None
    if rule is None or task.due_date is None:
        return None
    due = recurrence.occurrence_after(rule, anchor=task.due_date, after=max(task.due_date, today - dt.timedelta(1)))
    start = due - (task.due_date - task.start_date) if task.start_date else None
    return start, due


def task_repeat(*, task: Task, user: User | None, today: dt.date | None = None) -> Task | None:
    """Make ``task``'s next occurrence (see the module) and return it; None when it does not repeat or its next
    occurrence exists already (made now by another run, or earlier). ``user`` is who made it happen (None: the
    periodic run), named in the new task's history. Raises nothing a caller must handle: the check is the
    database's constraint, caught in a savepoint."""
    today = today or timezone.localdate()
    dates = next_dates(task, today=today)
    if dates is None or Task.objects.filter(recurs_from=task).exists():
        return None
    start, due = dates
    try:
        with transaction.atomic():
            top = Task.objects.filter(project_id=task.project_id, status=TaskStatus.TO_DO).aggregate(m=Max("position"))
            following = Task(
                project_id=task.project_id,
                deliverable_id=task.deliverable_id,
                title=task.title,
                description=task.description,
                estimate_hours=task.estimate_hours,
                start_date=start,
                due_date=due,
                priority=task.priority,
                status=TaskStatus.TO_DO,
                position=0 if top["m"] is None else top["m"] + 1,
                recurrence=task.recurrence,
                recurs_from=task,
            )
            history_save(
                following, user=user, reason=f"created: repeats {task.reference}, due {task.due_date:%d %b %Y}"
            )
            following.assignees.set(task.assignees.all())
            TaskChecklistItem.objects.bulk_create(
                TaskChecklistItem(task=following, text=item.text, position=item.position, done=False)
                for item in task.checklist.all()
            )
    except IntegrityError:
        return None
    return following


def tasks_repeat_due(*, today: dt.date | None = None) -> int:
    """Make the next occurrence of every open repeating task whose due date is before ``today`` (default: the
    local date) and that has none yet; each in its own transaction, so one failure (logged) stops no other and
    the next run tries it again. Returns how many were made."""
    today = today or timezone.localdate()
    due = Task.objects.filter(status__in=OPEN_TASK_STATES, due_date__lt=today, next_occurrence__isnull=True).exclude(
        recurrence=""
    )
    made = 0
    for task in due.select_related("project").order_by("pk"):
        try:
            if task_repeat(task=task, user=None, today=today) is not None:
                made += 1
        except Exception:  # one task's failure must not stop the others; the next run retries it
            logger.exception("The next occurrence of task %s could not be made", task.pk)
    return made
