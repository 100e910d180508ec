from django.contrib import admin

from teams.models import Department, TeamMember


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    filter_horizontal = ("heads",)


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "department", "user")
    list_filter = ("department",)
    search_fields = ("name", "email")
    autocomplete_fields = ("user", "department")
