"""Admin for notifications, people's preferences and the daily digests sent."""

from __future__ import annotations

from django.contrib import admin

from projects.models import DigestRun, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at", "emailed_at", "digested_at")
    list_filter = ("kind",)
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "project", "actor")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "channel")
    list_filter = ("kind", "channel")
    raw_id_fields = ("user",)


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("user", "day", "notification_count", "created_at")
    raw_id_fields = ("user",)
