"""Admin for tasks, with their checklists; history (django-simple-history) shows on each task's admin page."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import Task, TaskChecklistItem


class TaskChecklistItemInline(admin.TabularInline):
    model = TaskChecklistItem
    extra = 0


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ("title", "project", "deliverable", "status", "priority", "due_date", "estimate_hours")
    list_filter = ("status", "priority")
    search_fields = ("title", "project__code")
    list_select_related = ("project", "deliverable")
    raw_id_fields = ("project", "deliverable")
    filter_horizontal = ("assignees",)
    inlines = [TaskChecklistItemInline]
