"""Django admin for report schedules, who unsubscribed from them, reports (a read-only snapshot) and deliveries.

The admin is for administrators only (apm.admin_site). Schedules saved here
go through the same form and validation as the schedule pages and are
activated (``next_run_at`` set) on every save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from reports.forms import ReportScheduleForm
from reports.models import Delivery, PausedRecipient, RenderedChunk, Report, ReportChunk, ReportSchedule
from reports.services import schedule_save

if TYPE_CHECKING:
    from apm.accounts.models import User


def _admin_user(request: HttpRequest) -> User:
    """The signed-in user of an admin page (the admin site turns anyone else away before a ModelAdmin runs)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("The admin is for signed-in administrators.")
    return user


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "audience",
        "scope",
        "frequency",
        "local_time",
        "time_zone",
        "active",
        "next_run_at",
    )
    list_filter = ("active", "kind", "audience", "scope", "frequency")
    search_fields = ("name", "project__code", "department__code")
    list_select_related = ("project", "department")
    autocomplete_fields = ("project", "department", "project_manager")

    def get_form(
        self, request: HttpRequest, obj: ReportSchedule | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        """The same form and validation as the schedule pages (reports.forms)."""
        kwargs["form"] = ReportScheduleForm
        base = super().get_form(request, obj, change, **kwargs)

        # The admin's form class is built at run time (modelform_factory, with the admin's widgets), and mypy
        # takes no variable as a base class.
        class AdminScheduleForm(base):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, user=_admin_user(request), **form_kwargs)

        return AdminScheduleForm

    readonly_fields = ("next_run_at", "last_run_at", "created_by", "paused_reason", "paused_at", "created_at")

    def save_model(self, request: HttpRequest, obj: ReportSchedule, form: forms.ModelForm[Any], change: bool) -> None:
        # The same service as the schedule pages: the saving administrator becomes the owner (the form
        # has checked they may send it), and the new rule takes effect from now.
        schedule_save(schedule=obj, user=_admin_user(request), now=timezone.now())


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("email_address", "recipient_name", "recipient_kind", "email_status", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("email")

    @admin.display(description="email status")
    def email_status(self, obj: Delivery) -> str:
        return obj.email.get_status_display() if obj.email is not None else "not queued"


class ReportChunkInline(admin.TabularInline):
    """The parts of a report laid out in parts: state, tries, errors, whether reused from the cache."""

    model = ReportChunk
    extra = 0
    can_delete = False
    fields = ("index", "status", "cached", "tries", "last_error", "started_at", "done_at", "key")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RenderedChunk)
class RenderedChunkAdmin(admin.ModelAdmin):
    """The chunk cache: read-only (the sweeper prunes it; deleting an entry only costs a layout)."""

    list_display = ("key", "pages", "size", "created_at", "used_at")
    fields = ("key", "pages", "size", "sha256", "created_at", "used_at")
    readonly_fields = fields
    search_fields = ("key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports are records of what was sent: read-only, with a link to the stored PDF."""

    list_display = ("title", "kind", "audience", "scope", "period_end", "status", "page_count", "pdf_link")
    list_filter = ("status", "kind", "audience", "scope")
    search_fields = ("title", "project__code", "department__code")
    list_select_related = ("project", "department")
    date_hierarchy = "scheduled_for"
    inlines = [ReportChunkInline, DeliveryInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Report | None = None) -> list[str]:
        return [f.name for f in Report._meta.fields] + ["pdf_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        # Viewable (read-only) but never edited: a report is a snapshot of what was sent.
        return False

    @admin.display(description="PDF")
    def pdf_link(self, obj: Report) -> str:
        if obj.status != "rendered" or not obj.pdf:
            return "—"
        return format_html('<a href="{}">Download PDF</a>', reverse("reports:pdf", args=[obj.pk]))


@admin.register(PausedRecipient)
class PausedRecipientAdmin(admin.ModelAdmin):
    """Who unsubscribed from which schedule, read-only: "Undo" on the schedules page puts them back (audited)."""

    list_display = ("email_address", "schedule", "paused_at")
    search_fields = ("email_address", "schedule__name")
    list_select_related = ("schedule",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PausedRecipient | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PausedRecipient | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("report", "email_address", "recipient_kind", "email_status", "created_at")
    list_filter = ("recipient_kind", "email__status")
    search_fields = ("email_address", "recipient_name", "report__title")
    list_select_related = ("report", "email")
    readonly_fields = ("report", "email_address", "recipient_name", "recipient_kind", "email", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    @admin.display(description="email status", ordering="email__status")
    def email_status(self, obj: Delivery) -> str:
        return obj.email.get_status_display() if obj.email is not None else "not queued"
