"""The budget domain's API endpoints (registered by ``projects/api.py``).

* ``/api/v1/time-entries/``: the caller's own time entries (their timesheet) and, on the projects whose time they
  approve (``access.approve_time``), the entries people have submitted (as the approvals page shows them; an
  entry nobody has submitted yet stays its author's). Hours, dates and approval state for everyone; costs, bill
  amounts and rates only in ``money``, for those who see the project's money (``access.see_money``). POST files
  a time entry for oneself on a project one logs time on (``access.log_time``), through the service the
  timesheet's form calls.
* ``/api/v1/budgets/<code>/``: a project's budget and earned value figures as its budget page shows them, only
  for projects whose money the person sees (others are not listed, a 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apm import access
from apm.api.filters import id_filter
from apm.api.viewsets import ApiViewSet, token_projects
from apm.dates import parse_date_param
from projects.budget import evm, selectors
from projects.budget.services.costs import time_entry_record
from projects.models import (
    Approval,
    ExceptionState,
    Project,
    ProjectBudget,
    Task,
    TimeEntry,
    ToleranceException,
)
from projects.planning.selectors import open_tasks_of

if TYPE_CHECKING:
    from apm.accounts.models import User


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _budget_of(project: Project) -> ProjectBudget | None:
    try:
        return project.budget
    except ProjectBudget.DoesNotExist:
        return None


def money_visible(context: Mapping[str, Any], project_id: int) -> bool:
    """Whether the request's user (of a serializer's ``context``) sees the money of project ``project_id``
    (``access.see_money``): its ids read once a request (None: every project's)."""
    request = context["request"]
    if not hasattr(request, "_apm_money_ids"):
        request._apm_money_ids = access.see_money.ids(request.user)
    ids: frozenset[int] | None = request._apm_money_ids
    return ids is None or project_id in ids


# --- Time entries ---------------------------------------------------------------------------------------------


class TimeEntryMoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    cost_rate = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Cost per hour when logged.")
    cost = serializers.DecimalField(max_digits=18, decimal_places=2)
    bill_rate = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    bill_rate_source = serializers.CharField(help_text="Where the bill rate came from; empty without one.")
    bill_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)


class TimeEntrySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    person = serializers.IntegerField(source="member_id", read_only=True, help_text="The person's id.")
    person_name = serializers.CharField(source="member.name", read_only=True)
    task = serializers.IntegerField(source="task_id", allow_null=True, read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True, read_only=True)
    money = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "project",
            "person",
            "person_name",
            "date",
            "hours",
            "billable",
            "note",
            "task",
            "approval",
            "submitted_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "created_at",
            "money",
        ]
        read_only_fields = fields

    @extend_schema_field(TimeEntryMoneySerializer(allow_null=True))
    def get_money(self, entry: TimeEntry) -> dict[str, Any] | None:
        if not money_visible(self.context, entry.project_id):
            return None
        return {
            "currency": entry.currency,
            "cost_rate": _money(entry.cost_rate),
            "cost": _money(entry.cost),
            "bill_rate": _money(entry.bill_rate),
            "bill_rate_source": entry.bill_rate_source,
            "bill_amount": _money(entry.bill_amount),
        }


class TimeEntryCreateSerializer(serializers.Serializer):
    """A time entry to file for oneself: the timesheet's one-entry form."""

    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.none(), help_text="The code of a project you log time on."
    )
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=Decimal("0.25"), max_value=Decimal("24"))
    billable = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    task = serializers.PrimaryKeyRelatedField(
        queryset=Task.objects.none(), required=False, allow_null=True, default=None, help_text="An open task's id."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        loggable = access.log_time.queryset(getattr(request, "user", None))
        limit = token_projects(request) if request is not None else None
        if limit is not None:
            loggable = loggable.filter(pk__in=limit)
        project: Any = self.fields["project"]
        task: Any = self.fields["task"]
        project.queryset = loggable
        task.queryset = open_tasks_of(loggable)

    def validate_date(self, value: dt.date) -> dt.date:
        if not (dt.date(1900, 1, 1) <= value <= dt.date(2200, 12, 31)):
            raise serializers.ValidationError("Give a date between 1900 and 2200.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        task, project = attrs.get("task"), attrs["project"]
        if task is not None and task.project_id != project.pk:
            raise serializers.ValidationError({"task": f"That task is not one of {project.code}'s."})
        return attrs


class TimeEntryFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    person = id_filter("member_id", "The person's id.")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after (YYYY-MM-DD).")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before (YYYY-MM-DD).")
    approval = django_filters.ChoiceFilter(choices=Approval.choices)
    mine = django_filters.BooleanFilter(method="only_mine", label="Only my own entries (true) or only others' (false).")

    class Meta:
        model = TimeEntry
        fields: list[str] = []

    def only_mine(self, queryset: QuerySet[TimeEntry], name: str, value: bool | None) -> QuerySet[TimeEntry]:
        if value is None:
            return queryset
        own = access.change_own_time.queryset(getattr(self.request, "user", None)).values("pk")
        return queryset.filter(pk__in=own) if value else queryset.exclude(pk__in=own)


class TimeEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Time entries: one's own, and those submitted on projects whose time one approves. Money only in ``money``,
    for those who see the project's money."""

    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter
    ordering_fields = ["date", "hours", "created_at"]
    ordering = ["-date", "pk"]

    def visible(self, user: Any) -> QuerySet[TimeEntry]:
        own = access.change_own_time.queryset(user).values("pk")
        approving = access.approve_time.queryset(user).values("pk")
        shown = Q(pk__in=own) | (Q(project__in=approving) & ~Q(approval=Approval.OPEN))
        return TimeEntry.objects.filter(shown).select_related("project", "member", "decided_by")

    @extend_schema(
        request=TimeEntryCreateSerializer,
        responses={201: TimeEntrySerializer},
        examples=[
            OpenApiExample(
                "Three hours on a project",
                value={"project": "ALPHA-1", "date": "2026-03-02", "hours": "3.00", "note": "Workshop"},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a time entry for yourself on a project you log time on (the timesheet's one-entry form)."""
        if not access.keep_timesheet.allows(request.user):
            raise PermissionDenied("No timesheet for this login: time is logged by people with a person record.")
        form = TimeEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        user = cast("User", request.user)
        entry = time_entry_record(member=user.team_member, actor=user, **form.validated_data)
        entry = self.visible(request.user).get(pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


# --- Budgets ----------------------------------------------------------------------------------------------------


class BudgetMoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    bac = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Budget at completion.")
    pv = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Planned value.")
    ev = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Earned value.")
    ac = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Actual cost.")
    cv = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Cost variance (EV - AC).")
    sv = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Schedule variance (EV - PV).")
    eac = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="The forecast (estimate at completion).")
    eac_method = serializers.CharField()
    eac_typical = serializers.DecimalField(max_digits=30, decimal_places=2, allow_null=True)
    eac_atypical = serializers.DecimalField(max_digits=30, decimal_places=2)
    eac_bottom_up = serializers.DecimalField(max_digits=30, decimal_places=2, allow_null=True)
    etc = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Estimate to complete (EAC - AC).")
    vac = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="Variance at completion (BAC - EAC).")
    remaining = serializers.DecimalField(max_digits=30, decimal_places=2, help_text="BAC - AC.")
    burn_rate_per_week = serializers.DecimalField(max_digits=30, decimal_places=2, allow_null=True)
    contingency_reserve = serializers.DecimalField(max_digits=30, decimal_places=2, allow_null=True)
    etc_bottom_up = serializers.DecimalField(max_digits=30, decimal_places=2, allow_null=True)


class ToleranceSerializer(serializers.Serializer):
    cost_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="The forecast may differ from BAC by this share either way."
    )
    time_days = serializers.IntegerField(help_text="The forecast finish may differ from the baseline's by this.")
    open_exceptions = serializers.ListField(
        child=serializers.ChoiceField(choices=["cost", "time"]), help_text="The tolerances broken now."
    )
    state = serializers.ChoiceField(choices=["within", "exception"])


class BudgetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    as_of = serializers.DateField()
    cost_basis = serializers.CharField(help_text="Which time actual cost reads: all, or approved only.")
    cpi = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    spi = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    tcpi_bac = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    tcpi_eac = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    percent_complete = serializers.DecimalField(max_digits=7, decimal_places=2)
    planned_percent = serializers.DecimalField(max_digits=7, decimal_places=2)
    planned_finish = serializers.DateField(allow_null=True)
    forecast_finish = serializers.DateField(allow_null=True)
    tolerance = ToleranceSerializer()
    money = BudgetMoneySerializer(allow_null=True)

    def to_representation(self, project: Any) -> dict[str, Any]:
        as_of: dt.date = self.context["as_of"]
        m = evm.evm_compute(selectors.evm_inputs_of(project, as_of=as_of))
        budget = _budget_of(project)
        kinds = sorted({exception.kind for exception in project.open_exceptions})

        def index(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.4f}"

        money = None
        if money_visible(self.context, project.pk):
            money = {
                "currency": project.currency,
                **{
                    name: _money(getattr(m, name))
                    for name in ("bac", "pv", "ev", "ac", "cv", "sv", "eac", "eac_typical", "eac_atypical")
                },
                "eac_method": m.eac_method,
                "eac_bottom_up": _money(m.eac_bottom_up),
                "etc": _money(m.etc),
                "vac": _money(m.vac),
                "remaining": _money(m.bac - m.ac),
                "burn_rate_per_week": _money(m.burn_rate_per_week),
                "contingency_reserve": _money(budget.contingency_reserve) if budget else None,
                "etc_bottom_up": _money(budget.etc_bottom_up) if budget else None,
            }
        return {
            "code": project.code,
            "name": project.name,
            "as_of": as_of.isoformat(),
            "cost_basis": budget.cost_basis if budget else "all",
            "cpi": index(m.cpi),
            "spi": index(m.spi),
            "tcpi_bac": index(m.tcpi_bac),
            "tcpi_eac": index(m.tcpi_eac),
            "percent_complete": f"{m.percent_complete:.2f}",
            "planned_percent": f"{m.planned_percent:.2f}",
            "planned_finish": None if m.planned_finish is None else m.planned_finish.isoformat(),
            "forecast_finish": None if m.forecast_finish is None else m.forecast_finish.isoformat(),
            "tolerance": {
                "cost_percent": f"{budget.cost_tolerance_percent:.2f}" if budget else "10.00",
                "time_days": budget.time_tolerance_days if budget else 14,
                "open_exceptions": kinds,
                "state": "exception" if kinds else "within",
            },
            "money": money,
        }


AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="The day the figures are as of (YYYY-MM-DD); today when missing."
)


class BudgetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name or code (case-insensitive).")

    class Meta:
        model = Project
        fields: list[str] = []

    def search(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


@extend_schema(parameters=[AS_OF])
class BudgetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Budgets and earned value of the projects whose money one sees, by project code (``?as_of=`` a day)."""

    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    ordering_fields = ["code", "name"]
    ordering = ["code"]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    project_path = ""

    def as_of(self) -> dt.date:
        return parse_date_param(self.request.query_params.get("as_of"), selectors.today())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "as_of": self.as_of()}

    def visible(self, user: Any) -> QuerySet[Project]:
        projects = access.see_money.listed(user)
        opened = ToleranceException.objects.filter(state=ExceptionState.OPEN)
        return selectors.with_plan(selectors.with_cost_figures(projects, as_of=self.as_of())).prefetch_related(
            Prefetch("tolerance_exceptions", queryset=opened, to_attr="open_exceptions")
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [
    ("time-entries", TimeEntryViewSet, "api-time-entry"),
    ("budgets", BudgetViewSet, "api-budget"),
]
