"""The form of a chat channel (validation only; ``projects.chat.services`` writes)."""

from __future__ import annotations

from typing import Any

from django import forms

from apm.outbound.guard import GuardRefused, url_check
from projects.models import ChatEvent, ChatService

#: What a new channel hears of unless the PM says otherwise: all but the client's comments.
DEFAULT_EVENTS = [event for event in ChatEvent.values if event != ChatEvent.CLIENT_COMMENT]


class ChatHookForm(forms.Form):
    """A channel; ``editing`` when it changes an existing one, whose URL is then never shown and may stay empty
    (the current one is kept)."""

    service = forms.ChoiceField(choices=ChatService.choices, widget=forms.RadioSelect, initial=ChatService.SLACK)
    name = forms.CharField(max_length=100, label="Channel", help_text="As the team calls it, e.g. #launch-team.")
    url = forms.CharField(
        max_length=500,
        label="Webhook URL",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Slack: an incoming webhook (Apps, Incoming WebHooks). Teams: the URL of the Workflows template "
        "“Send webhook alerts to a channel”. It must start with https://; it is a secret, so APM shows only its host.",
    )
    events = forms.MultipleChoiceField(
        choices=ChatEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_EVENTS,
        label="Announce",
        required=False,
    )
    active = forms.BooleanField(required=False, initial=True, label="Active (untick to pause the channel)")

    def __init__(self, *args: Any, editing: bool = False, host: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["url"].required = False
            self.fields[
                "url"
            ].help_text = (
                f"Now a webhook on {host}. Leave empty to keep it; paste a new one to replace it (https only)."
            )

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        if not url:
            return ""
        try:
            url_check(url)
        except GuardRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return url
