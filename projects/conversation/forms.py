"""Forms of comments: what a writer types and attaches. The services check the body, the files and who may write."""

from __future__ import annotations

from typing import Any

from django import forms

from projects.documents.uploads import ACCEPT, FILE_HELP


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): a list of uploads, possibly empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class CommentForm(forms.Form):
    """A new comment. The body's length and emptiness are the service's to refuse, in its words."""

    body = forms.CharField(widget=forms.Textarea, required=False, strip=False, label="Comment")
    to_client = forms.BooleanField(required=False, label="Visible to the client")
    attachments = MultipleFileField(required=False, help_text=FILE_HELP, label="Attach files")


class CommentEditForm(forms.Form):
    """A comment's new text."""

    body = forms.CharField(widget=forms.Textarea, required=False, strip=False, label="Comment")
