"""Admin for the document register (with versions), clauses and their change proposals.

Files are private (no URL): the admin shows their names linked to the
access-checked download views (``projects.common.admin_files``). State
fields are read-only here: every state change goes through
``projects.documents.services``.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import Clause, ClauseChangeProposal, Document, DocumentVersion, ObligationOccurrence


class VersionInline(PrivateFilesAdminMixin, admin.TabularInline):
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ("number", "is_current", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    private_file_downloads = {"file": ProtectedDownload("projects:version_download", "document.project")}
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False  # uploads are checked by content in the register's pages


class ProposalInline(admin.TabularInline):
    model = ClauseChangeProposal
    extra = 0
    can_delete = False
    fields = ("status", "proposed_by", "proposed_at", "reason", "decided_by", "decided_at", "decision_comment")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Clause | None = None) -> bool:
        return False


class OccurrenceInline(admin.TabularInline):
    """A repeating obligation's ended periods, as they were recorded (``projects.documents.recurring``)."""

    model = ObligationOccurrence
    extra = 0
    can_delete = False
    fields = ("due_date", "outcome", "next_due_date", "recorded_at", "recorded_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Clause | None = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "project", "kind", "status", "visibility", "expires_on")
    list_filter = ("kind", "status", "visibility")
    search_fields = ("title", "project__code", "project__name")
    raw_id_fields = ("project", "owner", "created_by")
    readonly_fields = ("status",)
    inlines = [VersionInline]


@admin.register(Clause)
class ClauseAdmin(SimpleHistoryAdmin):
    list_display = ("number", "title", "project", "kind", "version", "deadline")
    list_filter = ("kind", "evidence")
    search_fields = ("number", "title", "project__code")
    raw_id_fields = ("project", "contract", "evidence_deliverable")
    readonly_fields = ("text", "version")
    inlines = [ProposalInline, OccurrenceInline]


@admin.register(ClauseChangeProposal)
class ClauseChangeProposalAdmin(SimpleHistoryAdmin):
    list_display = ("clause", "status", "proposed_by", "proposed_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("clause__number", "clause__title", "clause__project__code")
    raw_id_fields = ("clause", "proposed_by", "decided_by")
    readonly_fields = ("status", "old_text", "new_version", "base_version")
