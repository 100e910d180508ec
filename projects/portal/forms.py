"""Portal forms: a client's decision, a PM's new share link and new client contact."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings


class DecisionForm(forms.Form):
    """A client's answer: ``decision`` is "accept"/"reject" (sign-off) or "approve"/"reject" (change request).

    ``confirm`` is set by the confirmation step: an accepting sign-off is
    final and stamped, so it is recorded only when confirmed.
    """

    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "reject" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Please say why, so the team can put it right.")
        return cleaned

    @property
    def positive(self) -> bool:
        return self.cleaned_data["decision"] in ("accept", "approve")

    @property
    def confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirm"))


class ShareLinkForm(forms.Form):
    label = forms.CharField(required=False, max_length=120, help_text="Who the link is for (only you see this).")
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        initial=14,
        help_text="The link stops working after this many days; you can revoke it sooner.",
    )

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days > settings.APM_SHARE_LINK_MAX_DAYS:
            raise forms.ValidationError(f"At most {settings.APM_SHARE_LINK_MAX_DAYS} days.")
        return days


class ContactForm(forms.Form):
    """A new contact of the project's client; ``invite`` sends the portal invitation at once."""

    prefix = "contact"

    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    invite = forms.BooleanField(
        label="Invite them to the portal now", required=False, help_text="Emails a one-time link to set a password."
    )
