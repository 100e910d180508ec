"""The reports app's API endpoints under ``/api/v1/`` (``apm/urls.py`` includes this module by name).

* ``/api/v1/reports/``: the reports the person may open (``access.see_report``), newest first, each with the
  ``download_url`` of the browser's protected PDF once rendered. POST asks for a report now about a project
  (``project``: its code) or a department (``department``: its code), with the checks of the "Send now" form
  of its reports page (the kinds and audiences it offers the person) and through the same service.
* ``/api/v1/schedules/``: the report schedules the person may manage (``access.manage_schedule``), for those who
  may keep schedules at all (as the schedules page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apm import access
from apm.api.viewsets import ApiViewSet, token_projects
from apm.reporting import ReportKind
from reports.forms import SendNowForm
from reports.models import Audience, Report, ReportSchedule, ReportStatus, Scope
from reports.services import report_request

if TYPE_CHECKING:
    from apm.accounts.models import User


#: The kinds of report, for the fields that name one without repeating the enum of ``Report.kind``.
KINDS = "A kind of report: " + ", ".join(ReportKind.values) + "."


# --- Reports ----------------------------------------------------------------------------------------------------


class ReportSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices, read_only=True)
    audience = serializers.ChoiceField(choices=Audience.choices, read_only=True)
    scope = serializers.ChoiceField(choices=Scope.choices, read_only=True)
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)
    project = serializers.CharField(source="project.code", default=None, allow_null=True, read_only=True)
    department = serializers.CharField(source="department.code", default=None, allow_null=True, read_only=True)
    project_manager = serializers.CharField(
        source="project_manager.username", default=None, allow_null=True, read_only=True
    )
    requested_by = serializers.CharField(source="requested_by.username", default=None, allow_null=True, read_only=True)
    schedule = serializers.IntegerField(source="schedule_id", allow_null=True, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "audience",
            "scope",
            "project",
            "department",
            "project_manager",
            "title",
            "period_start",
            "period_end",
            "status",
            "scheduled_for",
            "rendered_at",
            "page_count",
            "sha256",
            "requested_by",
            "schedule",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, report: Report) -> str | None:
        """The PDF from the browser's protected view (signed in to the browser), once rendered."""
        if report.status != ReportStatus.RENDERED or not report.pdf:
            return None
        path = reverse("reports:pdf", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportRequestSerializer(serializers.Serializer):
    """A report asked for now: its kind and audience, about one project or one department."""

    kind = serializers.CharField(max_length=20, help_text=KINDS)
    audience = serializers.ChoiceField(choices=Audience.choices)
    project = serializers.CharField(required=False, max_length=50, help_text="A project's code.")
    department = serializers.CharField(required=False, max_length=50, help_text="A department's code.")

    def validate_kind(self, value: str) -> str:
        if value not in ReportKind.values:
            raise serializers.ValidationError(f"{value!r} is not a kind of report: {KINDS}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        code, department_code = attrs.get("project"), attrs.get("department")
        if (code is None) == (department_code is None):
            raise serializers.ValidationError("Give either a project or a department.")
        limit = token_projects(self.context["request"])
        if code is not None:
            projects = access.see_project.queryset(user)
            found = (projects if limit is None else projects.filter(pk__in=limit)).filter(code=code).first()
            if found is None:
                raise serializers.ValidationError({"project": "No such project, or not yours to see."})
            attrs.update(scope=Scope.PROJECT, project=found, department=None)
        elif limit is not None:
            raise serializers.ValidationError({"department": "This token is limited to projects: ask about one."})
        else:
            unit = access.see_department.queryset(user).filter(code__iexact=department_code).first()
            if unit is None:
                raise serializers.ValidationError({"department": "No such department, or not yours to see."})
            attrs.update(scope=Scope.DEPARTMENT, project=None, department=unit)
        return attrs


class ReportFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    department = django_filters.CharFilter(field_name="department__code", label="Department code.")
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    audience = django_filters.ChoiceFilter(choices=Audience.choices)
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields: list[str] = []


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Reports the person may open, newest first; POST asks for one now, as the reports page's "Send now"."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["scheduled_for", "period_end", "created_at"]
    ordering = ["-scheduled_for", "-pk"]

    def visible(self, user: Any) -> QuerySet[Report]:
        return (
            access.see_report.queryset(user)
            .select_related("project", "department", "project_manager", "requested_by")
            .defer("snapshot")
        )

    @extend_schema(
        request=ReportRequestSerializer,
        responses={201: ReportSerializer},
        examples=[
            OpenApiExample(
                "A project's highlight report",
                value={"kind": "highlight", "audience": "internal", "project": "ALPHA-1"},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Ask for a report now (queued; it is emailed when ready), with the "Send now" form's checks."""
        asked = ReportRequestSerializer(data=request.data, context=self.get_serializer_context())
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        user = cast("User", request.user)
        form = SendNowForm(
            {"kind": data["kind"], "audience": data["audience"]},
            scope=data["scope"],
            user=user,
            project=data["project"],
            department=data["department"],
        )
        if not form.can_send:
            raise PermissionDenied("You may not send reports about this.")
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: [str(error) for error in errors] for name, errors in form.errors.items()}
            )
        report = report_request(
            kind=form.cleaned_data["kind"],
            audience=form.cleaned_data["audience"],
            scope=data["scope"],
            project=data["project"],
            department=data["department"],
            requested_by=user,
        )
        found = self.visible(user).filter(pk=report.pk).first() or report
        return Response(self.get_serializer(found).data, status=status.HTTP_201_CREATED)


# --- Schedules --------------------------------------------------------------------------------------------------


class ScheduleSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=KINDS)
    audience = serializers.ChoiceField(choices=Audience.choices, read_only=True)
    scope = serializers.ChoiceField(choices=Scope.choices, read_only=True)
    project = serializers.CharField(source="project.code", default=None, allow_null=True, read_only=True)
    department = serializers.CharField(source="department.code", default=None, allow_null=True, read_only=True)
    project_manager = serializers.CharField(
        source="project_manager.username", default=None, allow_null=True, read_only=True
    )
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True, read_only=True)
    local_time = serializers.CharField(read_only=True, help_text="The time of day it runs (HH:MM:SS) in time_zone.")
    weekdays = serializers.ListField(child=serializers.IntegerField(), read_only=True, help_text="1 = Monday.")

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "name",
            "kind",
            "audience",
            "scope",
            "project",
            "department",
            "project_manager",
            "frequency",
            "weekdays",
            "day_of_month",
            "local_time",
            "time_zone",
            "send_to_reporting_heads",
            "send_to_client_contacts",
            "full_commentary",
            "active",
            "paused_reason",
            "paused_at",
            "next_run_at",
            "last_run_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ScheduleFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    department = django_filters.CharFilter(field_name="department__code", label="Department code.")
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = ReportSchedule
        fields: list[str] = []


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Report schedules the person may manage, by name (none for those who keep no schedules)."""

    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    ordering_fields = ["name", "next_run_at"]
    ordering = ["name", "pk"]

    def visible(self, user: Any) -> QuerySet[ReportSchedule]:
        if not access.create_project.allows(user):
            return ReportSchedule.objects.none()
        return access.manage_schedule.queryset(user).select_related(
            "project", "department", "project_manager", "created_by"
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this app.
ROUTES: list[tuple[str, Any, str]] = [
    ("reports", ReportViewSet, "api-report"),
    ("schedules", ScheduleViewSet, "api-schedule"),
]

router = SimpleRouter()
for prefix, viewset, basename in ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
