"""The allocations endpoint: ``/api/v1/allocations/`` (bookings of people onto projects).

Rows are the bookings the project's team tab shows: those of the projects whose internal pages the person sees
(``access.see_internal``), cancelled ones included (``status``). A booking carries no rate or cost; the
person's rates are the people endpoint's, in its ``money``. ``percent`` is the booking's hours of the person's
weekly capacity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Allocation, AllocationStatus
from teams.api import id_filter


class AllocationSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    person = serializers.IntegerField(source="member_id", help_text="The person's id (/api/v1/people/<id>/).")
    person_name = serializers.CharField(source="member.name")
    department = serializers.CharField(source="member.department.code", default=None, allow_null=True)
    open_role = serializers.IntegerField(source="open_role_id", allow_null=True)
    tentative = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = [
            "id",
            "project",
            "person",
            "person_name",
            "department",
            "role_title",
            "open_role",
            "hours_per_week",
            "percent",
            "start_date",
            "end_date",
            "status",
            "tentative",
            "created_at",
            "cancelled_at",
        ]

    def get_tentative(self, allocation: Allocation) -> bool:
        return allocation.status == AllocationStatus.TENTATIVE

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=7, decimal_places=1, allow_null=True, help_text="Hours a week as a percent of the capacity."
        )
    )
    def get_percent(self, allocation: Allocation) -> str | None:
        capacity = allocation.member.weekly_capacity_hours
        if not capacity:
            return None
        return f"{(Decimal(allocation.hours_per_week) * 100 / capacity).quantize(Decimal('0.1'))}"


class AllocationFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    person = id_filter("member_id", "The person's id.")
    status = django_filters.ChoiceFilter(choices=AllocationStatus.choices)
    start = django_filters.DateFilter(field_name="end_date", lookup_expr="gte", label="Bookings ending on or after.")
    end = django_filters.DateFilter(field_name="start_date", lookup_expr="lte", label="Bookings starting on or before.")

    class Meta:
        model = Allocation
        fields: list[str] = []


# ``from`` and ``to`` are Python keywords: the filter's names are given as the query parameters.
AllocationFilter.base_filters["from"] = AllocationFilter.base_filters.pop("start")
AllocationFilter.base_filters["to"] = AllocationFilter.base_filters.pop("end")


class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Bookings on the projects the person sees internally, by start date."""

    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    ordering_fields = ["start_date", "end_date", "hours_per_week"]
    ordering = ["start_date", "member__name", "pk"]

    def visible(self, user: Any) -> QuerySet[Allocation]:
        return Allocation.objects.filter(project__in=access.see_internal.queryset(user)).select_related(
            "project", "member__department"
        )


ROUTES: list[tuple[str, Any, str]] = [("allocations", AllocationViewSet, "api-allocation")]
