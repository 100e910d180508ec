"""Django admin for clients, projects, status updates and milestones.

Lists for staff who are not administrators are scoped through
``apm.access.visible_projects``, like every other page: a head with admin
access sees and edits only the projects they may see.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apm.access import visible_projects
from projects.models import Client, ClientContact, Milestone, Project, StatusUpdate


def _is_admin(request: HttpRequest) -> bool:
    return request.user.is_administrator


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        qs = super().get_queryset(request)
        if _is_admin(request):
            return qs
        return qs.filter(pk__in=visible_projects(request.user).values("client"))


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "client", "user", "opted_in_reports")
    list_filter = ("opted_in_reports", "client")
    search_fields = ("name", "email", "client__name")
    autocomplete_fields = ("client", "user")
    list_select_related = ("client", "user")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClientContact]:
        qs = super().get_queryset(request)
        if _is_admin(request):
            return qs
        return qs.filter(client__in=visible_projects(request.user).values("client"))


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("name", "due_date", "completed_on")


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        if _is_admin(request):
            return super().get_queryset(request)
        return visible_projects(request.user).select_related("client")


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    list_display = ("project", "as_of", "rating_published", "rag", "percent_complete", "source")
    list_filter = ("rag", "source", "as_of")
    search_fields = ("project__code", "project__name", "rating_published", "commentary_overall")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    date_hierarchy = "as_of"
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusUpdate]:
        qs = super().get_queryset(request)
        if _is_admin(request):
            return qs
        return qs.filter(project__in=visible_projects(request.user))


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "due_date", "completed_on")
    list_filter = ("due_date", "completed_on")
    search_fields = ("name", "project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Milestone]:
        qs = super().get_queryset(request)
        if _is_admin(request):
            return qs
        return qs.filter(project__in=visible_projects(request.user))
