"""The planning domain's API endpoints (registered by ``projects/api.py``): ``/api/v1/tasks/``, the tasks of the
projects whose internal pages one sees (``access.see_internal``), as the tasks page shows them.

Writes go through ``projects.planning.services``, the services of the task forms and the board, on the projects
whose tasks one may change (``access.edit_tasks``, as those pages ask): POST adds a task (``task_create``, with
its checks: a deliverable, an assignee or a predecessor of another project is refused) and
``POST /api/v1/tasks/<id>/move/`` moves one along the task workflow (``task_move``). A task carries no money.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apm import access
from apm.accounts.models import User
from apm.api.viewsets import ApiViewSet, token_projects
from apm.dates import parse_id_param
from projects.models import Deliverable, Project, Task, TaskPriority, TaskStatus
from projects.planning import services
from teams.api import id_filter
from teams.models import TeamMember

EDIT_REFUSED = (
    "Only the project's team, its project manager, a head of its departments or an administrator may change its tasks."
)


class IdOf(serializers.PrimaryKeyRelatedField):
    """A row by its id: anything but a whole number a database id holds is refused as the field's error (SQLite
    cannot even compare a larger one)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or parse_id_param(str(data)) is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": TaskStatus.values, "x-spec-enum-id": "task-status"})
class StatusField(serializers.ChoiceField):
    """A task's status as read (its enum named apart from the other endpoints' "status")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TaskStatus.choices, read_only=True, **kwargs)


class AssigneeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "name"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    reference = serializers.CharField(read_only=True, help_text="T-<id>.")
    status = StatusField()
    deliverable = serializers.IntegerField(source="deliverable_id", allow_null=True, read_only=True)
    deliverable_name = serializers.CharField(source="deliverable.name", default=None, allow_null=True, read_only=True)
    assignees = AssigneeSerializer(many=True, read_only=True, help_text="People of the project's team.")
    depends_on = serializers.SerializerMethodField(help_text="The ids of its finish-to-start predecessors.")
    checklist_items = serializers.IntegerField(source="ticks", read_only=True)
    checklist_done = serializers.IntegerField(source="ticked", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "reference",
            "project",
            "title",
            "description",
            "deliverable",
            "deliverable_name",
            "assignees",
            "estimate_hours",
            "start_date",
            "due_date",
            "status",
            "priority",
            "position",
            "depends_on",
            "recurrence",
            "checklist_items",
            "checklist_done",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_depends_on(self, task: Task) -> list[int]:
        return [before.pk for before in task.depends_on.all()]


class TaskCreateSerializer(serializers.Serializer):
    """A task to add: the "New task" form."""

    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.none(), help_text="The code of a project whose tasks you plan."
    )
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    deliverable = IdOf(
        queryset=Deliverable.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of one of the project's deliverables.",
    )
    assignees = IdOf(
        queryset=TeamMember.objects.none(),
        many=True,
        required=False,
        default=list,
        help_text="Ids of people of the project's team.",
    )
    estimate_hours = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("99999"),
        required=False,
        allow_null=True,
        default=None,
    )
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False, default=TaskPriority.NORMAL)
    depends_on = IdOf(
        queryset=Task.objects.none(),
        many=True,
        required=False,
        default=list,
        help_text="Ids of tasks of the project to finish before this one starts.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema's generator
            return
        editable = access.edit_tasks.queryset(request.user)
        limit = token_projects(request)
        if limit is not None:
            editable = editable.filter(pk__in=limit)
        fields = self.fields
        fields["project"] = serializers.SlugRelatedField(slug_field="code", queryset=editable)
        fields["deliverable"] = IdOf(
            queryset=Deliverable.objects.filter(project__in=editable), required=False, allow_null=True, default=None
        )
        fields["assignees"] = IdOf(
            queryset=TeamMember.objects.filter(projects__in=editable).distinct(),
            many=True,
            required=False,
            default=list,
        )
        fields["depends_on"] = IdOf(
            queryset=Task.objects.filter(project__in=editable), many=True, required=False, default=list
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, due = attrs.get("start_date"), attrs.get("due_date")
        if start and due and start > due:
            raise serializers.ValidationError({"start_date": "The start is after the due date."})
        return attrs


class TaskMoveSerializer(serializers.Serializer):
    """Where a task moves along the workflow (the board's "Move to")."""

    to = serializers.ChoiceField(choices=TaskStatus.choices, help_text="The new status.")


class TaskFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    deliverable = id_filter("deliverable_id", "A deliverable's id.")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    assignee = id_filter("assignees", "An assignee's id (a team member).")

    class Meta:
        model = Task
        fields: list[str] = []


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Tasks of the projects whose internal pages one sees, earliest due first; POST adds one and ``move`` moves
    one, on the projects whose tasks one may change, through the planning services."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_date", "start_date", "priority", "position", "created_at", "updated_at"]
    ordering = ["due_date", "position", "pk"]

    def visible(self, user: Any) -> QuerySet[Task]:
        # What the tasks page reads (projects.planning.selectors.task_list), for every project seen.
        return (
            Task.objects.filter(project__in=access.see_internal.queryset(user))
            .select_related("project", "deliverable")
            .prefetch_related(
                Prefetch("assignees", queryset=TeamMember.objects.order_by("name")),
                Prefetch("depends_on", queryset=Task.objects.only("id")),
            )
            .annotate(
                ticks=Count("checklist", distinct=True),
                ticked=Count("checklist", filter=Q(checklist__done=True), distinct=True),
            )
        )

    def _shown(self, task: Task) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
        examples=[
            OpenApiExample(
                "A task",
                value={"project": "ALPHA-1", "title": "Record the voice-over", "estimate_hours": "6.5"},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = TaskCreateSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        task = services.task_create(user=cast(User, request.user), **fields)
        shown = self._shown(task)
        shown.status_code = status.HTTP_201_CREATED
        return shown

    @extend_schema(request=TaskMoveSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the task to another status (last of its new column), as the board does; a move the workflow does
        not allow is a 400 naming the allowed ones."""
        task = self.get_object()
        user = cast(User, request.user)
        if not access.edit_tasks.allows(user, task.project):
            raise PermissionDenied(EDIT_REFUSED)
        given = TaskMoveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.task_move(task=task, user=user, to=given.validated_data["to"])
        return self._shown(task)


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [("tasks", TaskViewSet, "api-task")]
