"""Admin for deliverables, with their baseline dates and sign-off overrides; history (django-simple-history)
shows on each deliverable's admin page."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import Deliverable, DeliverableBaseline, SignOffOverride


class DeliverableBaselineInline(admin.TabularInline):
    model = DeliverableBaseline
    extra = 0
    raw_id_fields = ("baseline",)


class SignOffOverrideInline(admin.TabularInline):
    model = SignOffOverride
    extra = 0
    raw_id_fields = ("by",)


@admin.register(Deliverable)
class DeliverableAdmin(SimpleHistoryAdmin):
    list_display = ("name", "project", "status", "due_date", "percent_complete")
    list_filter = ("status",)
    search_fields = ("name", "project__code")
    list_select_related = ("project",)
    raw_id_fields = ("project", "owner", "milestone", "signed_off_by", "signed_off_contact")
    filter_horizontal = ("depends_on",)
    inlines = [DeliverableBaselineInline, SignOffOverrideInline]
