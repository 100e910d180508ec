"""The projects endpoint: ``/api/v1/projects/`` and ``/api/v1/projects/<code>/`` (the team's view; client
contacts read ``/api/v1/portal/projects/``). A project's money (``money``) is there only for those who may
see it (``access.see_money``), else ``null``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Project, ProjectStatus
from projects.portfolio import selectors
from projects.rag import RAG


class ProjectMoneySerializer(serializers.Serializer):
    bac = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True, help_text="Budget at completion.")
    currency = serializers.CharField()


class ProjectSerializer(serializers.ModelSerializer):
    client = serializers.CharField(source="client.name", default=None, allow_null=True)
    client_id = serializers.IntegerField(allow_null=True)
    departments = serializers.SerializerMethodField()
    project_manager = serializers.CharField(source="project_manager.username", default=None, allow_null=True)
    latest_as_of = serializers.DateField(allow_null=True, read_only=True)
    latest_rating = serializers.CharField(allow_null=True, read_only=True)
    money = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "reference",
            "client",
            "client_id",
            "departments",
            "project_manager",
            "category",
            "start_date",
            "end_date",
            "status",
            "rag",
            "latest_as_of",
            "latest_rating",
            "updated_at",
            "money",
        ]

    def get_departments(self, project: Project) -> list[str]:
        return [department.code for department in project.department_list]  # type: ignore[attr-defined]

    @extend_schema_field(ProjectMoneySerializer(allow_null=True))
    def get_money(self, project: Project) -> dict[str, Any] | None:
        if not project.money_visible:  # type: ignore[attr-defined]
            return None
        return {"bac": None if project.bac is None else f"{project.bac:.2f}", "currency": project.currency}


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name or code (case-insensitive).")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    rag = django_filters.ChoiceFilter(choices=RAG.choices)
    department = django_filters.CharFilter(field_name="departments__code", label="Department code.")
    client = django_filters.NumberFilter(field_name="client_id")
    category = django_filters.CharFilter()

    class Meta:
        model = Project
        fields: list[str] = []

    def search(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Projects the person may see, by code; BAC only where they may see money."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["code", "name", "start_date", "end_date", "updated_at"]
    ordering = ["code"]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    project_path = ""

    def visible(self, user: Any) -> QuerySet[Project]:
        return selectors.project_list(user=user, seen=access.see_project.ids(user))


ROUTES: list[tuple[str, Any, str]] = [("projects", ProjectViewSet, "api-project")]
