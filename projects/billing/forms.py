"""Forms of billing: the rate card page, a project's billing terms and billing milestones (on its budget page), a
client's margin target (on its account page). Plain Django forms: the services hold the business rules
(overlaps, a project's currency, changes from a date, what each billing model needs).

Forms that share a page each have their own ``prefix`` (``rate-``,
``change-``; ``billing-``, ``milestone-`` beside the budget page's own).
The rate form's roles and clients come from the lists the page has already
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
from projects.billing import services
from projects.common.forms import DATE, limit_choices
from projects.models import CURRENCY_CHOICES, BillingModel, BillRate, Deliverable, Project, Recognition

if TYPE_CHECKING:
    from projects.models import Client, ProjectBilling
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


# --- A project's billing (the budget page) -------------------------------------------------------------------------


def _money(label: str, *, help_text: str = "", most: Decimal = services.MAX_MONEY) -> forms.DecimalField:
    """An optional sum of money above zero, to the penny, at most ``most``."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.01"),
        max_value=most,
        max_digits=18,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "min_value": "Enter an amount above zero.",
            "max_value": f"Enter an amount of at most {most:,}.",
            "max_digits": f"Enter an amount of at most {most:,}.",
            "max_whole_digits": f"Enter an amount of at most {most:,}.",
            "max_decimal_places": "Enter the amount to the penny at most.",
        },
    )


#: Which fields each billing model reads (the page shows only those once a model is chosen, by
#: static/js/billing-form.js; without it every group shows, headed by its model's name).
MODEL_FIELDS = {
    BillingModel.TIME_AND_MATERIALS: ("not_to_exceed", "expense_markup_percent"),
    BillingModel.FIXED_PRICE: ("price", "recognition"),
    BillingModel.RETAINER: ("retainer_fee", "retainer_hours", "rollover_months", "overage_rate"),
}


class ProjectBillingForm(forms.Form):
    """How a project bills: the model and the terms of each model (the service reads the chosen model's)."""

    prefix = "billing"

    model = forms.ChoiceField(label="Billing model", choices=BillingModel.choices)
    not_to_exceed = _money("Not-to-exceed amount", help_text="Empty: the budget (BAC) caps the revenue.")
    expense_markup_percent = forms.DecimalField(
        label="Expense markup (%)",
        required=False,
        min_value=Decimal("0"),
        max_value=services.MAX_MARKUP,
        max_digits=5,
        decimal_places=2,
        help_text="Added to billable expenses, 0 to 100.",
    )
    price = _money("Price")
    recognition = forms.ChoiceField(label="Revenue recognised", choices=Recognition.choices, required=False)
    retainer_fee = _money("Monthly fee")
    retainer_hours = forms.DecimalField(
        label="Hours a month",
        required=False,
        min_value=Decimal("0.25"),
        max_value=services.MAX_RETAINER_HOURS,
        max_digits=7,
        decimal_places=2,
    )
    rollover_months = forms.IntegerField(
        label="Unused hours roll over for (months)",
        required=False,
        min_value=0,
        max_value=services.MAX_ROLLOVER_MONTHS,
        help_text="0: unused hours expire at the month's end.",
    )
    overage_rate = _money(
        "Overage rate per hour", most=services.MAX_RATE, help_text="Empty: hours beyond the allowance earn nothing."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if name == "model":
                field.widget.attrs["data-billing-model"] = ""

    @classmethod
    def of(cls, billing: ProjectBilling) -> ProjectBillingForm:
        """The form showing ``billing``'s terms."""
        fixed = billing.model == BillingModel.FIXED_PRICE
        return cls(
            initial={
                "model": billing.model,
                "not_to_exceed": billing.contract_value if not fixed else None,
                "expense_markup_percent": billing.expense_markup_percent,
                "price": billing.contract_value if fixed else None,
                "recognition": billing.recognition,
                "retainer_fee": billing.retainer_fee,
                "retainer_hours": billing.retainer_hours,
                "rollover_months": billing.rollover_months,
                "overage_rate": billing.overage_rate,
            }
        )

    def groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The terms by model: (model value, its label, its fields), in the models' order."""
        return [(model.value, model.label, [self[name] for name in MODEL_FIELDS[model]]) for model in BillingModel]

    def billing_values(self) -> dict[str, Any]:
        """The cleaned values as ``projects.billing.services.project_billing_set`` takes them (after
        ``is_valid()``): the chosen model's price or not-to-exceed amount as the contract value."""
        data = self.cleaned_data
        model = data["model"]
        return {
            "model": model,
            "contract_value": data.get("price") if model == BillingModel.FIXED_PRICE else data.get("not_to_exceed"),
            "expense_markup_percent": data.get("expense_markup_percent"),
            "recognition": data.get("recognition") or Recognition.MILESTONES,
            "retainer_fee": data.get("retainer_fee"),
            "retainer_hours": data.get("retainer_hours"),
            "rollover_months": data.get("rollover_months"),
            "overage_rate": data.get("overage_rate"),
        }


class BillingMilestoneForm(forms.Form):
    """A billing milestone of a fixed-price project: its name, amount and when it falls due (a deliverable of the
    project, or a date)."""

    prefix = "milestone"

    name = forms.CharField(max_length=200)
    amount = _money("Amount")
    deliverable = IdChoiceField(
        label="Falls due when this deliverable is accepted",
        queryset=Deliverable.objects.none(),
        required=False,
        empty_label="— (a date instead)",
        error_messages={"invalid_choice": "Choose one of this project's deliverables."},
    )
    due_on = _date_field("or on this date", required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].required = True
        limit_choices(self, "deliverable", Deliverable.objects.filter(project=project).order_by("due_date", "name"))
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_due_on(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("due_on"))


# --- A client's margin target (its account page) -------------------------------------------------------------------


class ClientTargetForm(forms.Form):
    """A client's margin target: a percent from 0 to 100 (empty: no target)."""

    prefix = "target"

    margin_target_percent = forms.DecimalField(
        label="Margin target (%)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        help_text="The lowest forecast margin acceptable on this account; empty: no target.",
        error_messages={
            "min_value": "A margin target runs from 0 to 100 %%.",
            "max_value": "A margin target runs from 0 to 100 %%.",
            "max_digits": "A margin target runs from 0 to 100 %%.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["margin_target_percent"].widget.attrs.setdefault("class", "form-control")
