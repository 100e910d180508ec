"""Forms of the quality pages: the project's standards and a non-conformance's actions (validation only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from apm.accounts.models import User
from apm.forms import IdMultipleChoiceField
from projects.common.forms import DATE, limit_choices, work_owners
from projects.models import Project, QualityStandard


class StandardsForm(forms.Form):
    standards = IdMultipleChoiceField(
        queryset=QualityStandard.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = Q(client__isnull=True)
        if project.client_id:
            rule |= Q(client_id=project.client_id)
        standards = QualityStandard.objects.filter(rule, is_active=True).select_related("client")
        limit_choices(self, "standards", standards.order_by("client_id", "name"))


class NonConformanceForm(forms.Form):
    action = forms.ChoiceField(choices=[("plan", "plan"), ("done", "done"), ("verify", "verify"), ("reopen", "reopen")])
    corrective_action = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due = forms.DateField(required=False, widget=DATE)
    note = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "owner", work_owners(project))
