"""Forms of the task pages (validation only; services write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import F, QuerySet

from apm.errors import Refused
from apm.forms import IdChoiceField, IdMultipleChoiceField
from projects.common.forms import DATE, limit_choices
from projects.models import Deliverable, Project, Task, TaskPriority, TaskStatus
from projects.planning import recurrence
from projects.planning.plan import UndoLine, undo_line
from teams.models import TeamMember

# --- Repeats: the fields of a repeat rule, on the task form and an obligation's -----------------------------

REPEATS_FIELDS = ("repeats", "repeats_every", "repeats_on_days", "repeats_on_day")


def repeats_fields(counted_from: str) -> dict[str, forms.Field]:
    """The fields that say how something repeats (``counted_from``: "due date", "deadline"); appended to a form's
    fields and read back into one RRULE text by :func:`repeats_cleaned`."""
    return {
        "repeats": forms.ChoiceField(
            choices=[
                ("", "Does not repeat"),
                (recurrence.DAILY, "Daily"),
                (recurrence.WEEKLY, "Weekly, on the days below"),
                (recurrence.MONTHLY, "Monthly, on the day below"),
                (recurrence.YEARLY, f"Yearly, on the {counted_from}'s day"),
            ],
            required=False,
            help_text=f"The next occurrence is made once, when this one is done or its {counted_from} passes.",
        ),
        "repeats_every": forms.IntegerField(
            min_value=1,
            max_value=recurrence.MAX_INTERVAL,
            required=False,
            initial=1,
            label="Every",
            help_text="1: every day, week, month or year; 2: every other one.",
        ),
        "repeats_on_days": forms.TypedMultipleChoiceField(
            choices=list(enumerate(recurrence.WEEKDAY_NAMES)),
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="On (weekly)",
        ),
        "repeats_on_day": forms.TypedChoiceField(
            choices=[("", "—"), *((day, str(day)) for day in range(1, 32)), (recurrence.LAST, "The last day")],
            coerce=int,
            empty_value=None,
            required=False,
            label="On day (monthly)",
        ),
    }


def repeats_initial(text: str) -> dict[str, Any]:
    """The initial values of :func:`repeats_fields` for a stored RRULE ``text`` ({} for none or one that no longer
    reads)."""
    try:
        rule = recurrence.parse(text)
    except Refused:
        return {}
    if rule is None:
        return {}
    return {
        "repeats": rule.freq,
        "repeats_every": rule.interval,
        "repeats_on_days": list(rule.weekdays),
        "repeats_on_day": rule.monthday,
    }


def repeats_cleaned(form: forms.Form) -> None:
    """Replace the repeat fields of ``form.cleaned_data`` by ``recurrence`` (RRULE text, "" for none); a rule the
    subset refuses (weekly with no day, ...) is the form's error on "repeats", in the rule's words."""
    data = form.cleaned_data
    values = {name: data.pop(name, None) for name in REPEATS_FIELDS}
    if not values["repeats"]:
        data["recurrence"] = ""
        return
    try:
        rule = recurrence.Rule.make(
            freq=values["repeats"],
            interval=values["repeats_every"] or 1,
            weekdays=(values["repeats_on_days"] or []) if values["repeats"] == recurrence.WEEKLY else [],
            monthday=values["repeats_on_day"] if values["repeats"] == recurrence.MONTHLY else None,
        )
    except Refused as refused:
        form.add_error("repeats", refused.message)
        return
    data["recurrence"] = str(rule)


def team_of(project: Project) -> QuerySet[TeamMember]:
    """The people a task of ``project`` may be assigned to: its team, by name."""
    return project.team_members.order_by("name")


class TaskChoiceField(IdMultipleChoiceField):
    """Tasks offered by reference and title ("T-4 Cut the trailer")."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} {obj.title}"


class TaskForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    deliverable = IdChoiceField(queryset=Deliverable.objects.none(), required=False)
    assignees = IdMultipleChoiceField(
        queryset=TeamMember.objects.none(), required=False, help_text="People of the project's team."
    )
    estimate_hours = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=Decimal("99999"),
        max_digits=7,
        decimal_places=2,
        required=False,
        label="Estimate (hours)",
    )
    start_date = forms.DateField(widget=DATE, required=False)
    due_date = forms.DateField(widget=DATE, required=False)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    depends_on = TaskChoiceField(
        queryset=Task.objects.none(),
        required=False,
        label="Depends on",
        help_text="Tasks of this project to finish before this one starts.",
    )

    def __init__(self, *args: Any, project: Project, instance: Task | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": instance.title,
                "description": instance.description,
                "deliverable": instance.deliverable_id,
                "assignees": [person.pk for person in instance.assignees.all()],
                "estimate_hours": instance.estimate_hours,
                "start_date": instance.start_date,
                "due_date": instance.due_date,
                "priority": instance.priority,
                "depends_on": [before.pk for before in instance.depends_on.all()],
                **repeats_initial(instance.recurrence),
            }
        super().__init__(*args, **kwargs)
        self.fields.update(repeats_fields("due date"))
        limit_choices(self, "deliverable", Deliverable.objects.filter(project=project).order_by("due_date", "pk"))
        limit_choices(self, "assignees", team_of(project))
        others = Task.objects.filter(project=project).order_by(F("start_date").asc(nulls_last=True), "title", "pk")
        limit_choices(self, "depends_on", others.exclude(pk=instance.pk) if instance is not None else others)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", "The start is after the due date.")
        repeats_cleaned(self)
        return data


class DeliverableTaskForm(TaskForm):
    """The "Add a task" form of a deliverable's page: the deliverable is the page's, not a choice."""

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, project=project, **kwargs)
        del self.fields["deliverable"]


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=TaskStatus.choices)


class ReorderForm(forms.Form):
    position = forms.IntegerField(min_value=0, max_value=100000, help_text="0 is first of its column.")


class PlaceForm(forms.Form):
    """A card put on the board: the column (``status``) and its place there (``position``, 0 first; empty:
    last). ``board`` says which board answers: ``all`` the one across the user's projects."""

    status = forms.ChoiceField(choices=TaskStatus.choices, label="Move to")
    position = forms.IntegerField(min_value=0, max_value=100000, required=False, label="Place")
    board = forms.ChoiceField(choices=[("", "The project's"), ("all", "Across projects")], required=False)


class ManagedBoardFilterForm(forms.Form):
    """The filter of the board across projects (GET): one of the user's projects; a bad value is ignored."""

    project = IdChoiceField(queryset=Project.objects.none(), required=False, empty_label="All my projects")

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "project", projects)


class ChecklistItemForm(forms.Form):
    text = forms.CharField(max_length=300)


class TickForm(forms.Form):
    done = forms.BooleanField(required=False)


class TaskFilterForm(forms.Form):
    """The task list's filters (GET): a bad value is ignored, as if not given."""

    status = forms.ChoiceField(choices=[("", "Any status"), *TaskStatus.choices], required=False)
    assignee = IdChoiceField(queryset=TeamMember.objects.none(), required=False, empty_label="Anyone")
    deliverable = IdChoiceField(queryset=Deliverable.objects.none(), required=False, empty_label="Any deliverable")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "assignee", team_of(project))
        limit_choices(self, "deliverable", Deliverable.objects.filter(project=project).order_by("due_date", "pk"))


class PlanDatesForm(forms.Form):
    """A task's dates on the plan (a dragged bar, or a row of the date form below the chart)."""

    start_date = forms.DateField(widget=DATE, required=False, label="Start")
    due_date = forms.DateField(widget=DATE, required=False, label="Due")

    def clean(self) -> dict[str, Any]:
        super().clean()
        start, due = self.cleaned_data.get("start_date"), self.cleaned_data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", "The start is after the due date.")
        return self.cleaned_data


class PlanDeliverableDatesForm(PlanDatesForm):
    """A deliverable's dates on the plan: it needs a due date."""

    due_date = forms.DateField(widget=DATE, label="Due")


class UndoLinesField(forms.Field):
    """The tasks a plan change moved, each ``pk:old start:old due:new start:new due`` (``plan.undo_line``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[UndoLine]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if not values:
            raise forms.ValidationError("There is nothing to undo.")
        if len(values) > 5000:
            raise forms.ValidationError("Too many tasks to undo at once.")
        try:
            return [undo_line(str(v)) for v in values]
        except ValueError as exc:
            raise forms.ValidationError("These are not the dates of a change on the plan.") from exc


class PlanUndoForm(forms.Form):
    """The dates of the tasks a plan change moved, to put back."""

    move = UndoLinesField()
