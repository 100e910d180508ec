"""Admin for quality standards (management writes them here), quality reviews and non-conformances; history
(django-simple-history) shows on each review's and non-conformance's admin page."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.common.admin_files import PrivateFilesAdminMixin, ProtectedDownload
from projects.models import NonConformance, QualityCriterion, QualityReview, QualityStandard, ReviewCheck


class CriterionInline(admin.TabularInline):
    model = QualityCriterion
    extra = 3


class ReviewCheckInline(PrivateFilesAdminMixin, admin.TabularInline):
    model = ReviewCheck
    private_file_downloads = {"evidence_file": ProtectedDownload("projects:evidence", "review.deliverable.project")}
    extra = 0
    raw_id_fields = ("criterion",)


@admin.register(QualityStandard)
class QualityStandardAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "client", "is_active")
    list_filter = ("is_active", "client")
    search_fields = ("name",)
    inlines = [CriterionInline]
    filter_horizontal = ("projects",)
    list_select_related = ("client",)


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
