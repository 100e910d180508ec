"""The PM's weekly update: a form quick to fill on a phone, and the one function that records it.

The form asks for six RAG ratings (overall, time, cost, scope, quality,
risk), the status summary, work done and planned, decisions needed, key
risks and issues, and lessons learned. What APM already knows is filled in
(:func:`status_update_initial`): last update's ratings, percent complete,
period budget and forecast (project currency, major units), and its open
risks; the page shows the milestones due beside the form.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import transaction

from projects.budget.services import budget_check
from projects.models import Milestone, Project, StatusUpdate
from projects.rag import RAG

if TYPE_CHECKING:
    from apm.accounts.models import User

#: The six ratings, in the order the form and the reports show them: (field, label).
RATING_FIELDS: tuple[tuple[str, str], ...] = (
    ("rag", "Overall"),
    ("rag_time", "Time"),
    ("rag_cost", "Cost"),
    ("rag_scope", "Scope"),
    ("rag_quality", "Quality"),
    ("rag_risk", "Risk"),
)
NARRATIVE_FIELDS = (
    "commentary_overall",
    "work_done",
    "work_planned",
    "decisions_needed",
    "risks_issues",
    "lessons_learned",
)
#: Carried over from the previous update as a starting point.
CARRIED_FIELDS = (
    *(name for name, _label in RATING_FIELDS),
    "percent_complete",
    "budget_period",
    "forecast_period",
    "whole_life_cost",
    "risks_issues",
)


class StatusUpdateForm(forms.ModelForm):
    """One weekly update of a project. Every RAG is required; text fields may be empty.

    ``as_of`` may not be in the future; percent complete is 0-100; money may
    not be negative. Labels and help say what each field feeds in the reports.
    """

    class Meta:
        model = StatusUpdate
        fields = [
            "as_of",
            *(name for name, _label in RATING_FIELDS),
            "commentary_overall",
            "work_done",
            "work_planned",
            "decisions_needed",
            "risks_issues",
            "lessons_learned",
            "percent_complete",
            "budget_period",
            "forecast_period",
        ]
        labels = {
            "as_of": "Update as of",
            "commentary_overall": "Status summary",
            "work_done": "Work done this period",
            "work_planned": "Work planned next period",
            "decisions_needed": "Decisions needed (client or management)",
            "risks_issues": "Key risks and issues",
            "lessons_learned": "Lessons learned",
            "percent_complete": "Percent complete (0-100)",
            "budget_period": "Budget this period",
            "forecast_period": "Forecast this period",
        }
        help_texts = {
            "decisions_needed": "One decision per line; the client report shows them on page 1.",
            "risks_issues": "One per line.",
            "lessons_learned": "Internal reports only.",
        }
        widgets = {
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in NARRATIVE_FIELDS},
        }

    def __init__(self, *args, project: Project, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.today = today
        for name, label in RATING_FIELDS:
            field = self.fields[name]
            field.required = True
            field.label = f"{label} RAG"
            field.widget = forms.RadioSelect(choices=list(RAG.choices))
            field.choices = list(RAG.choices)
            field.error_messages["required"] = f"Rate {label.lower()}: red, amber or green."
        for name in ("percent_complete", "budget_period", "forecast_period"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        currency = project.currency
        self.fields["budget_period"].label = f"Budget this period ({currency})"
        self.fields["forecast_period"].label = f"Forecast this period ({currency})"

    def clean_as_of(self) -> dt.date:
        as_of = self.cleaned_data["as_of"]
        if as_of > self.today:
            raise forms.ValidationError("An update cannot be dated in the future.")
        return as_of

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("budget_period", "forecast_period"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, "Money may not be negative.")
        return data

    def validate_unique(self) -> None:
        # (project, as_of) is unique: the view edits the existing update of that date instead.
        self.instance.project = self.project
        super().validate_unique()


def status_update_initial(*, project: Project, today: dt.date) -> dict[str, Any]:
    """Initial form values: today's date and the fields carried over from the latest update."""
    initial: dict[str, Any] = {"as_of": today}
    previous = StatusUpdate.objects.filter(project=project, as_of__lte=today).order_by("-as_of").first()
    if previous is not None:
        for name in CARRIED_FIELDS:
            initial[name] = getattr(previous, name)
    elif project.rag:
        initial["rag"] = project.rag
    return initial


def status_update_known_facts(*, project: Project, today: dt.date, weeks: int = 4) -> dict[str, Any]:
    """What APM knows that the PM need not type: milestones overdue and due in ``weeks`` weeks, the last update.

    Returns ``{"overdue": [Milestone], "due": [Milestone], "deliverables": [Deliverable] (not accepted,
    due by then), "risks": [RaidItem] (open risks and issues), "changes": [ChangeRequest] (newest 10),
    "previous": StatusUpdate | None}``. The highlight report shows these itself.
    """
    open_milestones = Milestone.objects.filter(project=project, completed_on__isnull=True).order_by("due_date", "pk")
    horizon = today + dt.timedelta(weeks=weeks)
    return {
        "overdue": list(open_milestones.filter(due_date__lt=today)),
        "due": list(open_milestones.filter(due_date__gte=today, due_date__lte=horizon)),
        "deliverables": list(
            project.deliverables.exclude(status="accepted").filter(due_date__lte=horizon).order_by("due_date", "pk")
        ),
        "risks": list(
            project.raid_items.filter(kind__in=["risk", "issue"]).exclude(status="closed").order_by("pk")[:10]
        ),
        "changes": list(project.change_requests.order_by("-pk")[:10]),
        "previous": StatusUpdate.objects.filter(project=project, as_of__lt=today).order_by("-as_of").first(),
    }


def status_update_record(*, form: StatusUpdateForm, author: User) -> StatusUpdate:
    """Save a valid weekly update by ``author`` and make its overall RAG the project's current RAG.

    Only when it is the project's newest update does ``Project.rag`` change.
    The new percent complete moves earned value, so the budget tolerances
    are checked again (``projects.budget.services.budget_check``: an
    exception is raised once per breach). Raises ``ValueError`` when the
    form is not valid.
    """
    if not form.is_valid():
        raise ValueError("The update form is not valid.")
    project = form.project
    with transaction.atomic():
        update = form.save(commit=False)
        update.project = project
        update.author = author
        if not update.source:
            update.source = "weekly-update"
        if not update.rating_published and update.rag:
            update.rating_published = RAG(update.rag).label
        update.save()
        newest = StatusUpdate.objects.filter(project=project).order_by("-as_of").values_list("pk", flat=True).first()
        if newest == update.pk and project.rag != update.rag:
            project.rag = update.rag
            project.save(update_fields=["rag", "updated_at"])
        budget_check(project=project)
    return update
