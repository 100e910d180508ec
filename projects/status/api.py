"""The status domain's API endpoints (registered by ``projects/api.py``), for the project's team
(``access.see_internal``):

* ``/api/v1/status-updates/``: the PM's weekly updates as the project page shows them (ratings, progress,
  commentary and the narrative the client reads too); the cost rating, the budget commentary, every figure and
  the lessons learned (which only the internal reports show) only in ``money``, for those who see the project's
  money (``access.see_money``), else ``null``.
* ``/api/v1/milestones/``: the project's milestones, each with its state today (done, overdue or upcoming).
"""

from __future__ import annotations

from typing import Any, Literal

import django_filters
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Milestone, StatusUpdate
from projects.models.portfolio import RatingSource
from projects.rag import RAG

#: The money fields of a weekly update; ``withheld`` may say why one of them is not published.
MONEY_FIELDS = ("budget_period", "forecast_period", "whole_life_cost")


@extend_schema_field(
    {"type": "string", "pattern": f"^({'|'.join(RAG.values)})$", "description": "A RAG rating; empty: not rated."}
)
class RatingField(serializers.ChoiceField):
    """One of an update's aspect ratings (a pattern, not an enum: an enum named once for each of the five
    aspects would be the same choice set under five names)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RAG.choices, allow_blank=True, read_only=True, **kwargs)


def money_visible(user: Any) -> Case:
    """An annotation: whether ``user`` sees the money of the row's project (``access.see_money``), one
    subquery for the page rather than a query a row."""
    allowed = access.see_money.queryset(user).values("pk")
    return Case(When(project__in=allowed, then=Value(True)), default=Value(False), output_field=BooleanField())


class StatusUpdateMoneySerializer(serializers.Serializer):
    currency = serializers.CharField(source="project.currency")
    rag_cost = RatingField(help_text="The cost rating.")
    commentary_budget = serializers.CharField(allow_blank=True)
    budget_period = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    forecast_period = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    variance_period = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, help_text="Forecast minus budget (positive: overspend)."
    )
    whole_life_cost = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    withheld = serializers.SerializerMethodField(help_text="Text published instead of a figure, by field name.")
    lessons_learned = serializers.CharField(
        allow_blank=True, help_text="Shown only in the internal reports, which go to those who see the money."
    )

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_withheld(self, update: StatusUpdate) -> dict[str, str]:
        withheld = update.withheld if isinstance(update.withheld, dict) else {}
        return {name: str(withheld[name]) for name in MONEY_FIELDS if name in withheld}


class StatusUpdateSerializer(serializers.ModelSerializer):
    rating_source = serializers.ChoiceField(
        choices=RatingSource.choices, allow_blank=True, read_only=True, help_text="Whose assessment the rating is."
    )
    project = serializers.CharField(source="project.code", read_only=True)
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)
    rag_time = RatingField()
    rag_scope = RatingField()
    rag_quality = RatingField()
    rag_risk = RatingField()
    money = serializers.SerializerMethodField()

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "project",
            "as_of",
            "period_label",
            "rating_published",
            "rating_note",
            "rating_source",
            "rag",
            "rag_time",
            "rag_scope",
            "rag_quality",
            "rag_risk",
            "percent_complete",
            "commentary_overall",
            "commentary_schedule",
            "work_done",
            "work_planned",
            "decisions_needed",
            "risks_issues",
            "author",
            "created_at",
            "updated_at",
            "money",
        ]
        read_only_fields = fields

    @extend_schema_field(StatusUpdateMoneySerializer(allow_null=True))
    def get_money(self, update: StatusUpdate) -> dict[str, Any] | None:
        if not update.money_visible:  # type: ignore[attr-defined]
            return None
        return dict(StatusUpdateMoneySerializer(update).data)


class StatusUpdateFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    as_of_after = django_filters.DateFilter(field_name="as_of", lookup_expr="gte", label="As of on or after.")
    as_of_before = django_filters.DateFilter(field_name="as_of", lookup_expr="lte", label="As of on or before.")

    class Meta:
        model = StatusUpdate
        fields: list[str] = []


class StatusUpdateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Weekly status updates of the projects whose internal pages one sees, newest first; money only in
    ``money``, for those who see the project's money."""

    serializer_class = StatusUpdateSerializer
    filterset_class = StatusUpdateFilter
    ordering_fields = ["as_of", "updated_at"]
    ordering = ["-as_of", "-pk"]

    def visible(self, user: Any) -> QuerySet[StatusUpdate]:
        return (
            StatusUpdate.objects.filter(project__in=access.see_internal.queryset(user))
            .select_related("project", "author")
            .annotate(money_visible=money_visible(user))
        )


MilestoneState = Literal["done", "overdue", "upcoming"]


class MilestoneSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "due_date", "completed_on", "weight", "state"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["done", "overdue", "upcoming"]))
    def get_state(self, milestone: Milestone) -> MilestoneState:
        if milestone.completed_on is not None:
            return "done"
        return "overdue" if milestone.due_date < timezone.localdate() else "upcoming"


class MilestoneFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    state = django_filters.ChoiceFilter(
        choices=[("done", "done"), ("overdue", "overdue"), ("upcoming", "upcoming")],
        method="in_state",
        label="Done (completed), overdue (open, due before today) or upcoming (open, due today or later).",
    )

    class Meta:
        model = Milestone
        fields: list[str] = []

    def in_state(self, queryset: QuerySet[Milestone], name: str, value: str) -> QuerySet[Milestone]:
        today = timezone.localdate()
        states = {
            "done": Q(completed_on__isnull=False),
            "overdue": Q(completed_on__isnull=True, due_date__lt=today),
            "upcoming": Q(completed_on__isnull=True, due_date__gte=today),
        }
        return queryset.filter(states[value]) if value in states else queryset


class MilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Milestones of the projects whose internal pages one sees, by due date."""

    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["due_date", "name"]
    ordering = ["due_date", "pk"]

    def visible(self, user: Any) -> QuerySet[Milestone]:
        return Milestone.objects.filter(project__in=access.see_internal.queryset(user)).select_related("project")


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [
    ("status-updates", StatusUpdateViewSet, "api-status-update"),
    ("milestones", MilestoneViewSet, "api-milestone"),
]
