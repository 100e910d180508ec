"""The project create/edit form (crispy-forms, Bootstrap 5)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from apm import access
from apm.forms import IdMultipleChoiceField
from projects.common.forms import DATE, limit_choices
from projects.models import Project
from teams.models import Department

if TYPE_CHECKING:
    from apm.accounts.models import User


class ProjectForm(forms.ModelForm):
    """Create or edit a project.

    Validation, each with a message naming the field: the code must be new
    (case-insensitively), the end date may not be before the start date, BAC
    (budget at completion, in the chosen currency) may not be negative. The
    client can be changed only by those with ``access.change_client`` on the
    project as stored (others see it, disabled); anyone may choose it for a
    new project. Whether the person saving could still see the project
    afterwards is checked when saving (``projects.portfolio.services.project_save``).
    """

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "client",
            "departments",
            "project_manager",
            "reporting_heads",
            "category",
            "status",
            "rag",
            "start_date",
            "end_date",
            "bac",
            "currency",
            "reference",
            "description",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "departments": forms.SelectMultiple(attrs={"size": 6}),
            "reporting_heads": forms.SelectMultiple(attrs={"size": 6}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        # Ids outside 1..2**63-1 are a form error, not an OverflowError from SQLite (apm.forms).
        field_classes = {"departments": IdMultipleChoiceField, "reporting_heads": IdMultipleChoiceField}
        labels = {"bac": "Budget at completion (BAC)", "rag": "RAG", "project_manager": "Project manager"}
        help_texts = {
            "code": "Unique, e.g. DFT-0042.",
            "departments": "Hold Ctrl (⌘ on a Mac) to choose several.",
            "reporting_heads": "Everyone who receives this project's reports. Hold Ctrl (⌘) to choose several.",
            "bac": "In the chosen currency, major units (e.g. pounds). Not shown to client contacts.",
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        order = ("first_name", "last_name", "username")
        limit_choices(self, "project_manager", access.project_manager_candidates().order_by(*order))
        limit_choices(self, "reporting_heads", access.reporting_head_candidates().order_by(*order))
        limit_choices(self, "departments", Department.objects.order_by("code"))
        if self.instance.pk is not None and not access.change_client.allows(user, self.instance):
            client = self.fields["client"]
            client.disabled = True
            client.help_text = "Only an administrator or a head of the project's departments may change the client."
        self.fields["bac"].widget.attrs.setdefault("min", "0")
        self.fields["bac"].widget.attrs.setdefault("step", "0.01")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("code", css_class="col-md-3"), Column("name", css_class="col-md-9")),
            Row(
                Column("client", css_class="col-md-4"),
                Column("category", css_class="col-md-4"),
                Column("reference", css_class="col-md-4"),
            ),
            Row(
                Column("departments", css_class="col-md-4"),
                Column("project_manager", css_class="col-md-4"),
                Column("reporting_heads", css_class="col-md-4"),
            ),
            Row(
                Column("status", css_class="col-md-3"),
                Column("rag", css_class="col-md-3"),
                Column("start_date", css_class="col-md-3"),
                Column("end_date", css_class="col-md-3"),
            ),
            Row(Column("bac", css_class="col-md-4"), Column("currency", css_class="col-md-2")),
            "description",
            Submit("save", "Save project"),
        )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        clash = Project.objects.filter(code__iexact=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"A project with code {code} already exists; choose another code.")
        return code

    def clean_bac(self) -> Decimal | None:
        bac = self.cleaned_data.get("bac")
        if bac is not None and bac < 0:
            raise forms.ValidationError("BAC cannot be negative.")
        return bac

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"The end date ({end:%d %b %Y}) is before the start date ({start:%d %b %Y}).")
        return cleaned
