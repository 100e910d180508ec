"""Admin for people, skills, levels, rates and time off; people, skills and levels import and
export as CSV/XLSX with a preview (django-import-export)."""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from teams.models import (
    Department,
    JobRole,
    MemberRate,
    MemberSkill,
    PublicHoliday,
    Skill,
    SkillCategory,
    TeamMember,
    TimeOff,
)
from teams.resources import MemberSkillResource, SkillResource, TeamMemberResource


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    filter_horizontal = ("heads",)


class MemberSkillInline(admin.TabularInline):
    model = MemberSkill
    extra = 1
    autocomplete_fields = ("skill", "assessed_by")


class MemberRateInline(admin.TabularInline):
    model = MemberRate
    extra = 0
    readonly_fields = ("cost_rate", "bill_rate", "currency", "valid_from", "valid_to")
    can_delete = False
    verbose_name_plural = "rates (history: add a new rate through teams.services.member_rate_set)"

    def has_add_permission(self, request, obj=None):
        return False


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(TeamMember)
class TeamMemberAdmin(ImportExportModelAdmin):
    resource_classes = [TeamMemberResource]
    list_display = ("name", "email", "department", "job_title", "weekly_capacity_hours", "is_active", "user")
    list_filter = ("department", "is_active")
    search_fields = ("name", "email", "job_title")
    autocomplete_fields = ("user", "department", "job_role")
    inlines = [MemberSkillInline, TimeOffInline, MemberRateInline]


@admin.register(SkillCategory)
class SkillCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "source_code")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Skill)
class SkillAdmin(ImportExportModelAdmin):
    resource_classes = [SkillResource]
    list_display = ("name", "category", "source_code", "hot_technology")
    list_filter = ("category__kind", "hot_technology")
    search_fields = ("name", "category__name")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)


@admin.register(MemberSkill)
class MemberSkillAdmin(ImportExportModelAdmin):
    resource_classes = [MemberSkillResource]
    list_display = ("member", "skill", "level", "last_assessed", "assessed_by")
    list_filter = ("level",)
    search_fields = ("member__name", "skill__name")
    list_select_related = ("member", "skill", "assessed_by")
    autocomplete_fields = ("member", "skill", "assessed_by")


@admin.register(JobRole)
class JobRoleAdmin(admin.ModelAdmin):
    list_display = ("title", "code")
    search_fields = ("title", "code")


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("member", "kind", "start", "end", "hours_per_day")
    list_filter = ("kind",)
    search_fields = ("member__name",)
    autocomplete_fields = ("member",)


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
