"""Report schedules in the browser: list, create, edit, pause and resume, preview, send now.

Schedules are looked up inside :func:`visible_schedules` (404 otherwise).
Every create, edit and resume calls ``reports.services.schedule_activate``.
The PDF preview renders in the request, but only on an explicit click, and
is never delivered; "Send now" only queues a report (a worker renders it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm.access import can_send_reports, finance_projects, visible_departments
from reports import schedule as occurrences
from reports.models import ReportSchedule, Scope
from reports.rendering import report_render_html, report_render_snapshot
from reports.schedule_forms import ReportScheduleForm
from reports.services import _rule, report_request, schedule_activate
from reports.snapshot import report_build_snapshot


def visible_schedules(user) -> QuerySet[ReportSchedule]:
    """Schedules ``user`` may see and manage: of projects whose figures they may see
    (apm.access.finance_projects), of their departments, and their own
    portfolio schedules as a PM (all for administrators, who alone manage company schedules)."""
    if not can_send_reports(user):
        return ReportSchedule.objects.none()
    if user.is_administrator:
        return ReportSchedule.objects.all()
    return ReportSchedule.objects.filter(
        Q(project__in=finance_projects(user))
        | Q(department__in=visible_departments(user))
        | Q(scope=Scope.PM_PORTFOLIO, project_manager=user)
    )


def _schedule_or_404(request: HttpRequest, pk: int) -> ReportSchedule:
    return get_object_or_404(visible_schedules(request.user).select_related("project", "department"), pk=pk)


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    """The user's schedules with their next run (in the schedule's own zone)."""
    if not can_send_reports(request.user):
        raise Http404("No schedules.")
    schedules = visible_schedules(request.user).select_related("project", "department").order_by("name")
    return render(request, "reports/schedules/list.html", {"schedules": schedules})


def _save(request: HttpRequest, instance: ReportSchedule | None) -> HttpResponse:
    form = ReportScheduleForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        schedule = form.save(commit=False)
        if schedule.pk is None:
            schedule.created_by = request.user
        schedule.save()
        schedule_activate(schedule=schedule, now=timezone.now())
        messages.success(request, f"Schedule “{schedule.name}” saved; next report {_when(schedule)}.")
        return redirect("reports:schedules")
    return render(request, "reports/schedules/form.html", {"form": form, "schedule": instance})


def _when(schedule: ReportSchedule) -> str:
    if not schedule.next_run_at:
        return "not scheduled (paused)"
    local = timezone.localtime(schedule.next_run_at, occurrences._zone(schedule.time_zone))
    return f"{local:%a %-d %b %Y %H:%M} {schedule.time_zone}"


@login_required
def schedule_create(request: HttpRequest) -> HttpResponse:
    """Create a schedule (heads, PMs, administrators)."""
    if not can_send_reports(request.user):
        raise Http404("No schedules.")
    return _save(request, None)


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a schedule the user may see."""
    return _save(request, _schedule_or_404(request, pk))


@login_required
@require_POST
def schedule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause a running schedule or resume a paused one (resuming starts from now: no burst of old reports)."""
    schedule = _schedule_or_404(request, pk)
    schedule.active = not schedule.active
    schedule.save(update_fields=["active"])
    schedule_activate(schedule=schedule, now=timezone.now())
    messages.success(request, f"Schedule “{schedule.name}” {'resumed' if schedule.active else 'paused'}.")
    return redirect("reports:schedules")


@login_required
@require_POST
def schedule_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a report of the schedule's kind, audience and subject now (rendered by a worker)."""
    schedule = _schedule_or_404(request, pk)
    try:
        report_request(
            kind=schedule.kind,
            audience=schedule.audience,
            scope=schedule.scope,
            project=schedule.project,
            department=schedule.department,
            requested_by=request.user,
            extra_recipients=schedule.extra_recipients.splitlines(),
        )
    except ValueError as exc:
        messages.error(request, f"The report was not queued: {exc}")
    else:
        messages.success(request, "Report queued; it will be emailed when ready.")
    return redirect("reports:schedules")


def _preview_snapshot(schedule: ReportSchedule) -> dict:
    now = timezone.now()
    upcoming = schedule.next_run_at or occurrences.next_occurrence(**_rule(schedule), after=now)
    start, end = occurrences.occurrence_period(**_rule(schedule), occurrence=upcoming)
    return report_build_snapshot(
        kind=schedule.kind,
        audience=schedule.audience,
        scope=schedule.scope,
        project=schedule.project,
        department=schedule.department,
        period_start=start,
        period_end=end,
        title=f"PREVIEW — {schedule.name}, {end.day} {end:%B %Y}",
    )


@login_required
def schedule_preview(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The next report as it would be now: ``fmt`` "html" (the print HTML) or "pdf" (rendered here, not sent)."""
    schedule = _schedule_or_404(request, pk)
    snapshot = _preview_snapshot(schedule)
    if fmt == "pdf":
        rendered = report_render_snapshot(snapshot)
        response = HttpResponse(rendered.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="preview-{schedule.pk}-{timezone.localdate():%Y%m%d}.pdf"'
        return response
    if fmt != "html":
        raise Http404("Unknown preview format.")
    return HttpResponse(report_render_html(snapshot))


# --- Outbox: every delivery the user may see -------------------------------


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Deliveries of the reports the user may send (all for administrators): status, tries, last error.

    Fixed number of queries whatever the number of rows (report and email joined); 200 newest.
    """
    from reports.models import Delivery

    if not can_send_reports(request.user):
        raise Http404("No deliveries.")
    deliveries = Delivery.objects.select_related("report", "email").order_by("-created_at", "-pk")
    if not request.user.is_administrator:
        from apm.access import visible_reports

        deliveries = deliveries.filter(report__in=visible_reports(request.user))
    status = request.GET.get("status", "")
    if status:
        deliveries = deliveries.filter(email__status=status)
    return render(request, "reports/outbox.html", {"deliveries": deliveries[:200], "status": status})


@login_required
@require_POST
def outbox_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed delivery again (same Message-ID, tries reset) through ``outbox_retry``."""
    from apm.access import visible_reports
    from apm.outbox.services import outbox_retry
    from reports.models import Delivery

    if not can_send_reports(request.user):
        raise Http404("No such delivery.")
    deliveries = Delivery.objects.all()
    if not request.user.is_administrator:
        deliveries = deliveries.filter(report__in=visible_reports(request.user))
    delivery = get_object_or_404(deliveries, pk=pk, email__isnull=False)
    if outbox_retry(email_id=delivery.email_id):
        messages.success(request, f"Delivery to {delivery.email_address} queued again.")
    else:
        messages.error(request, "Only failed deliveries can be resent; this one is still queued, sending or sent.")
    return redirect("reports:outbox")
