"""The changes domain's API endpoints (registered by ``projects/api.py``): ``/api/v1/change-requests/``, the
change requests of the projects whose internal pages one sees (``access.see_internal``), as the change request
pages show them: the request, its impact on the schedule, scope and quality, its approvers and their decisions.
The internal cost impact, its category and how it was funded are only in ``money``, for those who see the
project's money (``access.see_money``), else ``null``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import BooleanField, Case, Prefetch, QuerySet, Value, When
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import ChangeApproval, ChangeRequest, ChangeStatus, Deliverable


class ChangeMoneySerializer(serializers.Serializer):
    currency = serializers.CharField(source="project.currency")
    cost_impact = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Added to the budget on approval; never shown to the client."
    )
    cost_category = serializers.CharField(help_text="The budget category the cost goes to.")
    funding = serializers.CharField(
        source="funding_statement", help_text="How the applied cost was funded; empty before it is applied."
    )


class ChangeApprovalSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = ChangeApproval
        fields = ["side", "approved", "user", "comment", "at"]
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    reference = serializers.CharField(read_only=True, help_text="CR-<number>, the number within the project.")
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)
    affected_deliverables = serializers.SerializerMethodField(help_text="The ids of the deliverables it moves.")
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    baseline = serializers.IntegerField(
        source="baseline.number",
        default=None,
        allow_null=True,
        read_only=True,
        help_text="The number of the baseline its approval made.",
    )
    money = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "project",
            "number",
            "reference",
            "title",
            "description",
            "reason",
            "raised_by",
            "author",
            "schedule_impact_days",
            "affected_deliverables",
            "scope_impact",
            "quality_impact",
            "client_summary",
            "approvers",
            "status",
            "approvals",
            "baseline",
            "submitted_at",
            "decided_at",
            "implemented_at",
            "created_at",
            "money",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_affected_deliverables(self, change: ChangeRequest) -> list[int]:
        return [deliverable.pk for deliverable in change.affected_deliverables.all()]

    @extend_schema_field(ChangeMoneySerializer(allow_null=True))
    def get_money(self, change: ChangeRequest) -> dict[str, Any] | None:
        if not change.money_visible:  # type: ignore[attr-defined]
            return None
        return dict(ChangeMoneySerializer(change).data)


class ChangeRequestFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    state = django_filters.ChoiceFilter(field_name="status", choices=ChangeStatus.choices, label="Its status.")

    class Meta:
        model = ChangeRequest
        fields: list[str] = []


class ChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Change requests of the projects whose internal pages one sees, newest first; the cost impact only in
    ``money``, for those who see the project's money."""

    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilter
    ordering_fields = ["number", "created_at", "submitted_at", "decided_at"]
    ordering = ["-created_at", "-pk"]

    def visible(self, user: Any) -> QuerySet[ChangeRequest]:
        money = access.see_money.queryset(user).values("pk")
        return (
            ChangeRequest.objects.filter(project__in=access.see_internal.queryset(user))
            .select_related("project", "author", "baseline")
            .prefetch_related(
                Prefetch("approvals", queryset=ChangeApproval.objects.select_related("user")),
                Prefetch("affected_deliverables", queryset=Deliverable.objects.only("id")),
            )
            .annotate(
                money_visible=Case(
                    When(project__in=money, then=Value(True)), default=Value(False), output_field=BooleanField()
                )
            )
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [("change-requests", ChangeRequestViewSet, "api-change-request")]
