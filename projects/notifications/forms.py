"""The notification settings form: one choice of channel per kind of notification."""

from __future__ import annotations

from typing import Any

from django import forms

from projects.models import NotificationChannel
from projects.notifications.selectors import PreferenceRow


class PreferencesForm(forms.Form):
    """A radio choice of :class:`NotificationChannel` per kind; ``rows`` give the kinds, current choices and
    defaults (``selectors.preferences_of``)."""

    def __init__(self, *args: Any, rows: list[PreferenceRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[row.kind] = forms.ChoiceField(
                label=row.label,
                choices=NotificationChannel.choices,
                initial=row.channel,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                help_text=f"Unless you choose: {row.default_label}.",
                error_messages={"required": f"Choose how you hear of “{row.label.lower()}”."},
            )

    def channels(self) -> dict[str, str]:
        """The chosen channel per kind (kind value to channel value), for ``services.preferences_save``."""
        return {row.kind: self.cleaned_data[row.kind] for row in self.rows}

    def bound_rows(self) -> list[tuple[PreferenceRow, forms.BoundField]]:
        """Each row with its bound field, in the order of the kinds, for the template."""
        return [(row, self[row.kind]) for row in self.rows]
