"""Django admin for clients and their contacts, projects, milestones and status updates.

The admin is open to administrators only (apm.admin_site); everyone else
works in APM's own pages, scoped by apm.access.
"""

from __future__ import annotations

from django.contrib import admin

from projects.models import Client, ClientContact, Milestone, Project, StatusUpdate


class ClientContactInline(admin.TabularInline):
    model = ClientContact
    extra = 0
    fields = ("name", "email", "user", "opted_in_reports", "billing_contact")
    autocomplete_fields = ("user",)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_name", "invoice_currency", "payment_terms_days")
    search_fields = ("name", "legal_name", "contacts__name", "contacts__email")
    inlines = [ClientContactInline]
    fieldsets = (
        (None, {"fields": ("name", "margin_target_percent")}),
        ("Billing", {"fields": ("legal_name", "billing_address", "tax_id", "invoice_currency", "payment_terms_days")}),
    )


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "client", "user", "opted_in_reports", "billing_contact")
    list_filter = ("opted_in_reports", "billing_contact", "client")
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
