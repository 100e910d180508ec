"""Forms of the plan import (validation only; ``services`` reads and writes)."""

from __future__ import annotations

from django import forms


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label="Plan file",
        help_text=(
            "MS Project saved as XML (File, Save As, XML), or a task list as CSV or an Excel workbook (.xlsx) "
            "with the columns Name, Start, Finish, Predecessors and Resource Names."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xml,.csv,.txt,.xlsx"})


class PlanConfirmForm(forms.Form):
    """The stored plan to import, by the token its upload gave."""

    token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{22}$", max_length=22, widget=forms.HiddenInput)
