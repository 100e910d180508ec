"""Forms of project templates: a template's name and description, and the project form of a new project
from a template (its start date required: the template's dates count from it)."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Submit
from django import forms

from projects.portfolio.forms import ProjectForm


class TemplateForm(forms.Form):
    """A template's name (unique, case-insensitively: the service says so) and description."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the template is for: the kind of project, the client, the method.",
    )


class ProjectFromTemplateForm(ProjectForm):
    """The project form, with the start date required and a button naming what it does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start = self.fields["start_date"]
        start.required = True
        start.help_text = "Day 0 of the template: every date of its items counts from it."
        self.helper.layout.fields[-1] = Submit("save", "Create the project from the template")
