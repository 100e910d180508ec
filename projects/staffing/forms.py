"""Forms of the staffing pages: an open role and the skills it needs, booking someone for (part of) a role,
a booking's change (validation only; services write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms import inlineformset_factory

from projects.common.forms import DATE
from projects.models import AllocationStatus, OpenRole, OpenRoleSkill


class OpenRoleForm(forms.ModelForm):
    class Meta:
        model = OpenRole
        fields = ["title", "job_role", "hours_per_week", "start_date", "end_date", "note"]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "The end date is before the start date.")
        return data


RequirementFormSet = inlineformset_factory(
    OpenRole, OpenRoleSkill, fields=["skill", "min_level"], extra=5, max_num=30, can_delete=True
)


#: What a booking is made or changed to; cancelling is its own button.
BOOKING_STATUSES = [(s.value, s.label) for s in (AllocationStatus.CONFIRMED, AllocationStatus.TENTATIVE)]


class AllocationForm(forms.Form):
    """A booking's hours per week (a quarter of an hour to 168), dates (inclusive) and status."""

    hours_per_week = forms.DecimalField(
        label="Hours per week", min_value=Decimal("0.25"), max_value=Decimal("168"), max_digits=5, decimal_places=2
    )
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    status = forms.ChoiceField(choices=BOOKING_STATUSES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "The end date is before the start date.")
        return data


class RoleBookingForm(forms.Form):
    """Booking a suggested person for an open role: all of what is still open by default, or part of its
    hours per week (``hours_per_week``) or of its period (``start_date``…``end_date``); blank means the
    default the view gives (the role's open hours, its dates)."""

    member = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=BOOKING_STATUSES, required=False)
    hours_per_week = forms.DecimalField(
        label="Hours per week",
        required=False,
        min_value=Decimal("0.25"),
        max_value=Decimal("168"),
        max_digits=5,
        decimal_places=2,
    )
    start_date = forms.DateField(required=False, widget=DATE)
    end_date = forms.DateField(required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "The end date is before the start date.")
        return data
