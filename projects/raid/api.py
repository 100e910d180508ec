"""The RAID domain's API endpoints (registered by ``projects/api.py``): ``/api/v1/raid-items/``, the RAID log of
the projects whose internal pages one sees (``access.see_internal``), as the log and an item's page show it.

POST logs a risk, issue, assumption or dependency on a project one works on (``access.work_on_project``, as the
"New risk" form's page asks) through ``projects.raid.services.raid_item_create``, the form's service: the same
checks and refusals (a risk needs a probability and an impact, an issue a severity; a field of another kind is
refused), the same history, and a critical issue tells the heads at once. A RAID item carries no money.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apm import access
from apm.accounts.models import User
from apm.api.viewsets import ApiViewSet, token_projects
from projects.common.forms import work_owners
from projects.models import Project, RaidItem, RaidKind, RaidStatus, Severity
from projects.raid import services


@extend_schema_field({"type": "string", "enum": RaidKind.values, "x-spec-enum-id": "raid-item-kind"})
class KindField(serializers.ChoiceField):
    """A RAID item's kind as read (its enum named apart from the request's, which the schema would otherwise
    take for a clash with the other endpoints' "kind")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RaidKind.choices, read_only=True, **kwargs)


class RaidItemSerializer(serializers.ModelSerializer):
    kind = KindField()
    severity = serializers.ChoiceField(
        choices=Severity.choices, allow_blank=True, read_only=True, help_text="An issue's; empty for other kinds."
    )
    project = serializers.CharField(source="project.code", read_only=True)
    reference = serializers.CharField(read_only=True, help_text="Kind letter and id: R-12, I-13, A-14, D-15.")
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True, read_only=True)
    raised_by = serializers.CharField(source="raised_by.username", default=None, allow_null=True, read_only=True)
    score = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="A risk's probability times impact (1-25); null for other kinds."
    )
    is_critical = serializers.BooleanField(read_only=True, help_text="An issue of critical severity.")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = RaidItem
        fields = [
            "id",
            "project",
            "reference",
            "kind",
            "title",
            "description",
            "owner",
            "status",
            "raised_by",
            "raised_at",
            "due_date",
            "probability",
            "impact",
            "score",
            "mitigation",
            "contingency_plan",
            "trigger",
            "severity",
            "is_critical",
            "affects_client",
            "client_message",
            "client_notified_at",
            "ack_deadline",
            "acknowledged_by",
            "acknowledged_at",
            "escalated_at",
            "closed_at",
        ]
        read_only_fields = fields


class RaidItemCreateSerializer(serializers.Serializer):
    """A RAID item to log: the "New risk" (issue, assumption, dependency) form. Send only the fields of its kind:
    probability, impact, mitigation, contingency_plan and trigger are a risk's; severity, affects_client and
    client_message an issue's."""

    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.none(), help_text="The code of a project you work on."
    )
    kind = serializers.ChoiceField(choices=RaidKind.choices)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text="The username of the project's PM or of a team member with a login.",
    )
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Review, validation or need-by date.")
    probability = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, help_text="A risk's, 1-5."
    )
    impact = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, help_text="A risk's, 1-5."
    )
    mitigation = serializers.CharField(required=False, allow_blank=True)
    contingency_plan = serializers.CharField(required=False, allow_blank=True)
    trigger = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_null=True, allow_blank=True, help_text="An issue's."
    )
    affects_client = serializers.BooleanField(required=False)
    client_message = serializers.CharField(
        required=False, allow_blank=True, help_text="What the client is told, in client words."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema's generator
            return
        workable = access.work_on_project.queryset(request.user)
        limit = token_projects(request)
        if limit is not None:
            workable = workable.filter(pk__in=limit)
        self.fields["project"] = serializers.SlugRelatedField(slug_field="code", queryset=workable)
        self.fields["owner"] = serializers.SlugRelatedField(
            slug_field="username", queryset=access.internal_users(), required=False, allow_null=True
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        owner, project = attrs.get("owner"), attrs["project"]
        if owner is not None and not work_owners(project).filter(pk=owner.pk).exists():
            raise serializers.ValidationError(
                {"owner": f"{owner.username} is neither the PM nor on the team of {project.code}."}
            )
        return attrs


class RaidItemFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    kind = django_filters.ChoiceFilter(choices=RaidKind.choices)
    status = django_filters.ChoiceFilter(choices=RaidStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label="An issue's severity.")

    class Meta:
        model = RaidItem
        fields: list[str] = []


class RaidItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """The RAID logs of the projects whose internal pages one sees, open items first; POST logs an item on a
    project one works on, through the form's service."""

    serializer_class = RaidItemSerializer
    filterset_class = RaidItemFilter
    ordering_fields = ["raised_at", "due_date", "status", "kind"]
    ordering = ["status", "kind", "-raised_at", "-pk"]

    def visible(self, user: Any) -> QuerySet[RaidItem]:
        return RaidItem.objects.filter(project__in=access.see_internal.queryset(user)).select_related(
            "project", "owner", "raised_by", "acknowledged_by"
        )

    @extend_schema(
        request=RaidItemCreateSerializer,
        responses={201: RaidItemSerializer},
        examples=[
            OpenApiExample(
                "A risk",
                value={
                    "project": "ALPHA-1",
                    "kind": "risk",
                    "title": "The supplier may deliver late",
                    "probability": 2,
                    "impact": 4,
                },
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = RaidItemCreateSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        project, kind = fields.pop("project"), fields.pop("kind")
        # A row read back carries every kind's fields, blank (or false) where not its kind's: those say nothing.
        others = set(services.RISK_FIELDS) ^ set(services.ISSUE_FIELDS)
        fields = {name: value for name, value in fields.items() if name not in others or value not in ("", None, False)}
        item = services.raid_item_create(project=project, kind=kind, user=cast(User, request.user), **fields)
        shown = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [("raid-items", RaidItemViewSet, "api-raid-item")]
