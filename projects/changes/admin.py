"""Admin for change requests and their approvals; history (django-simple-history) shows on each request's
admin page."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import ChangeApproval, ChangeRequest


class ChangeApprovalInline(admin.TabularInline):
    model = ChangeApproval
    extra = 0
    raw_id_fields = ("user",)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "status", "approvers", "cost_impact")
    list_filter = ("status", "approvers")
    list_select_related = ("project",)
    raw_id_fields = ("project", "author", "baseline")
    inlines = [ChangeApprovalInline]
