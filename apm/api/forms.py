"""The form that makes a personal access token on the tokens page (``/api/tokens/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings

from apm import access
from apm.forms import IdMultipleChoiceField

if TYPE_CHECKING:
    from apm.accounts.models import User

READ, WRITE = "read", "write"


class TokenForm(forms.Form):
    """A token's name, scope (client contacts: read only), life in days and, optionally, the projects it is
    limited to (among those the person sees)."""

    name = forms.CharField(max_length=100, help_text='What the token is for ("CRM sync", "BI nightly").')
    scope = forms.ChoiceField(
        choices=[(READ, "Read"), (WRITE, "Read and write")],
        initial=READ,
        widget=forms.RadioSelect,
        help_text="A read token can only read; only a read-and-write token can create and change things.",
    )
    # The service refuses a life outside 1 to APM_API_TOKEN_MAX_DAYS in its own words; the browser knows the range.
    days = forms.IntegerField(label="Life in days")
    projects = IdMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Leave empty for every project you can see, or choose some (Ctrl or ⌘ and click for several) to "
        "limit the token to them.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        days.initial = settings.APM_API_TOKEN_DEFAULT_DAYS
        days.widget.attrs.update(min=1, max=settings.APM_API_TOKEN_MAX_DAYS)
        days.help_text = f"From 1 to {settings.APM_API_TOKEN_MAX_DAYS} days."
        if not access.see_workspace.allows(user):
            # A client contact's token reads the client view only.
            scope = self.fields["scope"]
            scope.choices = [(READ, "Read")]  # type: ignore[attr-defined]
            scope.help_text = "Your tokens can read what you see in the portal."
        projects = self.fields["projects"]
        projects.queryset = access.see_project.queryset(user).order_by("code")  # type: ignore[attr-defined]
        projects.label_from_instance = lambda project: f"{project.code} {project.name}"  # type: ignore[attr-defined]

    @property
    def can_write(self) -> bool:
        return self.cleaned_data["scope"] == WRITE
