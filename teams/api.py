"""The teams app's API endpoints under ``/api/v1/`` (``apm/urls.py`` includes this module by name): people,
the skills catalogue and departments.

People are those the people and skills pages show (``access.see_member``), with their skills and levels; a
person's cost and bill rates are in ``money``, ``null`` unless ``access.see_member_rates`` allows them
(administrators and the heads of the person's department). People are no project's rows: a token limited to
some projects still reads the people its person sees.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from apm import access
from apm.api.filters import id_filter
from apm.api.viewsets import ApiViewSet
from teams.models import Department, MemberRate, MemberSkill, Skill, TeamMember


class NotProjectRows(ApiViewSet):
    """An endpoint whose rows belong to no project: the policy's rows, which a project-limited token does not
    narrow."""

    def get_queryset(self) -> QuerySet[Any]:
        return self.visible(self.request.user)


class MemberSkillSerializer(serializers.ModelSerializer):
    skill = serializers.IntegerField(source="skill_id")
    name = serializers.CharField(source="skill.name")

    class Meta:
        model = MemberSkill
        fields = ["skill", "name", "level", "last_assessed"]


class RateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberRate
        fields = ["cost_rate", "bill_rate", "currency", "valid_from", "valid_to"]


class PersonMoneySerializer(serializers.Serializer):
    rates = RateSerializer(many=True, help_text="Cost and bill rates per hour, newest first.")


class PersonSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    role_title = serializers.CharField(source="role_label")
    username = serializers.CharField(source="user.username", default=None, allow_null=True)
    skills = MemberSkillSerializer(many=True, source="skill_rows")
    money = serializers.SerializerMethodField()

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "name",
            "username",
            "department",
            "role_title",
            "weekly_capacity_hours",
            "working_days",
            "is_active",
            "skills",
            "money",
        ]

    @extend_schema_field(PersonMoneySerializer(allow_null=True))
    def get_money(self, member: TeamMember) -> dict[str, Any] | None:
        allowed = self.context["rates_visible"]  # None: an administrator's every person
        if allowed is not None and member.pk not in allowed:
            return None
        return {"rates": RateSerializer(member.rate_rows, many=True).data}  # type: ignore[attr-defined]


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Part of the name.")
    department = django_filters.CharFilter(field_name="department__code", label="Department code.")
    skill = id_filter("skills__skill_id", "Has this skill (its id).")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = TeamMember
        fields: list[str] = []


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NotProjectRows):
    """The people the person sees, with skills and levels; rates only where they may see them."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["name"]
    ordering = ["name", "pk"]

    def visible(self, user: Any) -> QuerySet[TeamMember]:
        return (
            access.see_member.queryset(user)
            .select_related("department", "job_role", "user")
            .prefetch_related(
                Prefetch(
                    "skills",
                    queryset=MemberSkill.objects.select_related("skill").order_by("-level", "skill__name"),
                    to_attr="skill_rows",
                ),
                Prefetch(
                    "rates",
                    # Only the rates the person may see are read at all.
                    queryset=MemberRate.objects.filter(member__in=access.see_member_rates.queryset(user)).order_by(
                        "-valid_from"
                    ),
                    to_attr="rate_rows",
                ),
            )
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["rates_visible"] = access.see_member_rates.ids(self.request.user)
        return context


class SkillSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")

    class Meta:
        model = Skill
        fields = ["id", "name", "category", "hot_technology"]


class SkillFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Part of the name.")
    category = django_filters.CharFilter(field_name="category__name", label="Category name.")

    class Meta:
        model = Skill
        fields: list[str] = []


class SkillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NotProjectRows):
    """The skills catalogue (the skills matrix's columns)."""

    serializer_class = SkillSerializer
    filterset_class = SkillFilter
    ordering_fields = ["name"]
    ordering = ["name", "pk"]

    def visible(self, user: Any) -> QuerySet[Skill]:
        return Skill.objects.select_related("category")


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NotProjectRows):
    """The departments of the people the person sees (as the capacity page lists them)."""

    serializer_class = DepartmentSerializer
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def visible(self, user: Any) -> QuerySet[Department]:
        return Department.objects.filter(pk__in=access.see_member.queryset(user).values("department"))


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this app.
ROUTES: list[tuple[str, Any, str]] = [
    ("people", PersonViewSet, "api-person"),
    ("skills", SkillViewSet, "api-skill"),
    ("departments", DepartmentViewSet, "api-department"),
]

router = SimpleRouter()
for prefix, viewset, basename in ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
