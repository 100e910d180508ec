"""Forms of the RAID log pages (validation only; services write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from apm.accounts.models import User
from projects.common.forms import DATE, limit_choices, work_owners
from projects.models import CostCategory, Project, RaidKind, RaidStatus, Severity


class RaidItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_date = forms.DateField(widget=DATE, required=False, label="Review or need-by date")
    probability = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int, required=False)
    impact = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int, required=False)
    mitigation = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    contingency_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    trigger = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    severity = forms.ChoiceField(choices=[("", "—"), *Severity.choices], required=False)
    affects_client = forms.BooleanField(required=False)
    client_message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="What the client is told, in client words."
    )

    KIND_FIELDS: dict[str, tuple[str, ...]] = {
        RaidKind.RISK: ("probability", "impact", "mitigation", "contingency_plan", "trigger"),
        RaidKind.ISSUE: ("severity", "affects_client", "client_message"),
        RaidKind.ASSUMPTION: (),
        RaidKind.DEPENDENCY: (),
    }

    def __init__(self, *args: Any, project: Project, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        limit_choices(self, "owner", work_owners(project))
        keep = {"title", "description", "owner", "due_date", *self.KIND_FIELDS.get(kind, ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind == RaidKind.RISK:
            self.fields["probability"].required = True
            self.fields["impact"].required = True
        if kind == RaidKind.ISSUE:
            self.fields["severity"].required = True

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("probability", "impact"):
            if name in data and data[name] in ("", None):
                data[name] = None
        return data


class RaidActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("move", "move"),
            ("acknowledge", "acknowledge"),
            ("tell_client", "tell_client"),
            ("contingency", "contingency"),
            ("staff", "staff"),
        ]
    )
    to = forms.ChoiceField(choices=RaidStatus.choices, required=False)
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(required=False, max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    category = forms.ChoiceField(choices=CostCategory.choices, required=False)
    hours_per_week = forms.DecimalField(required=False, max_digits=5, decimal_places=1, min_value=Decimal("1"))
