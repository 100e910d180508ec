"""Forms of the change request pages (validation only; services write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from apm.forms import IdMultipleChoiceField
from projects.common.forms import limit_choices
from projects.models import Approvers, ChangeFunding, CostCategory, Deliverable, Project, RaisedBy


class ChangeRequestForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    raised_by = forms.ChoiceField(choices=RaisedBy.choices)
    cost_impact = forms.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0"), initial=Decimal("0"), label="Cost impact (internal)"
    )
    cost_category = forms.ChoiceField(choices=CostCategory.choices)
    schedule_impact_days = forms.IntegerField(
        initial=0, min_value=-3650, max_value=3650, label="Schedule impact (days)"
    )
    affected_deliverables = IdMultipleChoiceField(queryset=Deliverable.objects.none(), required=False)
    scope_impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    quality_impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    client_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Summary for the client",
        help_text="What the client reads. The cost is shown to the client only if you write it here.",
    )
    approvers = forms.ChoiceField(choices=Approvers.choices, label="Who must approve")

    def __init__(self, *args: Any, project: Project, see_money: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "affected_deliverables", Deliverable.objects.filter(project=project))
        if not see_money:
            # Someone who may not see the project's money does not price its changes: the PM does.
            del self.fields["cost_impact"]
            del self.fields["cost_category"]


class ChangeActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("submit", "submit"),
            ("withdraw", "withdraw"),
            ("approve", "approve"),
            ("reject", "reject"),
            ("implement", "implement"),
        ]
    )
    comment = forms.CharField(required=False, max_length=2000)
    # How an approved cost impact is funded (the head side's choice); empty means new money.
    funding = forms.ChoiceField(choices=ChangeFunding.choices, required=False)
