"""Forms of the rate card page. Plain Django forms: the services hold the business rules (overlaps, a project's
currency, changes from a date).

Both forms sit on one page, each with its own ``prefix`` (``rate-``, ``change-``).
The add form's roles and clients come from the lists the page has already
read (``projects.billing.selectors``), so showing them costs no query.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms

from apm.converters import code_validator
from apm.dates import EARLIEST, LATEST
from apm.formatting import format_date
from apm.forms import IdChoiceField
from projects.common.forms import DATE
from projects.models import CURRENCY_CHOICES, BillRate, Project

if TYPE_CHECKING:
    from projects.models import Client
    from teams.models import JobRole

#: The largest rate per hour the model holds (ten digits, two of them decimals).
MAX_RATE = Decimal("99999999.99")

SCOPES = [
    ("card", "Every client (the role's rate card)"),
    ("client", "One client (an override)"),
    ("project", "One project (an override)"),
]


def _rate_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Rate per hour",
        min_value=Decimal("0.01"),
        max_value=MAX_RATE,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "min_value": "A rate is more than zero.",
            "max_value": "Enter a rate of at most 99,999,999.99 an hour.",
            "max_digits": "Enter a rate of at most 99,999,999.99 an hour.",
            "max_whole_digits": "Enter a rate of at most 99,999,999.99 an hour.",
            "max_decimal_places": "Enter the rate to the penny at most, like 95.50.",
        },
    )


def _date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE,
        error_messages={"invalid": "Enter a real date, like 2027-01-31."},
    )


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not (EARLIEST <= value <= LATEST):
        raise forms.ValidationError(f"Enter a date from {format_date(EARLIEST)} to {format_date(LATEST)}.")
    return value


class BillRateForm(forms.Form):
    """A new rate: a role, what it applies to (the card, a client, a project by its code), the rate per hour,
    its currency and its validity."""

    prefix = "rate"

    job_role = forms.TypedChoiceField(label="Role", coerce=int, choices=())
    scope = forms.ChoiceField(label="Applies to", choices=SCOPES, initial="card")
    client = forms.TypedChoiceField(label="Client", coerce=int, choices=(), required=False, empty_value=None)
    project = forms.CharField(
        label="Project code", max_length=40, required=False, help_text="For a project's override, e.g. ALPHA-1."
    )
    rate = _rate_field()
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES, initial="GBP")
    valid_from = _date_field("Valid from")
    valid_to = _date_field("Valid to", required=False)

    def __init__(self, *args: Any, roles: list[JobRole], clients: list[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = {role.pk: role for role in roles}
        self.clients = {client.pk: client for client in clients}
        held = [
            (role.pk, f"{role.title} ({getattr(role, 'people', 0)})") for role in roles if getattr(role, "people", 0)
        ]
        others = [(role.pk, role.title) for role in roles if not getattr(role, "people", 0)]
        groups: list[Any] = [("", "Choose a role…")]
        if held:
            groups.append(("Roles people hold (how many)", held))
        if others:
            groups.append(("Other roles" if held else "Roles", others))
        self.fields["job_role"].choices = groups  # type: ignore[attr-defined]
        self.fields["client"].choices = [("", "—"), *((c.pk, c.name) for c in clients)]  # type: ignore[attr-defined]
        self.fields["project"].validators.append(code_validator)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_valid_from(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("valid_from"))

    def clean_valid_to(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("valid_to"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == "client" and data.get("client") is None:
            self.add_error("client", "Choose the client this rate is for.")
        if scope == "project":
            code = data.get("project") or ""
            if not code:
                self.add_error("project", "Type the code of the project this rate is for.")
            elif "project" not in self.errors:
                project = Project.objects.filter(code=code).first() or Project.objects.filter(code__iexact=code).first()
                if project is None:
                    self.add_error("project", f"No project has the code “{code}”.")
                data["project_obj"] = project
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", "A rate ends on or after the day it starts.")
        return data

    def rate_values(self) -> dict[str, Any]:
        """The cleaned values as ``projects.billing.services.bill_rate_add`` takes them (after ``is_valid()``)."""
        data = self.cleaned_data
        scope = data["scope"]
        return {
            "job_role": self.roles[data["job_role"]],
            "client": self.clients[data["client"]] if scope == "client" else None,
            "project": data.get("project_obj") if scope == "project" else None,
            "rate": data["rate"],
            "currency": data["currency"],
            "valid_from": data["valid_from"],
            "valid_to": data.get("valid_to"),
        }


class BillRateChangeForm(forms.Form):
    """ "Change from <date>": the rate changed (its id), the new rate per hour and the first day it applies."""

    prefix = "change"

    bill_rate = IdChoiceField(
        queryset=BillRate.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That rate no longer exists; reload the page."},
    )
    rate = _rate_field()
    valid_from = _date_field("From")

    def clean_valid_from(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("valid_from"))
