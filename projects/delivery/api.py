"""The delivery domain's API endpoints (registered by ``projects/api.py``): ``/api/v1/deliverables/``, the
deliverables of the projects whose internal pages one sees (``access.see_internal``), with the fields of the
deliverables page (owner, dates, status, progress, milestone and its earned-value weight, dependencies, open
non-conformances) and the acceptance criteria and sign-off of a deliverable's page. A deliverable carries no
money."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Deliverable, DeliverableStatus, NonConformanceStatus


class DeliverableSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True, read_only=True)
    milestone = serializers.IntegerField(source="milestone_id", allow_null=True, read_only=True)
    milestone_name = serializers.CharField(source="milestone.name", default=None, allow_null=True, read_only=True)
    milestone_weight = serializers.DecimalField(
        source="milestone.weight",
        max_digits=7,
        decimal_places=2,
        default=None,
        allow_null=True,
        read_only=True,
        help_text="The milestone's earned-value weight (relative).",
    )
    acceptance_criteria = serializers.ListField(child=serializers.CharField(), read_only=True)
    depends_on = serializers.SerializerMethodField(help_text="The ids of the deliverables to finish first.")
    open_non_conformances = serializers.IntegerField(source="open_ncs", read_only=True)
    review_link = serializers.CharField(read_only=True, help_text="Where the client sees it; empty without one.")
    signed_off_by = serializers.CharField(
        source="signed_off_by.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "project",
            "name",
            "description",
            "owner",
            "start_date",
            "due_date",
            "status",
            "percent_complete",
            "milestone",
            "milestone_name",
            "milestone_weight",
            "acceptance_criteria",
            "depends_on",
            "open_non_conformances",
            "review_link",
            "signed_off_by",
            "signed_off_at",
            "sign_off_comment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_depends_on(self, deliverable: Deliverable) -> list[int]:
        return [before.pk for before in deliverable.depends_on.all()]


class DeliverableFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    status = django_filters.ChoiceFilter(choices=DeliverableStatus.choices)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label="Due on or after.")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due on or before.")

    class Meta:
        model = Deliverable
        fields: list[str] = []


class DeliverableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Deliverables of the projects whose internal pages one sees, earliest due first."""

    serializer_class = DeliverableSerializer
    filterset_class = DeliverableFilter
    ordering_fields = ["due_date", "start_date", "name", "updated_at"]
    ordering = ["due_date", "pk"]

    def visible(self, user: Any) -> QuerySet[Deliverable]:
        # What the deliverables page reads (selectors.deliverable_list), for every project seen.
        return (
            Deliverable.objects.filter(project__in=access.see_internal.queryset(user))
            .select_related("project", "owner", "milestone", "signed_off_by")
            .prefetch_related(Prefetch("depends_on", queryset=Deliverable.objects.only("id")))
            .annotate(
                open_ncs=Count("non_conformances", filter=~Q(non_conformances__status=NonConformanceStatus.CLOSED))
            )
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [("deliverables", DeliverableViewSet, "api-deliverable")]
