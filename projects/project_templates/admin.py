"""The Django admin of project templates (administrators; the content is the JSON of
``projects.project_templates.content``, checked when a project is started from it)."""

from django.contrib import admin

from projects.models import ProjectTemplate


@admin.register(ProjectTemplate)
class ProjectTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "source_project", "created_by", "updated_at")
    search_fields = ("name", "description")
    raw_id_fields = ("source_project", "created_by")
    readonly_fields = ("created_at", "updated_at")
