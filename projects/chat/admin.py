"""Admin for the projects' Slack and Microsoft Teams channels (history on each hook's page)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import ChatHook


@admin.register(ChatHook)
class ChatHookAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "service", "active", "created_at")
    list_filter = ("service", "active")
    list_select_related = ("project",)
    raw_id_fields = ("project", "created_by")
