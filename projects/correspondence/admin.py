"""Admin for correspondence (with attachments), letter templates (management writes them here) and the
reminders sent.

Files are private (no URL): the admin shows their names linked to the
access-checked download view (``projects.common.admin_files``). The status
is read-only here: every state change goes through
``projects.correspondence.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.forms import ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.correspondence.forms import LetterTemplateForm
from projects.correspondence.letters import letter_template_save
from projects.models import Correspondence, CorrespondenceAttachment, LetterTemplate, ReminderSent


class AttachmentInline(PrivateFilesAdminMixin, admin.TabularInline):
    model = CorrespondenceAttachment
    extra = 0
    can_delete = False
    fields = ("file", "original_name", "content_type", "size", "is_letter", "uploaded_by", "uploaded_at")
    private_file_downloads = {"file": ProtectedDownload("projects:correspondence_file", "correspondence.project")}
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Correspondence | None = None) -> bool:
        return False


@admin.register(Correspondence)
class CorrespondenceAdmin(SimpleHistoryAdmin):
    list_display = ("date", "direction", "subject", "counterpart_organisation", "project", "reply_due_on", "status")
    list_filter = ("direction", "channel", "counterpart_kind", "status")
    search_fields = ("subject", "counterpart_organisation", "their_reference", "our_reference", "project__code")
    raw_id_fields = ("project", "created_by")
    filter_horizontal = ("documents", "clauses")
    readonly_fields = ("status",)
    inlines = [AttachmentInline]


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ("name", "subject", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "subject")

    def save_model(self, request: HttpRequest, obj: LetterTemplate, form: ModelForm[Any], change: bool) -> None:
        # The same service as any other writer; the form has already shown a refusal of its placeholders.
        user = request.user
        if not user.is_authenticated:
            raise PermissionDenied("The admin is for signed-in administrators.")
        letter_template_save(
            user=user, name=obj.name, subject=obj.subject, body=obj.body, is_active=obj.is_active, template=obj
        )


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ("kind", "object_id", "due_on", "project", "sent_to", "sent_at")
    list_filter = ("kind",)
    search_fields = ("project__code", "sent_to")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReminderSent | None = None) -> bool:
        return False
