"""The projects endpoint: ``/api/v1/projects/`` and ``/api/v1/projects/<code>/`` (the team's view; client
contacts read ``/api/v1/portal/projects/``). A project's money (``money``) is there only for those who may
see it (``access.see_money``), else ``null``.

The clients endpoint ``/api/v1/clients/``: the clients whose account page the person opens (a project of the
client whose margin they see, ``access.see_margin``); the margin target is in ``money``. The contacts endpoint
``/api/v1/contacts/``: the client contacts the client access page lists with their email
(``access.invite_contact``: the PM and heads of the client's projects)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Client, ClientContact, Project, ProjectStatus
from projects.portfolio import selectors
from projects.rag import RAG
from teams.api import id_filter


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
    client = id_filter("client_id", "The client's id.")
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
        return selectors.project_list(user=user, seen=access.see_project.ids(user)).select_related("project_manager")


class ClientMoneySerializer(serializers.Serializer):
    margin_target_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="The lowest forecast margin acceptable."
    )


class ClientSerializer(serializers.ModelSerializer):
    money = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "name", "money"]

    @extend_schema_field(ClientMoneySerializer(allow_null=True))
    def get_money(self, client: Client) -> dict[str, Any] | None:
        # Every client listed is one with a project whose margin the person sees (see_margin covers see_money).
        target = client.margin_target_percent
        return {"margin_target_percent": None if target is None else f"{target:.2f}"}


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Part of the name.")

    class Meta:
        model = Client
        fields: list[str] = []


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The clients whose account the person sees: a project of theirs whose margin the person may see."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    ordering_fields = ["name"]
    ordering = ["name", "pk"]
    project_path = "projects"

    def visible(self, user: Any) -> QuerySet[Client]:
        return Client.objects.filter(pk__in=access.see_margin.queryset(user).order_by().values("client_id"))

    def get_queryset(self) -> QuerySet[Client]:
        # A token limited to projects keeps the clients of those projects, each once.
        return super().get_queryset().distinct()


class ContactSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    client_name = serializers.CharField(source="client.name")
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = ClientContact
        fields = ["id", "client", "client_name", "name", "email", "has_login"]

    def get_has_login(self, contact: ClientContact) -> bool:
        return contact.user is not None and contact.user.has_usable_password()


class ContactFilter(django_filters.FilterSet):
    client = id_filter("client_id", "The client's id.")
    project = django_filters.CharFilter(field_name="client__projects__code", label="The project's code.")

    class Meta:
        model = ClientContact
        fields: list[str] = []


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The client contacts the person may invite to the portal (as the client access page lists them)."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name"]
    ordering = ["client__name", "name", "pk"]
    project_path = "client__projects"

    def visible(self, user: Any) -> QuerySet[ClientContact]:
        return access.invite_contact.queryset(user).select_related("client", "user")

    def get_queryset(self) -> QuerySet[ClientContact]:
        return super().get_queryset().distinct()


ROUTES: list[tuple[str, Any, str]] = [
    ("projects", ProjectViewSet, "api-project"),
    ("clients", ClientViewSet, "api-client"),
    ("contacts", ContactViewSet, "api-contact"),
]
