"""Forms of the correspondence log and of letters (input shapes only).

The rules (uploads by content, transitions, who may act) live in the
services; the forms only parse what was typed, except that the letter
template form checks placeholders with the letters' own check
(``letters.letter_text_check``), so the admin shows the refusal on the
form. Choice lists of related objects are limited to the project's own.
"""

from __future__ import annotations

from typing import Any

from django import forms

from apm.errors import Refused
from apm.forms import IdMultipleChoiceField
from projects.common.forms import DATE, limit_choices
from projects.correspondence.letters import letter_text_check
from projects.documents.uploads import ACCEPT, FILE_HELP
from projects.models import Channel as Channel
from projects.models import Clause as Clause
from projects.models import CorrespondenceStatus as CorrespondenceStatus
from projects.models import Counterpart, LetterTemplate, Project
from projects.models import Direction as Direction
from projects.models import Document as Document


class CorrespondenceForm(forms.Form):
    direction = forms.ChoiceField(choices=Direction.choices)
    channel = forms.ChoiceField(choices=Channel.choices)
    date = forms.DateField(widget=DATE)
    counterpart_kind = forms.ChoiceField(choices=Counterpart.choices, label="Counterpart")
    counterpart_organisation = forms.CharField(max_length=300, label="Organisation")
    counterpart_person = forms.CharField(max_length=200, required=False, label="Person")
    subject = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    their_reference = forms.CharField(max_length=100, required=False, label="Their reference number")
    our_reference = forms.CharField(max_length=100, required=False)
    reply_due_on = forms.DateField(required=False, widget=DATE, label="Reply due by")
    documents = IdMultipleChoiceField(
        queryset=Document.objects.none(), required=False, label="Permits and filings it concerns"
    )
    clauses = IdMultipleChoiceField(queryset=Clause.objects.none(), required=False, label="Obligations it concerns")
    file = forms.FileField(
        required=False, help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "documents", Document.objects.filter(project=project))
        limit_choices(self, "clauses", Clause.objects.filter(project=project))


class CorrespondenceStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CorrespondenceStatus.choices)


class AttachmentForm(forms.Form):
    file = forms.FileField(help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))


class LetterForm(forms.Form):
    template = forms.ModelChoiceField(queryset=LetterTemplate.objects.filter(is_active=True), required=False)
    counterpart_kind = forms.ChoiceField(choices=Counterpart.choices, initial=Counterpart.AUTHORITY, label="To")
    recipient_organisation = forms.CharField(max_length=300, label="Organisation")
    recipient_person = forms.CharField(max_length=200, required=False, label="Person")
    recipient_address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Address", max_length=500
    )
    their_reference = forms.CharField(max_length=100, required=False, label="Their reference number")
    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text="Paragraphs separated by an empty line. Leave empty to start from the template.",
    )
    reply_due_on = forms.DateField(required=False, widget=DATE, label="Reply due by")
    documents = IdMultipleChoiceField(
        queryset=Document.objects.none(), required=False, label="Permits and filings it concerns"
    )
    clauses = IdMultipleChoiceField(queryset=Clause.objects.none(), required=False, label="Obligations it concerns")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "documents", Document.objects.filter(project=project))
        limit_choices(self, "clauses", Clause.objects.filter(project=project))


class LetterTemplateForm(forms.ModelForm):
    """A letter template as the admin edits it; a placeholder not in ``letters.PLACEHOLDERS`` is an error."""

    class Meta:
        model = LetterTemplate
        fields = ["name", "subject", "body", "is_active"]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        try:
            letter_text_check(subject=self.cleaned_data.get("subject", ""), body=self.cleaned_data.get("body", ""))
        except Refused as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        return data
