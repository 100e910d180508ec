"""Admin for mapping presets (rename, delete) and import jobs (read: what was imported, by whom, with what;
the uploaded file through the access-checked download)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "updated_at")
    search_fields = ("name",)
    raw_id_fields = ("created_by",)


@admin.register(ImportJob)
class ImportJobAdmin(PrivateFilesAdminMixin, admin.ModelAdmin):
    private_file_downloads = {"file": ProtectedDownload("imports:file", "")}
    list_display = ("original_name", "owner", "phase", "status", "created_at", "finished_at")
    list_filter = ("phase", "status")
    list_select_related = ("owner",)
    # Every field read-only; the file is shown by the mixin, linked to its download.
    readonly_fields = tuple(field.name for field in ImportJob._meta.fields if field.name != "file")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
