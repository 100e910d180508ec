"""The PM's weekly update form, quick to fill on a phone.

The form asks for six RAG ratings (overall, time, cost, scope, quality,
risk), the status summary, work done and planned, decisions needed, key
risks and issues, and lessons learned. What APM already knows is filled in
(``projects.status.selectors.status_update_initial``): last update's
ratings, percent complete, period budget and forecast (project currency,
major units), and its open risks; the page shows the milestones due beside
the form. ``projects.status.services.status_update_record`` saves it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from projects.common.forms import DATE
from projects.models import Project, StatusUpdate
from projects.rag import RAG

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
            *NARRATIVE_FIELDS,
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
            "as_of": DATE,
            **{name: forms.Textarea(attrs={"rows": 3}) for name in NARRATIVE_FIELDS},
        }

    def __init__(self, *args: Any, project: Project, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.today = today
        for name, label in RATING_FIELDS:
            field = self.fields[name]
            if not isinstance(field, forms.ChoiceField):
                raise TypeError(f"{name} is not a choice field.")
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
        super().clean()
        data = self.cleaned_data
        for name in ("budget_period", "forecast_period"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, "Money may not be negative.")
        return data

    def validate_unique(self) -> None:
        # (project, as_of) is unique: the view edits the existing update of that date instead.
        self.instance.project = self.project
        super().validate_unique()
