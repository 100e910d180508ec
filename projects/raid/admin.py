"""Admin for RAID items and the per-project RAID settings; history (django-simple-history) shows on each
item's admin page."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import RaidItem, RaidSettings


@admin.register(RaidItem)
class RaidItemAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "kind", "status", "severity", "probability", "impact")
    list_filter = ("kind", "status", "severity")
    list_select_related = ("project",)
    raw_id_fields = ("project", "owner", "raised_by", "acknowledged_by")


admin.site.register(RaidSettings)
