from django.contrib import admin
from django.http import HttpRequest

from projects.portal.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Share links, read-only except revoking (made by PMs on the project's client access page)."""

    list_display = ("project", "label", "created_by", "created_at", "expires_at", "revoked_at", "open_count")
    list_select_related = ("project", "created_by")
    list_filter = ("revoked_at",)
    search_fields = ("project__code", "label")
    readonly_fields = ("project", "created_by", "created_at", "open_count", "last_opened_at", "revoked_by")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
