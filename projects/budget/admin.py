"""Django admin for budgets, budget lines, time and expenses, baselines, tolerance exceptions, alerts,
contingency requests and the budget audit trail (the snapshots and the trail are read-only here)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import (
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyRequest,
    ExceptionPlan,
    Expense,
    ProjectBudget,
    ProjectFigures,
    TimeEntry,
    TimeTimer,
    ToleranceException,
)


@admin.register(ProjectBudget)
class ProjectBudgetAdmin(admin.ModelAdmin):
    list_display = ("project", "contingency_reserve", "cost_tolerance_percent", "time_tolerance_days")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ("project", "category", "amount")
    list_filter = ("category",)
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    """Time is read here, not written: logging, costing, approval and reopening go through the timesheet and
    the approvals page, which cost each entry, lock approved time and record every decision (a change here
    would keep the old cost and bill amount and leave no trace; adding one failed, its rates not being on the
    form). Deleting stays, as a project's deletion takes its time with it."""

    list_display = ("date", "member", "project", "hours", "billable", "approval", "cost")
    list_filter = ("approval", "billable", "date")
    search_fields = ("project__code", "member__name", "note")
    list_select_related = ("project", "member")
    autocomplete_fields = ("project", "member")
    date_hierarchy = "date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TimeEntry | None = None) -> bool:
        return False


@admin.register(TimeTimer)
class TimeTimerAdmin(admin.ModelAdmin):
    """Timers running now: an administrator may remove one a person left running (nothing is logged)."""

    list_display = ("member", "project", "started_at")
    list_select_related = ("member", "project")
    search_fields = ("member__name", "project__code")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TimeTimer | None = None) -> bool:
        return False


@admin.register(Expense)
class ExpenseAdmin(PrivateFilesAdminMixin, admin.ModelAdmin):
    private_file_downloads = {"receipt": ProtectedDownload("projects:expense_receipt", "project")}
    list_display = ("date", "project", "category", "supplier", "amount")
    list_filter = ("category", "date")
    search_fields = ("project__code", "supplier")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    date_hierarchy = "date"


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ("project", "created_at", "reason")
    search_fields = ("project__code", "reason")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in Baseline._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # baselines are snapshots taken by projects.budget.services.plan.baseline_create


@admin.register(ToleranceException)
class ToleranceExceptionAdmin(admin.ModelAdmin):
    list_display = ("project", "kind", "state", "raised_at")
    list_filter = ("kind", "state")
    search_fields = ("project__code",)
    list_select_related = ("project",)
    readonly_fields = [f.name for f in ToleranceException._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # raised by budget_check, once per breach


@admin.register(BudgetAlert)
class BudgetAlertAdmin(admin.ModelAdmin):
    list_display = ("project", "threshold")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in BudgetAlert._meta.fields]


@admin.register(ContingencyRequest)
class ContingencyRequestAdmin(admin.ModelAdmin):
    list_display = ("project", "amount", "state")
    list_filter = ("state",)
    search_fields = ("project__code", "reason")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in ContingencyRequest._meta.fields]


@admin.register(ExceptionPlan)
class ExceptionPlanAdmin(admin.ModelAdmin):
    list_display = ("exception", "state", "submitted_at", "decided_at")
    list_filter = ("state",)
    search_fields = ("exception__project__code", "recommendation")
    list_select_related = ("exception__project",)
    # Written and decided on the plan page only (the audit trail and the PM's email go with each step).
    readonly_fields = [f.name for f in ExceptionPlan._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BudgetEvent)
class BudgetEventAdmin(admin.ModelAdmin):
    list_display = ("project", "action", "at", "actor")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in BudgetEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the audit trail is written by the budget services only


@admin.register(ProjectFigures)
class ProjectFiguresAdmin(admin.ModelAdmin):
    """Each project's kept sums, read-only: written by ``projects.budget.figures`` whenever the rows they add up
    change, so an edit here would only be overwritten (or, worse, believed)."""

    list_display = ("project", "as_of", "next_due", "lines_total", "time_cost", "expense_cost", "rag_now")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in ProjectFigures._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProjectFigures | None = None) -> bool:
        return False
