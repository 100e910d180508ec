"""Django admin for open roles with the skills they need, and allocations (people booked onto projects)."""

from __future__ import annotations

from django.contrib import admin

from projects.models import Allocation, OpenRole, OpenRoleSkill


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
