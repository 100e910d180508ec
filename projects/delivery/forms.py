"""Forms of the deliverables, quality, change request and RAID pages (validation only; services write)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q

from apm import access
from apm.accounts.models import User
from apm.forms import IdMultipleChoiceField
from projects.models import (
    Approvers,
    CostCategory,
    Deliverable,
    DeliverableStatus,
    Milestone,
    QualityStandard,
    RaidKind,
    RaidStatus,
    RaisedBy,
    Severity,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people(project):
    """People who may own work on ``project``: its PM, team members with a login, its heads."""
    return (
        access.internal_users()
        .filter(
            pk__in=[
                *project.team_members.exclude(user=None).values_list("user_id", flat=True),
                *([project.project_manager_id] if project.project_manager_id else []),
            ]
        )
        .order_by("first_name", "username")
    )


class DeliverableForm(forms.Form):
    name = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), required=False, help_text="Earned at this milestone (its EV weight)."
    )
    start_date = forms.DateField(widget=DATE, required=False)
    due_date = forms.DateField(widget=DATE)
    percent_complete = forms.IntegerField(min_value=0, max_value=100, initial=0)
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="One criterion per line."
    )
    depends_on = IdMultipleChoiceField(
        queryset=Deliverable.objects.none(), required=False, help_text="Finished before this one can be."
    )

    def __init__(self, *args, project, instance: Deliverable | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "description": instance.description,
                "owner": instance.owner_id,
                "milestone": instance.milestone_id,
                "start_date": instance.start_date,
                "due_date": instance.due_date,
                "percent_complete": instance.percent_complete,
                "acceptance_criteria": "\n".join(instance.acceptance_criteria or []),
                "depends_on": list(instance.depends_on.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(project)
        self.fields["milestone"].queryset = Milestone.objects.filter(project=project)
        others = Deliverable.objects.filter(project=project)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        self.fields["depends_on"].queryset = others

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", "The start is after the due date.")
        return data


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=DeliverableStatus.choices)
    override_reason = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(required=False, max_length=500)


class StandardsForm(forms.Form):
    standards = IdMultipleChoiceField(
        queryset=QualityStandard.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        rule = Q(client__isnull=True)
        if project.client_id:
            rule |= Q(client_id=project.client_id)
        self.fields["standards"].queryset = (
            QualityStandard.objects.filter(rule, is_active=True).select_related("client").order_by("client_id", "name")
        )


class NonConformanceForm(forms.Form):
    action = forms.ChoiceField(choices=[("plan", "plan"), ("done", "done"), ("verify", "verify"), ("reopen", "reopen")])
    corrective_action = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due = forms.DateField(required=False, widget=DATE)
    note = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(project)


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

    def __init__(self, *args, project, see_money: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_deliverables"].queryset = Deliverable.objects.filter(project=project)
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

    KIND_FIELDS = {
        RaidKind.RISK: ("probability", "impact", "mitigation", "contingency_plan", "trigger"),
        RaidKind.ISSUE: ("severity", "affects_client", "client_message"),
        RaidKind.ASSUMPTION: (),
        RaidKind.DEPENDENCY: (),
    }

    def __init__(self, *args, project, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["owner"].queryset = _people(project)
        keep = {"title", "description", "owner", "due_date", *self.KIND_FIELDS.get(kind, ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind == RaidKind.RISK:
            self.fields["probability"].required = True
            self.fields["impact"].required = True
        if kind == RaidKind.ISSUE:
            self.fields["severity"].required = True

    def service_fields(self) -> dict:
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


class BaselineForm(forms.Form):
    reason = forms.CharField(max_length=300)
