"""Admin for comments (their history on each comment's page) and their attachments.

An attachment's file is private: shown linked to the access-checked download
(``projects:comment_file``), never replaced here (an upload through the admin
would skip the check by content). A deleted comment's file is kept and no
longer served, so its link answers 404 too.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import Comment, CommentAttachment

COMMENT_FILE = ProtectedDownload("projects:comment_file", "comment.project")


class AttachmentInline(PrivateFilesAdminMixin, admin.TabularInline):
    model = CommentAttachment
    extra = 0
    can_delete = False
    fields = ("file", "original_name", "content_type", "size", "uploaded_at")
    readonly_fields = fields
    private_file_downloads = {"file": COMMENT_FILE}

    def has_add_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "author", "visibility", "created_at", "deleted_at")
    list_filter = ("visibility",)
    list_select_related = ("project", "author")
    inlines = (AttachmentInline,)
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
class CommentAttachmentAdmin(PrivateFilesAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "comment", "content_type", "size", "uploaded_at")
    raw_id_fields = ("comment",)
    fields = ("comment", "file", "original_name", "content_type", "size", "uploaded_at")
    readonly_fields = ("file", "original_name", "content_type", "size", "uploaded_at")
    private_file_downloads = {"file": COMMENT_FILE}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
