"""Django admin for clients, projects, status updates and milestones.

The admin is open to administrators only (apm.admin_site); everyone else
works in APM's own pages, scoped by apm.access.
"""

from __future__ import annotations

from django.contrib import admin

from projects.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import (
    Allocation,
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    Client,
    ClientContact,
    ContingencyRequest,
    Expense,
    Milestone,
    OpenRole,
    OpenRoleSkill,
    Project,
    ProjectBudget,
    StatusUpdate,
    TimeEntry,
    ToleranceException,
)


class ClientContactInline(admin.TabularInline):
    model = ClientContact
    extra = 0
    fields = ("name", "email", "user", "opted_in_reports")
    autocomplete_fields = ("user",)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name", "contacts__name", "contacts__email")
    inlines = [ClientContactInline]


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "client", "user", "opted_in_reports")
    list_filter = ("opted_in_reports", "client")
    search_fields = ("name", "email", "client__name")
    autocomplete_fields = ("client", "user")
    list_select_related = ("client", "user")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("name", "due_date", "completed_on", "weight")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "client", "rag", "status", "category", "end_date", "bac", "currency")
    list_filter = ("status", "rag", "departments", "category", "currency")
    search_fields = ("code", "name", "reference", "client__name")
    list_select_related = ("client",)
    filter_horizontal = ("departments", "reporting_heads", "team_members")
    autocomplete_fields = ("client", "project_manager")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "end_date"
    inlines = [MilestoneInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "reference", "client", "category", "description")}),
        ("People", {"fields": ("departments", "project_manager", "reporting_heads", "team_members")}),
        ("Status and money", {"fields": ("status", "rag", "start_date", "end_date", "bac", "currency")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    list_display = ("project", "as_of", "rating_published", "rag", "percent_complete", "source")
    list_filter = ("rag", "source", "as_of")
    search_fields = ("project__code", "project__name", "rating_published", "commentary_overall")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    date_hierarchy = "as_of"
    readonly_fields = ("created_at",)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "due_date", "completed_on")
    list_filter = ("due_date", "completed_on")
    search_fields = ("name", "project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)


# --- Budget, time and costs (issue 4) ---------------------------------------


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


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
    list_display = ("date", "member", "project", "hours", "billable", "cost")
    list_filter = ("billable", "date")
    search_fields = ("project__code", "member__name", "note")
    list_select_related = ("project", "member")
    autocomplete_fields = ("project", "member")
    date_hierarchy = "date"


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

    def has_add_permission(self, request) -> bool:
        return False  # baselines are snapshots taken by projects.budget.services.baseline_create


@admin.register(ToleranceException)
class ToleranceExceptionAdmin(admin.ModelAdmin):
    list_display = ("project", "kind", "state", "raised_at")
    list_filter = ("kind", "state")
    search_fields = ("project__code",)
    list_select_related = ("project",)
    readonly_fields = [f.name for f in ToleranceException._meta.fields]

    def has_add_permission(self, request) -> bool:
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


@admin.register(BudgetEvent)
class BudgetEventAdmin(admin.ModelAdmin):
    list_display = ("project", "action", "at", "actor")
    list_select_related = ("project",)
    readonly_fields = [f.name for f in BudgetEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # the audit trail is written by the budget services only


# --- Staffing (issue 3) ------------------------------------------------------


class OpenRoleSkillInline(admin.TabularInline):
    model = OpenRoleSkill
    extra = 0
    autocomplete_fields = ("skill",)


@admin.register(OpenRole)
class OpenRoleAdmin(admin.ModelAdmin):
    list_display = ("project", "title", "hours_per_week", "start_date", "end_date", "status")
    list_filter = ("status",)
    search_fields = ("project__code", "title")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    inlines = [OpenRoleSkillInline]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ("member", "project", "hours_per_week", "start_date", "end_date", "status")
    list_filter = ("status",)
    search_fields = ("project__code", "member__name")
    list_select_related = ("project", "member")
    autocomplete_fields = ("project", "member")


import projects.delivery.admin  # noqa: E402,F401  (quality standards, deliverables, changes, RAID)
from projects.documents import admin as documents_admin  # noqa: E402,F401  (documents, clauses, correspondence)
