"""Admin of the outbound delivery: every request and its state (failed ones retried from the list), and the
hosts administrators let through the SSRF guard."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apm.outbound.models import AllowedHost, OutboundRequest
from apm.outbound.services import outbound_retry


@admin.register(OutboundRequest)
class OutboundRequestAdmin(admin.ModelAdmin):
    list_display = ("summary", "kind", "source", "status", "tries", "last_status_code", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("summary", "source", "idempotency_key")
    readonly_fields = [f.name for f in OutboundRequest._meta.fields]
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the selected failed requests")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboundRequest]) -> None:
        count = sum(outbound_retry(request_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} request(s) queued again.", messages.SUCCESS)


@admin.register(AllowedHost)
class AllowedHostAdmin(admin.ModelAdmin):
    list_display = ("host", "allow_http", "note", "created_at")
    search_fields = ("host", "note")
