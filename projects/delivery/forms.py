"""Forms of the deliverable pages (validation only; services write)."""

from __future__ import annotations

from typing import Any

from django import forms

from apm.accounts.models import User
from apm.forms import IdMultipleChoiceField
from projects.common.forms import DATE, limit_choices, work_owners
from projects.models import Deliverable, DeliverableStatus, Document, Milestone, Project


class _DocumentChoiceField(forms.ModelChoiceField):
    """Documents named with whether the client sees them: "Designs v2 (shared with the client)"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.get_visibility_display().lower()})"


class DeliverableForm(forms.Form):
    name = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), required=False, help_text="Earned at this milestone (its EV weight)."
    )
    start_date = forms.DateField(widget=DATE, required=False)
    due_date = forms.DateField(widget=DATE)
    percent_complete = forms.IntegerField(min_value=0, max_value=100, initial=0)
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="One criterion per line."
    )
    depends_on = IdMultipleChoiceField(
        queryset=Deliverable.objects.none(), required=False, help_text="Finished before this one can be."
    )
    review_document = _DocumentChoiceField(
        queryset=Document.objects.none(),
        required=False,
        label="Document to review",
        help_text="What the client reviews before signing off. They see it only if it is shared with the client.",
    )
    review_link = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Link to review",
        help_text="Or where the client sees it: a staging site, a shared folder (http or https).",
    )

    def __init__(self, *args: Any, project: Project, instance: Deliverable | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "description": instance.description,
                "owner": instance.owner_id,
                "milestone": instance.milestone_id,
                "start_date": instance.start_date,
                "due_date": instance.due_date,
                "percent_complete": instance.percent_complete,
                "acceptance_criteria": "\n".join(instance.acceptance_criteria or []),
                "depends_on": list(instance.depends_on.values_list("pk", flat=True)),
                "review_document": instance.review_document_id,
                "review_link": instance.review_link,
            }
        super().__init__(*args, **kwargs)
        limit_choices(self, "owner", work_owners(project))
        limit_choices(self, "milestone", Milestone.objects.filter(project=project))
        limit_choices(
            self,
            "review_document",
            Document.objects.filter(project=project).exclude(status="superseded").order_by("title"),
        )
        others = Deliverable.objects.filter(project=project)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        limit_choices(self, "depends_on", others)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", "The start is after the due date.")
        return data


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=DeliverableStatus.choices)
    override_reason = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(required=False, max_length=500)


class BaselineForm(forms.Form):
    reason = forms.CharField(max_length=300)
