"""Tasks: the work under a project's deliverables, with their assignees, estimates, workflow and checklists.

A task belongs to a project and, optionally, to one of its deliverables.
Its assignees are people of the project's team (``Project.team_members``;
the services refuse anyone else). ``estimate_hours`` is the planned work in
hours (a Decimal); when ``APM_DELIVERABLE_PROGRESS_FROM_TASKS`` is on, a
deliverable's ``percent_complete`` follows its tasks' estimates
(``projects.planning.services``). ``status`` moves through
``projects.common.workflow.TASK``; ``position`` orders the tasks of one
status column (smaller first). ``depends_on`` are finish-to-start
predecessors: the task should not start before each of them is due (a loop
is refused by the services). ``recurrence`` is a repeat rule (an RFC 5545
RRULE of the subset ``projects.planning.recurrence`` reads; blank: the task
does not repeat); the next occurrence of a repeating task points back to the
one it was made from (``recurs_from``, one to one: at most one next
occurrence per task, held by the database, so two runs or a double click
never make two). Every change is kept (django-simple-history,
``history``; a change of assignees names them in the entry's reason).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from projects.models.delivery import Deliverable
from projects.models.portfolio import Project
from teams.models import TeamMember


class TaskStatus(models.TextChoices):
    TO_DO = "to_do", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "In review"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


#: The states of a task still to be finished (on "My tasks", offered to the timesheet).
OPEN_TASK_STATES = (TaskStatus.TO_DO, TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.BLOCKED)


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Task(models.Model):
    """A piece of work on a project, optionally under one of its deliverables.

    ``start_date``/``due_date`` are optional plain dates (start not after due).
    ``estimate_hours`` is None when nobody has estimated it yet.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    deliverable = models.ForeignKey(Deliverable, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    assignees = models.ManyToManyField(TeamMember, blank=True, related_name="tasks")
    estimate_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Planned work in hours.",
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.TO_DO)
    priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    position = models.PositiveIntegerField(default=0, help_text="Order within its status column, smaller first.")
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        help_text="Finish-to-start predecessors, tasks of the same project.",
    )
    recurrence = models.CharField(
        max_length=200, blank=True, help_text="A repeat rule (RFC 5545 RRULE), blank when it does not repeat."
    )
    recurs_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_occurrence",
        help_text="The occurrence this one repeats.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The assignees are named in the history's reason ("assigned: ..."), not diffed: a diff of a many-to-many
    # field reads its history once a row, and a task's page shows fifty.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["project", "status", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(due_date__isnull=True)
                | models.Q(start_date__lte=models.F("due_date")),
                name="task_dates_not_reversed",
            ),
            models.CheckConstraint(
                condition=models.Q(estimate_hours__isnull=True) | models.Q(estimate_hours__gte=0),
                name="task_estimate_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["project", "status", "position"])]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        return f"T-{self.pk}"


class TaskChecklistItem(models.Model):
    """One line of a task's checklist: ``text``, ticked (``done``) or not, ordered by ``position``."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=300)
    done = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["task", "position", "pk"]

    def __str__(self) -> str:
        return self.text
