"""Admin for quality standards (management writes them here), deliverables, change requests and RAID items.

Imported by ``projects.admin`` so that autodiscovery registers it. History
(django-simple-history) shows on each object's admin page.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import (
    ChangeApproval,
    ChangeRequest,
    Deliverable,
    DeliverableBaseline,
    NonConformance,
    QualityCriterion,
    QualityReview,
    QualityStandard,
    RaidItem,
    RaidSettings,
    ReviewCheck,
    SignOffOverride,
)


class CriterionInline(admin.TabularInline):
    model = QualityCriterion
    extra = 3


class ReviewCheckInline(PrivateFilesAdminMixin, admin.TabularInline):
    model = ReviewCheck
    private_file_downloads = {"evidence_file": ProtectedDownload("projects:evidence", "review.deliverable.project")}
    extra = 0
    raw_id_fields = ("criterion",)


class ChangeApprovalInline(admin.TabularInline):
    model = ChangeApproval
    extra = 0
    raw_id_fields = ("user",)


class DeliverableBaselineInline(admin.TabularInline):
    model = DeliverableBaseline
    extra = 0
    raw_id_fields = ("baseline",)


class SignOffOverrideInline(admin.TabularInline):
    model = SignOffOverride
    extra = 0
    raw_id_fields = ("by",)


@admin.register(QualityStandard)
class QualityStandardAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "client", "is_active")
    list_filter = ("is_active", "client")
    search_fields = ("name",)
    inlines = [CriterionInline]
    filter_horizontal = ("projects",)
    list_select_related = ("client",)


@admin.register(Deliverable)
class DeliverableAdmin(SimpleHistoryAdmin):
    list_display = ("name", "project", "status", "due_date", "percent_complete")
    list_filter = ("status",)
    search_fields = ("name", "project__code")
    list_select_related = ("project",)
    raw_id_fields = ("project", "owner", "milestone", "signed_off_by", "signed_off_contact")
    filter_horizontal = ("depends_on",)
    inlines = [DeliverableBaselineInline, SignOffOverrideInline]


@admin.register(QualityReview)
class QualityReviewAdmin(SimpleHistoryAdmin):
    list_display = ("deliverable", "reviewer", "completed_at", "outcome")
    list_select_related = ("deliverable", "reviewer")
    raw_id_fields = ("deliverable", "reviewer")
    inlines = [ReviewCheckInline]


@admin.register(NonConformance)
class NonConformanceAdmin(SimpleHistoryAdmin):
    list_display = ("title", "deliverable", "status", "action_owner", "action_due")
    list_filter = ("status",)
    list_select_related = ("deliverable", "action_owner")
    raw_id_fields = ("deliverable", "review_check", "action_owner", "verified_by")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "status", "approvers", "cost_impact")
    list_filter = ("status", "approvers")
    list_select_related = ("project",)
    raw_id_fields = ("project", "author", "baseline")
    inlines = [ChangeApprovalInline]


@admin.register(RaidItem)
class RaidItemAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "project", "kind", "status", "severity", "probability", "impact")
    list_filter = ("kind", "status", "severity")
    list_select_related = ("project",)
    raw_id_fields = ("project", "owner", "raised_by", "acknowledged_by")


admin.site.register(RaidSettings)
