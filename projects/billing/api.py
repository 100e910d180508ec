"""The billing domain's API endpoints (registered by ``projects/api.py``), read only.

* ``/api/v1/rate-cards/``: the company's bill rates (each role's card and its client and project overrides), as
  the rates page shows them: to those who keep the rate cards (``access.manage_rates``); nobody else has any.
* ``/api/v1/member-rates/``: people's cost and bill rates, as a person's page shows them: to those who may see
  that person's rates (``access.see_member_rates``: administrators and heads of the person's department).
* ``/api/v1/invoices/``: the invoices and credit notes of the clients whose invoices one manages
  (``access.manage_invoices``), as the invoices page lists them, drafts included, with their lines; the PDF is
  the browser's protected view (``download_url``). A team member sees none; a client contact reads the portal's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.filters import id_filter
from apm.api.viewsets import ApiViewSet, token_projects
from projects.billing import invoice_selectors
from projects.models import BillRate, Invoice, InvoiceKind, InvoiceLine, InvoiceState, LineKind
from teams.models import MemberRate


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _state(valid_from: dt.date, valid_to: dt.date | None, today: dt.date) -> str:
    if valid_from > today:
        return "future"
    return "ended" if valid_to is not None and valid_to < today else "current"


STATES = [("current", "Valid today"), ("future", "From a later day"), ("ended", "Ended")]


# --- Rate cards -------------------------------------------------------------------------------------------------


class RateMoneySerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Bill rate per hour.")
    currency = serializers.CharField()


class BillRateSerializer(serializers.ModelSerializer):
    job_role = serializers.IntegerField(source="job_role_id", read_only=True)
    job_role_title = serializers.CharField(source="job_role.title", read_only=True)
    applies_to = serializers.SerializerMethodField()
    client = serializers.IntegerField(source="client_id", allow_null=True, read_only=True)
    client_name = serializers.CharField(source="client.name", default=None, allow_null=True, read_only=True)
    project = serializers.CharField(source="project.code", default=None, allow_null=True, read_only=True)
    validity = serializers.SerializerMethodField()
    money = serializers.SerializerMethodField()

    class Meta:
        model = BillRate
        fields = [
            "id",
            "job_role",
            "job_role_title",
            "applies_to",
            "client",
            "client_name",
            "project",
            "valid_from",
            "valid_to",
            "validity",
            "money",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["card", "client", "project"]))
    def get_applies_to(self, rate: BillRate) -> str:
        return "project" if rate.project_id else "client" if rate.client_id else "card"

    @extend_schema_field(serializers.ChoiceField(choices=STATES))
    def get_validity(self, rate: BillRate) -> str:
        return _state(rate.valid_from, rate.valid_to, timezone.localdate())

    @extend_schema_field(RateMoneySerializer(allow_null=True))
    def get_money(self, rate: BillRate) -> dict[str, Any] | None:
        # Listed only to those who keep the rate cards, who see their money.
        return {"rate": _amount(rate.rate), "currency": rate.currency}


class BillRateFilter(django_filters.FilterSet):
    job_role = id_filter("job_role_id", "The job role's id.")
    client = id_filter("client_id", "The client's id (its overrides).")
    project = django_filters.CharFilter(field_name="project__code", label="Project code (its overrides).")
    currency = django_filters.CharFilter()
    applies_to = django_filters.ChoiceFilter(
        choices=[("card", "card"), ("client", "client"), ("project", "project")], method="of_scope"
    )

    class Meta:
        model = BillRate
        fields: list[str] = []

    def of_scope(self, queryset: QuerySet[BillRate], name: str, value: str) -> QuerySet[BillRate]:
        if value == "project":
            return queryset.filter(project__isnull=False)
        if value == "client":
            return queryset.filter(client__isnull=False)
        return queryset.filter(client__isnull=True, project__isnull=True)


class RateCardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Bill rates by role, client and project, for those who keep the rate cards; an empty list for anyone else.
    A token limited to projects sees those projects' overrides only."""

    serializer_class = BillRateSerializer
    filterset_class = BillRateFilter
    ordering_fields = ["valid_from", "currency", "id"]
    ordering = ["job_role__title", "currency", "client__name", "project__code", "-valid_from", "-pk"]

    def visible(self, user: Any) -> QuerySet[BillRate]:
        if not access.manage_rates.allows(user):
            return BillRate.objects.none()
        return BillRate.objects.select_related("job_role", "client", "project")


# --- Member rates -----------------------------------------------------------------------------------------------


class MemberRateMoneySerializer(serializers.Serializer):
    cost_rate = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Cost per hour.")
    bill_rate = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="The person's own bill rate.")
    currency = serializers.CharField()


class MemberRateSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="member_id", read_only=True, help_text="The person's id.")
    person_name = serializers.CharField(source="member.name", read_only=True)
    validity = serializers.SerializerMethodField()
    money = serializers.SerializerMethodField()

    class Meta:
        model = MemberRate
        fields = ["id", "person", "person_name", "valid_from", "valid_to", "validity", "money"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=STATES))
    def get_validity(self, rate: MemberRate) -> str:
        return _state(rate.valid_from, rate.valid_to, timezone.localdate())

    @extend_schema_field(MemberRateMoneySerializer(allow_null=True))
    def get_money(self, rate: MemberRate) -> dict[str, Any] | None:
        # Listed only to those who see the person's rates.
        return {"cost_rate": _amount(rate.cost_rate), "bill_rate": _amount(rate.bill_rate), "currency": rate.currency}


class MemberRateFilter(django_filters.FilterSet):
    person = id_filter("member_id", "The person's id.")

    class Meta:
        model = MemberRate
        fields: list[str] = []


class MemberRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """People's cost and bill rates, to administrators and the heads of their departments (none to a token limited
    to projects: rates are a person's, not a project's)."""

    serializer_class = MemberRateSerializer
    filterset_class = MemberRateFilter
    ordering_fields = ["valid_from", "id"]
    ordering = ["member__name", "-valid_from", "pk"]

    def get_queryset(self) -> QuerySet[MemberRate]:
        found = self.visible(self.request.user)
        return found.none() if token_projects(self.request) is not None else found

    def visible(self, user: Any) -> QuerySet[MemberRate]:
        people = access.see_member_rates.queryset(user).values("pk")
        return MemberRate.objects.filter(member__in=people).select_related("member")


# --- Invoices ---------------------------------------------------------------------------------------------------


class InvoiceMoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    net_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    gross_total = serializers.DecimalField(max_digits=18, decimal_places=2)


class LineMoneySerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=2)
    net = serializers.DecimalField(max_digits=18, decimal_places=2)
    tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    source_currency = serializers.CharField(help_text="The project's currency when converted; empty otherwise.")
    source_unit_price = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    rate_date = serializers.DateField(allow_null=True)


class InvoiceLineSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="What the line bills: " + ", ".join(LineKind.values) + ".")
    project = serializers.CharField(source="project.code", default=None, allow_null=True, read_only=True)
    money = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "kind", "project", "description", "quantity", "unit", "tax_rate", "money"]
        read_only_fields = fields

    @extend_schema_field(LineMoneySerializer(allow_null=True))
    def get_money(self, line: InvoiceLine) -> dict[str, Any] | None:
        return {
            "unit_price": _amount(line.unit_price),
            "net": _amount(line.net),
            "tax": _amount(line.tax),
            "gross": _amount(line.gross),
            "source_currency": line.source_currency,
            "source_unit_price": _amount(line.source_unit_price),
            "exchange_rate": None if line.exchange_rate is None else f"{line.exchange_rate:.6f}",
            "rate_date": None if line.rate_date is None else line.rate_date.isoformat(),
        }


class InvoiceSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=InvoiceKind.choices, read_only=True)
    state = serializers.ChoiceField(choices=InvoiceState.choices, read_only=True)
    client = serializers.IntegerField(source="client_id", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    credited_invoice = serializers.IntegerField(source="credited_invoice_id", allow_null=True, read_only=True)
    overdue = serializers.BooleanField(read_only=True, help_text="Issued, unpaid and past its due date.")
    lines = InvoiceLineSerializer(source="line_list", many=True, read_only=True)
    download_url = serializers.SerializerMethodField()
    money = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "state",
            "client",
            "client_name",
            "period_start",
            "period_end",
            "issue_date",
            "due_date",
            "paid_on",
            "overdue",
            "credited_invoice",
            "reason",
            "created_at",
            "updated_at",
            "lines",
            "download_url",
            "money",
        ]
        read_only_fields = fields

    def get_download_url(self, invoice: Invoice) -> str:
        """The PDF, from the browser's protected view (signed in to the browser)."""
        path = reverse("projects:invoice_pdf", args=[invoice.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(InvoiceMoneySerializer(allow_null=True))
    def get_money(self, invoice: Invoice) -> dict[str, Any] | None:
        # Listed only to those who manage the client's invoices: the money is what they bill.
        return {
            "currency": invoice.currency,
            "net_total": _amount(invoice.net_total),
            "tax_total": _amount(invoice.tax_total),
            "gross_total": _amount(invoice.gross_total),
        }


class InvoiceFilter(django_filters.FilterSet):
    client = id_filter("client_id", "The client's id.")
    state = django_filters.ChoiceFilter(choices=InvoiceState.choices)
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)
    overdue = django_filters.BooleanFilter(field_name="overdue", label="Issued, unpaid and past its due date.")
    project = django_filters.CharFilter(method="of_project", label="Project code: invoices with a line of it.")

    class Meta:
        model = Invoice
        fields: list[str] = []

    def of_project(self, queryset: QuerySet[Invoice], name: str, value: str) -> QuerySet[Invoice]:
        return queryset.filter(pk__in=InvoiceLine.objects.filter(project__code=value).values("invoice_id"))


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Invoices and credit notes of the clients whose invoices one manages, newest first, with their lines. A
    token limited to projects sees those with a line of one of its projects."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "due_date", "created_at", "number"]
    ordering = ["-issue_date", "-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Invoice]:
        found = self.visible(self.request.user)
        limit = token_projects(self.request)
        if limit is not None:
            found = found.filter(pk__in=InvoiceLine.objects.filter(project__in=limit).values("invoice_id"))
        return found

    def visible(self, user: Any) -> QuerySet[Invoice]:
        lines = InvoiceLine.objects.select_related("project").order_by("position", "pk")
        return invoice_selectors.invoices_of(user, today=timezone.localdate()).prefetch_related(
            Prefetch("lines", queryset=lines, to_attr="line_list")
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [
    ("rate-cards", RateCardViewSet, "api-rate-card"),
    ("member-rates", MemberRateViewSet, "api-member-rate"),
    ("invoices", InvoiceViewSet, "api-invoice"),
]
