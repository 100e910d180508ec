"""Django admin for the company's bill rates (rate cards), exchange rates, projects' billing and billing
milestones, margin alerts and timesheet reminders (the last two read-only), and invoices, credit notes and their
numbering (read-only: they are drafted, issued and credited by ``projects.billing.invoices`` alone)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from projects.billing import selectors
from projects.models import (
    BillingMilestone,
    BillRate,
    ExchangeRate,
    Invoice,
    InvoiceDelivery,
    InvoiceItem,
    InvoiceLine,
    InvoiceSequence,
    MarginAlert,
    ProjectBilling,
    TimesheetReminder,
)


class BillRateAdminForm(forms.ModelForm):
    """The rate cards' rules in the admin too: a client or a project (not both), a project's rate in its
    currency, and no overlap with another rate of the same role, currency and scope
    (``projects.billing.selectors.overlap_refusal``)."""

    class Meta:
        model = BillRate
        fields = ("job_role", "client", "project", "rate", "currency", "valid_from", "valid_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["currency"] = (data.get("currency") or "").strip().upper()
        role, client, project = data.get("job_role"), data.get("client"), data.get("project")
        if client is not None and project is not None:
            raise forms.ValidationError("A rate is for a client or for a project, not both.")
        if project is not None and data["currency"] != project.currency:
            raise forms.ValidationError(f"{project.code} is billed in {project.currency}: its rates must be in it.")
        if role is not None and data.get("valid_from") is not None and not self.errors:
            rate = BillRate(
                job_role=role,
                client=client,
                project=project,
                currency=data["currency"],
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
            )
            refusal = selectors.overlap_refusal(rate, exclude_pk=self.instance.pk)
            if refusal is not None:
                raise forms.ValidationError(refusal)
        return data


@admin.register(BillRate)
class BillRateAdmin(admin.ModelAdmin):
    """Rate cards are kept on their own page (Rates in the navigation), where a change never edits the past;
    here an administrator corrects a row under the same rules."""

    form = BillRateAdminForm
    list_display = ("job_role", "client", "project", "rate", "currency", "valid_from", "valid_to", "created_by")
    list_filter = ("currency", "job_role")
    search_fields = ("job_role__title", "client__name", "project__code")
    list_select_related = ("job_role", "client", "project", "created_by")
    autocomplete_fields = ("job_role", "client", "project")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: BillRate, form: forms.ModelForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class ExchangeRateForm(forms.ModelForm):
    """An administrator's rate: a currency code in capitals other than EUR, a rate above zero, a source that
    may be left blank (the admin then writes who entered it)."""

    class Meta:
        model = ExchangeRate
        fields = ("date", "currency", "rate", "source")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].required = False
        self.fields["source"].help_text = 'Where the rate comes from; left blank: "Entered by <your username>".'
        self.fields["rate"].help_text = "Units of the currency that one euro bought that day (1 EUR = rate)."

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise forms.ValidationError("A currency is three letters (ISO 4217), e.g. GBP.")
        if code == "EUR":
            raise forms.ValidationError("Rates are quoted against EUR: one euro is always 1 EUR.")
        return code

    def clean_rate(self) -> Decimal:
        rate: Decimal = self.cleaned_data["rate"]
        if rate <= 0:
            raise forms.ValidationError("A rate is above zero.")
        return rate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    form = ExchangeRateForm
    list_display = ("date", "currency", "rate", "source")
    list_filter = ("currency",)
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: forms.ModelForm, change: bool) -> None:
        if not obj.source.strip():
            obj.source = f"Entered by {request.user.get_username()}"
        super().save_model(request, obj, form, change)


@admin.register(ProjectBilling)
class ProjectBillingAdmin(admin.ModelAdmin):
    list_display = ("project", "model", "contract_value")
    list_filter = ("model",)
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)


@admin.register(BillingMilestone)
class BillingMilestoneAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "amount", "due_on", "deliverable")
    search_fields = ("project__code", "name")
    list_select_related = ("project", "deliverable")
    autocomplete_fields = ("project",)
    raw_id_fields = ("deliverable",)


class _ReadOnly(admin.ModelAdmin):
    """A record of what the system did: nobody adds or changes one by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(MarginAlert)
class MarginAlertAdmin(_ReadOnly):
    list_display = ("project", "target_percent", "forecast_percent", "raised_at", "closed_at")
    list_select_related = ("project",)


@admin.register(TimesheetReminder)
class TimesheetReminderAdmin(_ReadOnly):
    list_display = ("member", "week_start", "kind", "sent_at")
    list_filter = ("kind",)
    list_select_related = ("member",)


class _Record(_ReadOnly):
    """Accounting records: not deleted by hand either (an issued invoice refuses it anyway)."""

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ("position", "description", "quantity", "unit", "unit_price", "net", "tax_rate", "tax", "currency")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(_Record):
    list_display = ("__str__", "kind", "state", "client", "issue_date", "due_date", "gross_total", "currency")
    list_filter = ("kind", "state", "currency")
    search_fields = ("number", "client__name", "buyer_name")
    list_select_related = ("client",)
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]


@admin.register(InvoiceDelivery)
class InvoiceDeliveryAdmin(_Record):
    list_display = ("__str__", "name", "sent_by", "created_at")
    search_fields = ("invoice__number", "address", "name")
    list_select_related = ("invoice", "sent_by")


@admin.register(InvoiceItem)
class InvoiceItemAdmin(_Record):
    list_display = ("__str__", "line", "claimed")
    list_filter = ("claimed",)
    search_fields = ("line__invoice__number", "line__description")
    list_select_related = ("line",)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(_Record):
    list_display = ("__str__", "kind", "year", "last_number", "last_issued_on")
