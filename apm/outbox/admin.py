from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apm.outbox.models import OutboundAttachment, OutboundEmail
from apm.outbox.services import outbox_retry


class OutboundAttachmentInline(admin.TabularInline):
    model = OutboundAttachment
    extra = 0
    readonly_fields = ("filename", "mimetype", "file")
    can_delete = False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "status", "tries", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("subject", "message_id", "to")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    inlines = [OutboundAttachmentInline]
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the selected failed messages")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = sum(outbox_retry(email_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)
