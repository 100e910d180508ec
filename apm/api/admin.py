"""Admin of personal access tokens: who holds which, their scope, life and last use; revoke from the list.
Tokens are made by their person on /api/tokens/ (the token is shown once there), never here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apm.api.models import ApiToken
from apm.api.services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "state", "expires_at", "last_used_at", "created_at")
    list_filter = ("can_write",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    filter_horizontal = ()
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            token_revoke(token=token, by=request.user, request=request)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)
