"""Forms of the reports app: a report schedule, "Send now" on a project or department page, the archive search.

The kinds they offer come from the registry (``reports.kinds``), and a
kind's declared scopes and audiences are checked by the services they call
(``reports.services.check_subject``). Clear messages for what a user can get
wrong: an unknown time zone, a weekly schedule without weekdays, a schedule
with no recipients, a scope without its project or department, a scope or
audience the kind does not cover, a client report not on one project, extra
addresses that are not email addresses, or that may not receive an internal
report (client contacts, people who may not see the money, outside domains).
Only what the user may send is offered (``apm.access``): the projects they
may send reports about, the departments they head, the internal audience
only when they may send it about something.

The schedule form works without a script: every field shows, the project is
typed by its code (``ProjectCodeField``; ``static/js/schedule-form.js``
hides the fields the choices leave unused and fills the project list from
``reports:schedule_projects`` as one types), and the time zone is picked
from every IANA zone, grouped by region.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.urls import reverse

from apm import access
from apm.errors import Refused
from projects.budget.selectors import open_exception
from projects.common.forms import DATE
from projects.models import Project
from reports.kinds import KINDS, kind_choices, requestable_kinds
from reports.models import Audience, Frequency, ReportSchedule, Scope, validate_time_zone
from reports.selectors import ProjectOption, schedule_project_options
from reports.services import Subject, check_recipients, check_sender, check_subject, clean_addresses

if TYPE_CHECKING:
    from apm.access.base import AnyUser
    from apm.accounts.models import User
    from teams.models import Department

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]

#: The field that names the object of each scope that has one.
SCOPE_PICKERS = {"project": Scope.PROJECT, "department": Scope.DEPARTMENT, "project_manager": Scope.PM_PORTFOLIO}


@functools.cache
def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every IANA zone ``zoneinfo`` knows, as optgroup choices by region ("Europe", "America", ...; the zones
    without a region, such as UTC, under "Other"), each region and its zones in alphabetical order."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region = name.split("/", 1)[0] if "/" in name else "Other"
        regions.setdefault(region, []).append((name, name))
    return sorted(regions.items())


class ProjectCodeField(forms.ModelChoiceField):
    """A project of the field's queryset, typed by its code (any case) or picked from the search list, whose
    options read "CODE" with the name beside it; the id of one of them is accepted too. Shown as its code."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        text = str(value).split(" — ", 1)[0].strip().replace("\x00", "")
        if self.queryset is None:
            raise TypeError("A ProjectCodeField needs its queryset before it cleans a value.")
        try:
            return self.queryset.get(code__iexact=text)
        except (ObjectDoesNotExist, MultipleObjectsReturned):
            pass
        if text.isascii() and text.isdigit() and len(text) < 10:
            try:
                return self.queryset.get(pk=int(text))
            except ObjectDoesNotExist:
                pass
        raise forms.ValidationError(
            "No project “%(code)s” that you may send reports about: type its code or pick it from the list.",
            code="invalid_choice",
            params={"code": text[:60]},
        )

    def prepare_value(self, value: Any) -> Any:
        # An instance's initial value is the project's id: show its code instead.
        if isinstance(value, int) and not isinstance(value, bool) and self.queryset is not None:
            project = self.queryset.filter(pk=value).only("code").first()
            return project.code if project is not None else ""
        if hasattr(value, "code"):
            return value.code
        return value


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field ``name``, which offers choices (a model field with choices, or a ModelChoiceField).

    To the type checker ``form.fields`` holds plain ``Field`` objects; TypeError for a field of another kind.
    """
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"The field {name!r} of {type(form).__name__} is a {type(field).__name__}, not a choice.")
    return field


def _model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's field ``name``, a choice of model objects (a foreign key's); TypeError for another kind."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"The field {name!r} of {type(form).__name__} is a {type(field).__name__}, not a choice.")
    return field


class ReportScheduleForm(forms.ModelForm):
    """A schedule of one of the kinds a user may schedule, checked against the kind's scopes and audiences."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Weekdays"
    )
    project = ProjectCodeField(
        queryset=Project.objects.none(),
        to_field_name="code",
        required=False,
        label="Project (for one project)",
        help_text="Type the project's code or part of its name and pick it from the list.",
    )
    # A select of the zones (a saved zone this machine does not know stays offered); clean_time_zone checks the
    # value. No max_length: a CharField's would put a maxlength attribute on the select, which HTML forbids.
    time_zone = forms.CharField(label="Time zone", widget=forms.Select(choices=()))

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
            "full_commentary",
        ]
        widgets = {
            "local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "extra_recipients": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"day_of_month": "Day of the month (monthly)", "local_time": "Local time"}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        projects = access.send_client.queryset(user)
        departments = access.see_department.queryset(user)
        _model_choice_field(self, "project").queryset = projects.order_by("code")
        self.fields["project"].widget.attrs.update(
            {
                "list": "schedule-projects",
                "autocomplete": "off",
                "data-project-search": reverse("reports:schedule_projects"),
                "placeholder": "e.g. a project code",
            }
        )
        _model_choice_field(self, "department").queryset = departments.order_by("code")
        scopes = [Scope.PROJECT, Scope.DEPARTMENT]
        if access.administer.allows(user):
            # Administrators schedule any PM's portfolio and the company report.
            managers = access.project_manager_candidates()
            scopes += [Scope.PM_PORTFOLIO, Scope.COMPANY]
        else:
            managers = access.project_manager_candidates().filter(pk=user.pk)
            scopes.append(Scope.PM_PORTFOLIO)
        _model_choice_field(self, "project_manager").queryset = managers.order_by("first_name", "last_name", "username")
        may_internal = (
            access.administer.allows(user)
            or access.send_internal.queryset(user).exists()
            or departments.exists()
            or access.run_project.queryset(user).exists()
        )
        if not may_internal:
            # Offer only what the user may use: the client audience of the projects they run.
            _choice_field(self, "audience").choices = [(Audience.CLIENT.value, Audience.CLIENT.label)]
            self.fields["audience"].initial = Audience.CLIENT
        self.fields["project_manager"].label = "Project manager (for a PM's portfolio)"
        _choice_field(self, "scope").choices = [(s.value, s.label) for s in scopes]
        _choice_field(self, "kind").choices = kind_choices(requestable_kinds())
        zones = time_zone_choices()
        saved = self.instance.time_zone if self.instance.pk else ""
        if saved and saved not in zoneinfo.available_timezones():
            # A saved zone this machine's list lacks stays what it was until someone picks another.
            zones = [("Saved", [(saved, saved)]), *zones]
        self.fields["time_zone"].widget.choices = zones
        if not self.instance.pk:
            self.fields["time_zone"].initial = settings.TIME_ZONE
        for name, field in self.fields.items():
            if name in ("weekdays", "send_to_reporting_heads", "send_to_client_contacts", "full_commentary"):
                continue
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def project_options(self) -> list[ProjectOption]:
        """The first projects of the project list (the page's script replaces them with those matching what is
        typed)."""
        return schedule_project_options(user=self.user)

    def _ignore(self, field: str) -> None:
        """Forget ``field``'s errors: the schedule's choices do not use it."""
        self.errors.pop(field, None)

    def clean_time_zone(self) -> str:
        value = (self.cleaned_data.get("time_zone") or "").strip()
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            raise forms.ValidationError(f"“{value[:64]}” is not a time zone; use a name like Europe/London.") from None
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # The fields the chosen frequency and scope leave unused (the page's script hides them) are ignored,
        # with whatever is wrong in them; only the ones in use must be filled in.
        if data.get("frequency") == Frequency.MONTHLY:
            self._ignore("weekdays")
            data["weekdays"] = []
        elif data.get("frequency") == Frequency.WEEKLY:
            self._ignore("day_of_month")
            if not data.get("weekdays") and "weekdays" not in self.errors:
                self.add_error("weekdays", "Choose at least one weekday for a weekly schedule.")
        kind, audience, scope = data.get("kind"), data.get("audience"), data.get("scope")
        if not (kind in KINDS and KINDS[kind].full_commentary):
            # Only a kind that shows commentary for the projects needing attention offers it all (the script hides it).
            data["full_commentary"] = False
        if scope:
            for field, wanted in SCOPE_PICKERS.items():
                if scope != wanted:
                    self._ignore(field)
                    data[field] = None
                elif data.get(field) is None and field not in self.errors:
                    self.add_error(field, f"Choose the {field.replace('_', ' ')} this schedule reports on.")
        if not (kind and audience and scope) or any(field in self.errors for field in SCOPE_PICKERS):
            # Their own fields say what is wrong; the checks below need all three and the scope's object.
            return data
        subject = Subject(
            scope=scope,
            project=data.get("project"),
            department=data.get("department"),
            project_manager=data.get("project_manager"),
        )
        try:
            check_subject(kind=kind, audience=audience, subject=subject)
            check_sender(user=self.user, audience=audience, subject=subject)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        try:
            addresses = clean_addresses((data.get("extra_recipients") or "").splitlines())
            check_recipients(addresses=addresses, audience=audience, subject=subject)
        except Refused as exc:
            self.add_error("extra_recipients", exc.message)
            addresses = []
        data["extra_recipients"] = "\n".join(addresses)
        internal = audience == Audience.INTERNAL
        has_group = data.get("send_to_reporting_heads") if internal else data.get("send_to_client_contacts")
        if not has_group and not addresses:
            raise forms.ValidationError(
                "The schedule has no recipients: tick "
                + ("reporting heads" if internal else "opted-in client contacts")
                + " or add extra addresses."
            )
        return data


def send_now_kinds(*, scope: str, project: Project | None = None) -> list[tuple[str, str]]:
    """The report kinds "Send now" offers on the page of ``scope`` as (value, label) choices.

    A kind about a tolerance exception (the exception report) only on the page of a ``project`` with an open
    one (``reports.services.report_request`` sends it about the newest).
    """
    exception = project is not None and open_exception(project=project) is not None
    return kind_choices(
        [
            spec
            for spec in KINDS.values()
            if (spec.send_now or (spec.about_exception and exception)) and scope in spec.scopes
        ]
    )


def send_now_audiences(
    *, scope: str, user: AnyUser, project: Project | None = None, department: Department | None = None
) -> list[tuple[str, str]]:
    """The audiences of the kinds "Send now" offers for ``scope`` that ``user`` may send, as (value, label) choices."""
    offered = {
        audience for spec in KINDS.values() if spec.send_now and scope in spec.scopes for audience in spec.audiences
    }
    return [
        (a.value, a.label)
        for a in Audience
        if a in offered and access.may_send(user, audience=a.value, scope=scope, project=project, department=department)
    ]


class SendNowForm(forms.Form):
    """Kind and audience for an on-demand report, limited to what is valid for the scope and user.

    The kinds are those of the registry offered on the page of the scope
    (``send_now``): a project's highlight and quality reports, in the
    audiences the user may send (the internal one only with the project's
    money), and its exception report (internal only) while it has an open
    tolerance exception; a department's portfolio and quality reports,
    internal only.
    """

    kind = forms.ChoiceField(label="Report")
    audience = forms.ChoiceField(label="Audience")

    def __init__(
        self,
        *args: Any,
        scope: str,
        user: AnyUser,
        project: Project | None = None,
        department: Department | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "kind").choices = send_now_kinds(scope=scope, project=project)
        _choice_field(self, "audience").choices = send_now_audiences(
            scope=scope, user=user, project=project, department=department
        )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    @property
    def can_send(self) -> bool:
        """Whether the user may send anything here: the form offers at least one audience."""
        return bool(_choice_field(self, "audience").choices)


class ArchiveSearchForm(forms.Form):
    """Search the report archive: project code or name, department code, kind, period end between two dates."""

    project = forms.CharField(required=False, max_length=100, label="Project code or name")
    department = forms.CharField(required=False, max_length=20, label="Department code")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *kind_choices()])
    date_from = forms.DateField(required=False, label="Period ending from", widget=DATE)
    date_to = forms.DateField(required=False, label="to", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if field.widget.input_type == "select" else "form-control form-control-sm"
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The first date is after the second.")
        return data
