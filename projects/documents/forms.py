"""Forms of the document register, clauses and proposals (input shapes only).

The rules (uploads by content, transitions, who may act) live in the
services; the forms only parse what was typed. Choice lists of related
objects are limited to the project's own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from apm import access
from apm.accounts.models import User
from apm.reporting import ReportKind
from projects.common.forms import DATE, limit_choices
from projects.documents.uploads import ACCEPT, FILE_HELP
from projects.models import (
    ClauseKind,
    Deliverable,
    Document,
    DocumentKind,
    DocumentStatus,
    EvidenceKind,
    Project,
    Visibility,
)
from projects.planning.forms import repeats_cleaned, repeats_fields


def _people(project: Project) -> QuerySet[User]:
    return access.internal_users().order_by("first_name", "username")


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    title = forms.CharField(max_length=300)
    file = forms.FileField(help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL, label="Who may see it")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    signed_on = forms.DateField(required=False, widget=DATE)
    effective_on = forms.DateField(required=False, widget=DATE)
    expires_on = forms.DateField(required=False, widget=DATE)
    note = forms.CharField(max_length=300, required=False, label="Version note")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "owner", _people(project))


class DocumentDetailsForm(forms.Form):
    title = forms.CharField(max_length=300)
    visibility = forms.ChoiceField(choices=Visibility.choices, label="Who may see it")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    signed_on = forms.DateField(required=False, widget=DATE)
    effective_on = forms.DateField(required=False, widget=DATE)
    expires_on = forms.DateField(required=False, widget=DATE)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "owner", _people(project))


class VersionForm(forms.Form):
    file = forms.FileField(help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    note = forms.CharField(max_length=300, required=False, label="What changed")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=DocumentStatus.choices)


class ClauseForm(forms.Form):
    number = forms.CharField(max_length=20, help_text="As in the contract, e.g. 4.2.")
    title = forms.CharField(max_length=300)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Wording")
    kind = forms.ChoiceField(choices=ClauseKind.choices, initial=ClauseKind.OBLIGATION)
    contract = forms.ModelChoiceField(queryset=Document.objects.none(), required=False)


class EvidenceForm(forms.Form):
    evidence = forms.ChoiceField(choices=EvidenceKind.choices, required=False, label="What shows it is met")
    evidence_document_kind = forms.ChoiceField(
        choices=[("", "—"), *DocumentKind.choices], required=False, label="Document kind"
    )
    evidence_deliverable = forms.ModelChoiceField(
        queryset=Deliverable.objects.none(), required=False, label="Deliverable"
    )
    evidence_report_kind = forms.ChoiceField(
        choices=[("", "—"), *ReportKind.choices],
        required=False,
        label="Report kind",
    )
    deadline = forms.DateField(required=False, widget=DATE)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "evidence_deliverable", Deliverable.objects.filter(project=project).order_by("name"))
        self.fields.update(repeats_fields("deadline"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        repeats_cleaned(self)
        return self.cleaned_data


class NewClauseForm(ClauseForm, EvidenceForm):
    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, project=project, **kwargs)
        contracts = Document.objects.filter(
            project=project, kind__in=[DocumentKind.CONTRACT, DocumentKind.SOW, DocumentKind.AMENDMENT]
        )
        limit_choices(self, "contract", contracts)


class PeriodMetForm(forms.Form):
    """A repeating obligation's period marked met: the deadline the user saw (a second click is refused)."""

    due_date = forms.DateField(widget=forms.HiddenInput)


class ProposalForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="Proposed wording")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject"), ("withdraw", "Withdraw")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
