"""Forms of the invoice pages: a new draft, a line (edited or added), the issue date, the payment date and a credit
note's reason. Plain Django forms that check what a user types (numbers, dates, lengths); the business rules
(what may be billed, drafts only, dates after the issue) are the services' (``projects.billing.invoices``), whose
refusals the views put on these forms.

The forms of the invoice page each have their own ``prefix`` (``line-``, ``issue-``, ``paid-``, ``credit-``).
The draft form's clients come from the list the page has read, so showing them costs no query.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms

from apm.dates import EARLIEST, LATEST
from apm.formatting import format_date
from projects.billing.invoices import REASON_CHARS
from projects.common.forms import DATE
from projects.models import Grouping

if TYPE_CHECKING:
    from projects.models import Client, InvoiceLine

#: The largest unit price (either sign) and quantity a line takes: their product and a page of such lines still fit
#: the totals (eighteen digits, two decimals).
MAX_PRICE = Decimal("99999999.99")
MAX_QUANTITY = Decimal("9999999.99")


def _date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE,
        help_text=help_text,
        error_messages={"invalid": "Enter a real date, like 2027-01-31.", "required": f"Enter the {label.lower()}."},
    )


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not (EARLIEST <= value <= LATEST):
        raise forms.ValidationError(f"Enter a date from {format_date(EARLIEST)} to {format_date(LATEST)}.")
    return value


class _Styled(forms.Form):
    """Bootstrap classes on every widget (crispy renders the labels and errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in list(data.items()):
            if isinstance(value, dt.date):
                try:
                    _in_range(value)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


class InvoiceDraftForm(_Styled):
    """A new draft: the client (among those the user manages), the period of the work (both days included), how time
    is laid out, and optionally the date whose exchange rates convert other currencies (default: the period's end)."""

    client = forms.TypedChoiceField(
        label="Client", coerce=int, choices=(), error_messages={"invalid_choice": "Choose one of your clients."}
    )
    period_start = _date_field("Period start", help_text="The first day of the work billed.")
    period_end = _date_field("Period end", help_text="The last day of the work billed (included).")
    grouping = forms.ChoiceField(label="Time", choices=Grouping.choices, initial=Grouping.ROLE)
    rates_on = _date_field(
        "Exchange rates of",
        required=False,
        help_text="For projects billed in another currency than the client's; empty: the period's last day.",
    )

    def __init__(self, *args: Any, clients: list[Client], today: dt.date, **kwargs: Any) -> None:
        start, end = _last_month(today)
        kwargs.setdefault("initial", {"period_start": start, "period_end": end})
        super().__init__(*args, **kwargs)
        self.clients = {client.pk: client for client in clients}
        choices = [(client.pk, f"{client.name} ({client.invoice_currency})") for client in clients]
        self.fields["client"].choices = [("", "Choose a client…"), *choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "A period ends on or after the day it starts.")
        return data

    def draft_values(self) -> dict[str, Any]:
        """The cleaned values as ``invoice_draft`` takes them (after ``is_valid()``)."""
        data = self.cleaned_data
        return {
            "client": self.clients[data["client"]],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "grouping": data["grouping"],
            "rates_on": data.get("rates_on"),
        }


class InvoiceLineForm(_Styled):
    """A line of a draft: what it bills, how many (above zero), at what unit price in the invoice's currency (a
    negative price for a discount) and at what tax rate. ``unit`` is asked of a new line only."""

    prefix = "line"

    description = forms.CharField(label="Description", max_length=500)
    quantity = forms.DecimalField(
        label="Quantity",
        min_value=Decimal("0.01"),
        max_value=MAX_QUANTITY,
        max_digits=9,
        decimal_places=2,
        error_messages={
            "min_value": "A quantity is above zero: a discount is a negative unit price.",
            "max_value": f"Enter a quantity of at most {MAX_QUANTITY:,}.",
            "max_digits": f"Enter a quantity of at most {MAX_QUANTITY:,}.",
            "max_whole_digits": f"Enter a quantity of at most {MAX_QUANTITY:,}.",
            "max_decimal_places": "Enter the quantity to two decimal places at most, like 7.5.",
        },
    )
    unit = forms.CharField(label="Unit", max_length=20, required=False, help_text="hours, items, months…")
    unit_price = forms.DecimalField(
        label="Unit price",
        min_value=-MAX_PRICE,
        max_value=MAX_PRICE,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "min_value": f"Enter a unit price from {-MAX_PRICE:,} to {MAX_PRICE:,}.",
            "max_value": f"Enter a unit price from {-MAX_PRICE:,} to {MAX_PRICE:,}.",
            "max_digits": f"Enter a unit price from {-MAX_PRICE:,} to {MAX_PRICE:,}.",
            "max_whole_digits": f"Enter a unit price from {-MAX_PRICE:,} to {MAX_PRICE:,}.",
            "max_decimal_places": "Enter the price to the penny at most, like 95.50.",
        },
    )
    tax_rate = forms.DecimalField(
        label="Tax rate (%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        error_messages={
            "min_value": "Enter a tax rate from 0 to 100.",
            "max_value": "Enter a tax rate from 0 to 100.",
            "max_digits": "Enter a tax rate from 0 to 100.",
            "max_whole_digits": "Enter a tax rate from 0 to 100.",
            "max_decimal_places": "Enter the tax rate to two decimal places at most, like 7.5.",
        },
    )

    def __init__(self, *args: Any, line: InvoiceLine | None = None, tax_rate: Decimal | None = None, **kwargs: Any):
        if line is not None:
            kwargs.setdefault(
                "initial",
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "tax_rate": line.tax_rate,
                },
            )
        elif tax_rate is not None:
            kwargs.setdefault("initial", {"tax_rate": tax_rate, "quantity": Decimal(1)})
        super().__init__(*args, **kwargs)
        if line is not None:
            del self.fields["unit"]

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError("Describe what the line bills.")
        return description


class InvoiceIssueForm(_Styled):
    """The issue date (today or a day past; the due date follows from the client's payment terms), and whether to
    email the issued invoice to the client's billing contacts (ticked when the form is shown; a form posted without
    the box, as an unticked box posts, does not send)."""

    prefix = "issue"

    issue_date = _date_field("Issue date")
    send = forms.BooleanField(label="Email it to the billing contacts", required=False, initial=True)


class InvoicePaidForm(_Styled):
    """The day the payment arrived."""

    prefix = "paid"

    paid_on = _date_field("Paid on")


class InvoiceCreditForm(_Styled):
    """Why the invoice is credited (the credit note states it), and the credit note's date (default today)."""

    prefix = "credit"

    reason = forms.CharField(
        label="Reason", max_length=REASON_CHARS, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )
    on = _date_field("Credit note date", required=False, help_text="Empty: today.")
