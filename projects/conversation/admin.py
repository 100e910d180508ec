"""Admin for comments (their history on each comment's page) and their attachments."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import Comment, CommentAttachment


@admin.register(Comment)
class CommentAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "author", "visibility", "created_at", "deleted_at")
    list_filter = ("visibility",)
    list_select_related = ("project", "author")
    raw_id_fields = (
        "project",
        "deliverable",
        "task",
        "change_request",
        "raid_item",
        "document",
        "correspondence",
        "author",
        "deleted_by",
        "mentions",
    )


@admin.register(CommentAttachment)
class CommentAttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "comment", "content_type", "size", "uploaded_at")
    raw_id_fields = ("comment",)
