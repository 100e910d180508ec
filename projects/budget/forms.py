"""Forms of the budget pages. Plain Django forms: the services validate the business rules.

The budget page shows five of them at once, so each has its own ``prefix``
(``line-amount``, ``expense-amount``, ...): field ids stay unique on the page
and each view reads its own form's fields back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms

from apm.forms import IdChoiceField
from projects.common.forms import DATE, limit_choices
from projects.models import CostBasis, CostCategory, Task

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from projects.budget.selectors.time import TimesheetCell, TimesheetWeek
    from projects.models import Project
#: The largest sum of money a form takes (£1 trillion): more would overflow the database's decimal columns.
MAX_MONEY = Decimal(10**12)


def money_field(*, min_value: Decimal, label: str | None = None, required: bool = True) -> forms.DecimalField:
    """A sum of money in pounds: pence (two decimal places), from ``min_value`` up to :data:`MAX_MONEY`."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=min_value,
        max_value=MAX_MONEY,
        max_digits=18,
        decimal_places=2,
        error_messages={"max_value": "Enter an amount of at most £1,000,000,000,000."},
    )


class BudgetLineForm(forms.Form):
    prefix = "line"

    category = forms.ChoiceField(choices=CostCategory.choices)
    description = forms.CharField(max_length=200, required=False)
    amount = money_field(min_value=Decimal("0"))


class BudgetSettingsForm(forms.Form):
    prefix = "settings"

    contingency_reserve = money_field(min_value=Decimal("0"))
    cost_tolerance_percent = forms.DecimalField(
        label="Cost tolerance (± % of BAC)", min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2
    )
    time_tolerance_days = forms.IntegerField(label="Time tolerance (± days)", min_value=0, max_value=3650)
    etc_bottom_up = money_field(
        label="Bottom-up estimate to complete (optional)", required=False, min_value=Decimal("0")
    )
    cost_basis = forms.ChoiceField(
        label="Actual cost reads",
        choices=CostBasis.choices,
        required=False,
        help_text="Approved time only: hours count once the PM or a head approves them.",
    )


class ExpenseForm(forms.Form):
    prefix = "expense"

    date = forms.DateField(widget=DATE)
    amount = money_field(min_value=Decimal("0.01"))
    category = forms.ChoiceField(choices=CostCategory.choices)
    supplier = forms.CharField(max_length=200)
    description = forms.CharField(max_length=300, required=False)
    billable = forms.BooleanField(required=False, initial=True, label="Billed to the client")
    receipt = forms.FileField(required=False, help_text="PDF, PNG or JPEG, at most 10 MB.")


class BaselineForm(forms.Form):
    prefix = "baseline"

    reason = forms.CharField(max_length=300)
    change_reference = forms.CharField(max_length=60, required=False)


class ContingencyRequestForm(forms.Form):
    prefix = "contingency"

    amount = money_field(min_value=Decimal("0.01"))
    category = forms.ChoiceField(choices=CostCategory.choices, help_text="The budget line it goes to.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ContingencyDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(required=False, max_length=1000)


class _EntryIds(forms.Field):
    """Ids of entries ticked (each ``entry`` value of the form), as a sorted list of ints; whether they are the
    project's and in the right state is the service's to check."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Tick the entries first.", "invalid": "Unknown entries: reload the page."}
    most = 2000

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if len(ids) > self.most or ids[0] < 1 or ids[-1] > 2**63 - 1:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class TimeDecisionForm(forms.Form):
    """An approver's decision on some entries of one project: approve, reject (with a comment) or reopen
    (with a reason); ``entry`` the ids ticked."""

    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject"), ("reopen", "Reopen")])
    entry = _EntryIds()
    comment = forms.CharField(required=False, max_length=300)


class ExceptionPlanForm(forms.Form):
    """The PM's exception plan; ``action`` says whether to keep it as a draft or submit it for a decision."""

    prefix = "plan"

    options = forms.CharField(
        label="Options considered",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Each option with its cost, time and effect on the benefits.",
    )
    recommendation = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Which option, and why."
    )
    forecast_eac = money_field(label="New forecast cost (EAC)", min_value=Decimal("0"), required=False)
    forecast_finish = forms.DateField(label="New forecast finish", required=False, widget=DATE)
    action = forms.ChoiceField(choices=[("save", "Save draft"), ("submit", "Submit for decision")])


class ExceptionPlanDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class _TaskChoiceField(IdChoiceField):
    """Tasks named with their project: "ALPHA-1 · Draft the brief"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.project.code} · {obj.title}"


class TimeEntryForm(forms.Form):
    project: forms.ModelChoiceField[Project] = forms.ModelChoiceField(queryset=None, to_field_name="code")
    date = forms.DateField(widget=DATE)
    hours = forms.DecimalField(min_value=Decimal("0.25"), max_value=Decimal("24"), decimal_places=2)
    billable = forms.BooleanField(required=False, initial=True)
    note = forms.CharField(max_length=300, required=False)
    task = _TaskChoiceField(queryset=Task.objects.none(), required=False, help_text="The task worked on, if any.")

    def __init__(
        self,
        *args: Any,
        projects: QuerySet[Project] | None = None,
        week: list[dt.date] | None = None,
        tasks: QuerySet[Task] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if projects is not None:
            limit_choices(self, "project", projects)
        if tasks is not None:
            limit_choices(self, "task", tasks)
        self.week = week or []
        for name, field in self.fields.items():
            select = name in ("project", "task")
            css = "form-check-input" if name == "billable" else "form-select" if select else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_date(self) -> dt.date:
        value = self.cleaned_data["date"]
        if self.week and not (self.week[0] <= value <= self.week[-1]):
            raise forms.ValidationError("Pick a day of the week shown.")
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        project, task = self.cleaned_data.get("project"), self.cleaned_data.get("task")
        if task is not None and project is not None and task.project_id != project.pk:
            self.add_error("task", f"{task} is a task of {task.project.code}, not of {project.code}.")
        return self.cleaned_data


class TimesheetGridForm(forms.Form):
    """The week's grid: one optional field of hours (0-24, quarter hours typed as 0.25) per cell the
    person may change (``week.cells`` that are editable), named as the cell (``h-<project>-<YYYYMMDD>``),
    and a hidden one (``was-h-<project>-<YYYYMMDD>``) holding the hours the cell showed when the page
    was loaded, so the save can tell a cell changed meanwhile (another tab, an entry logged one by one).

    Only the cells posted count: a cell missing from the POST is left as it
    is, while an empty cell or 0 posted means no entry. Each bad cell gets
    its own message, naming it; a day changed whose hours over all projects
    (the cells shown read-only too) would pass 24 is refused, naming the day.
    """

    def __init__(self, *args: Any, week: TimesheetWeek, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.week = week
        self.editable = [cell for cell in week.cells if cell.editable]
        for cell in self.editable:
            label = cell.label
            self.fields[cell.name] = forms.DecimalField(
                label=label,
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("24"),
                max_digits=4,
                decimal_places=2,
                initial=cell.hours,
                error_messages={
                    "invalid": f"{label}: enter a number of hours, like 7.5.",
                    "min_value": f"{label}: hours cannot be negative.",
                    "max_value": f"{label}: a day has at most 24 hours.",
                    "max_digits": f"{label}: enter at most 24 hours, to two decimal places.",
                    "max_decimal_places": f"{label}: enter hours to two decimal places at most, like 7.25.",
                    "max_whole_digits": f"{label}: a day has at most 24 hours.",
                },
            )
            stale = f"{label}: the page sent a bad original value; reload the page."
            self.fields[self.was_name(cell)] = forms.DecimalField(
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("24"),
                max_digits=4,
                decimal_places=2,
                initial=cell.hours,
                widget=forms.HiddenInput,
                error_messages=dict.fromkeys(
                    ("invalid", "min_value", "max_value", "max_digits", "max_decimal_places", "max_whole_digits"), stale
                ),
            )

    @staticmethod
    def was_name(cell: TimesheetCell) -> str:
        """The hidden field holding the hours ``cell`` showed when the page was loaded."""
        return f"was-{cell.name}"

    def posted(self) -> list[TimesheetCell]:
        """The editable cells whose field is in the POST (the only ones a save changes)."""
        return [cell for cell in self.editable if cell.name in self.data]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        posted = {cell.name for cell in self.posted()}
        for cell in self.editable:
            value = data.get(cell.name)
            if value is not None and Decimal(0) < value < Decimal("0.25"):
                message = f"{cell.label}: log at least 0.25 h (a quarter of an hour), or leave it empty."
                self.add_error(cell.name, message)
        if self.errors:
            return data
        for i, day in enumerate(self.week.days):
            total, changed = Decimal(0), False
            for row in self.week.rows:
                cell = row.cells[i]
                hours = (data.get(cell.name) or Decimal(0)) if cell.name in posted else (cell.hours or Decimal(0))
                changed = changed or hours != (cell.hours or Decimal(0))
                total += hours
            if changed and total > 24:
                hours = f"{total.normalize():f}"
                self.add_error(None, f"{day:%a} {day.day} {day:%b}: {hours} h in one day; a day has at most 24 hours.")
        return data

    def cells(self) -> dict[tuple[Project, dt.date], Decimal | None]:
        """The cleaned values of the editable cells posted: (project, day) -> hours, None when empty."""
        return {(cell.project, cell.day): self.cleaned_data.get(cell.name) for cell in self.posted()}

    def loaded(self) -> dict[tuple[Project, dt.date], Decimal | None]:
        """The hours the posted cells showed when the page was loaded: (project, day) -> hours, None when
        empty; a cell posted without its original value is left out (not checked)."""
        return {
            (cell.project, cell.day): self.cleaned_data.get(self.was_name(cell))
            for cell in self.posted()
            if self.was_name(cell) in self.data
        }
