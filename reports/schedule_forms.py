"""The report schedule form used in the browser (create and edit).

Clear messages for what a user can get wrong: an unknown time zone, a weekly
schedule without weekdays, a schedule with no recipients, a scope without
its project or department, a client report not on one project, extra
addresses that are not email addresses or belong to client contacts on an
internal report. Projects and departments offered are those the user may see.
"""

from __future__ import annotations

from typing import Any

from django import forms

from apm.access import visible_departments, visible_projects
from apm.accounts.models import Role, User
from reports.models import Audience, Frequency, ReportKind, ReportSchedule, Scope, validate_time_zone
from reports.selectors import client_addresses
from reports.services import _check_subject, _clean_addresses

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


class ReportScheduleForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Weekdays"
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "name",
            "kind",
            "audience",
            "scope",
            "project",
            "department",
            "project_manager",
            "frequency",
            "weekdays",
            "day_of_month",
            "local_time",
            "time_zone",
            "send_to_reporting_heads",
            "send_to_client_contacts",
            "extra_recipients",
        ]
        widgets = {
            "local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "extra_recipients": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"day_of_month": "Day of the month (monthly)", "local_time": "Local time"}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["project"].queryset = visible_projects(user).order_by("code")
        self.fields["department"].queryset = visible_departments(user).order_by("code")
        scopes = [Scope.PROJECT, Scope.DEPARTMENT]
        if user.is_administrator:
            # Administrators schedule any PM's portfolio and the company report.
            managers = User.objects.filter(role=Role.PROJECT_MANAGER, is_active=True)
            scopes += [Scope.PM_PORTFOLIO, Scope.COMPANY]
        elif user.role == Role.PROJECT_MANAGER:
            managers = User.objects.filter(pk=user.pk)
            scopes.append(Scope.PM_PORTFOLIO)
        else:
            managers = User.objects.none()
        self.fields["project_manager"].queryset = managers.order_by("first_name", "last_name", "username")
        self.fields["project_manager"].label = "Project manager (for a PM's portfolio)"
        self.fields["scope"].choices = [(s.value, s.label) for s in scopes]
        self.fields["kind"].choices = [(k.value, k.label) for k in (ReportKind.HIGHLIGHT, ReportKind.PORTFOLIO)]
        self.fields["time_zone"].validators = []
        for name, field in self.fields.items():
            if name in ("weekdays", "send_to_reporting_heads", "send_to_client_contacts"):
                continue
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def clean_time_zone(self) -> str:
        value = (self.cleaned_data.get("time_zone") or "").strip()
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            raise forms.ValidationError(f"“{value}” is not a time zone; use a name like Europe/London.") from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("frequency") == Frequency.WEEKLY and not data.get("weekdays"):
            self.add_error("weekdays", "Choose at least one weekday for a weekly schedule.")
        scope = data.get("scope")
        # Only the object of the chosen scope is kept; the other pickers are ignored.
        for field, wanted in (("project", Scope.PROJECT), ("department", Scope.DEPARTMENT)):
            if scope != wanted:
                data[field] = None
        if scope != Scope.PM_PORTFOLIO:
            data["project_manager"] = None
        try:
            _check_subject(
                kind=data.get("kind"),
                audience=data.get("audience"),
                scope=scope,
                project=data.get("project"),
                department=data.get("department"),
                project_manager=data.get("project_manager"),
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        try:
            addresses = _clean_addresses((data.get("extra_recipients") or "").splitlines())
        except ValueError as exc:
            self.add_error("extra_recipients", str(exc))
            addresses = []
        if data.get("audience") == Audience.INTERNAL and addresses:
            clients = client_addresses(addresses)
            if clients:
                self.add_error(
                    "extra_recipients", f"Internal reports never go to client contacts: {', '.join(sorted(clients))}."
                )
        data["extra_recipients"] = "\n".join(addresses)
        internal = data.get("audience") == Audience.INTERNAL
        has_group = data.get("send_to_reporting_heads") if internal else data.get("send_to_client_contacts")
        if not has_group and not addresses:
            raise forms.ValidationError(
                "The schedule has no recipients: tick "
                + ("reporting heads" if internal else "opted-in client contacts")
                + " or add extra addresses."
            )
        return data
