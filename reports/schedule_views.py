"""Report schedules in the browser: list, create, edit, pause and resume, preview, send now.

Schedules are looked up inside ``apm.access.manage_schedule`` (404 otherwise):
those whose audience the user may send about their scope. Every create,
edit and resume goes through ``reports.services.schedule_save`` (which
makes the user the owner, after checking they may send it and that its
internal figures go only to people who may see them).
The PDF preview renders in the request, but only on an explicit click, and
is never delivered; "Send now" only queues a report (a worker renders it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.errors import Refused
from apm.outbox.services import outbox_retry
from reports import schedule as occurrences
from reports import services
from reports.models import Delivery, ReportSchedule
from reports.rendering import report_render_html, report_render_snapshot
from reports.schedule_forms import ReportScheduleForm
from reports.services import report_request, schedule_rule, schedule_save
from reports.snapshot import report_build_snapshot

SCHEDULE_RELATED = ("project", "department", "project_manager", "created_by")


def _may_schedule(request: HttpRequest) -> None:
    """Schedules and deliveries are for those who may send reports at all; others 404."""
    if not access.create_project.allows(request.user):
        raise Http404("No schedules.")


def _schedule_or_404(request: HttpRequest, pk: int) -> ReportSchedule:
    queryset = ReportSchedule.objects.select_related(*SCHEDULE_RELATED)
    return access.object_or_404(request.user, access.manage_schedule, queryset=queryset, pk=pk)


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    """The user's schedules with their next run (in the schedule's own zone), owner and any pause reason."""
    _may_schedule(request)
    schedules = access.manage_schedule.queryset(request.user).select_related(*SCHEDULE_RELATED).order_by("name")
    return render(request, "reports/schedules/list.html", {"schedules": schedules})


def _save(request: HttpRequest, instance: ReportSchedule | None) -> HttpResponse:
    form = ReportScheduleForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedule_save(schedule=form.save(commit=False), user=request.user, now=timezone.now())
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
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
    _may_schedule(request)
    return _save(request, None)


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a schedule the user may see."""
    return _save(request, _schedule_or_404(request, pk))


@login_required
@require_POST
def schedule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause a running schedule or resume a paused one (resuming starts from now: no burst of old reports;
    the one who resumes it becomes its owner)."""
    schedule = _schedule_or_404(request, pk)
    try:
        services.schedule_toggle(schedule=schedule, user=request.user, now=timezone.now())
    except Refused as exc:
        messages.error(request, f"The schedule stays paused: {exc.message}")
    else:
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
    except Refused as exc:
        messages.error(request, f"The report was not queued: {exc.message}")
    else:
        messages.success(request, "Report queued; it will be emailed when ready.")
    return redirect("reports:schedules")


def _preview_snapshot(schedule: ReportSchedule) -> dict:
    now = timezone.now()
    upcoming = schedule.next_run_at or occurrences.next_occurrence(**schedule_rule(schedule), after=now)
    start, end = occurrences.occurrence_period(**schedule_rule(schedule), occurrence=upcoming)
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
    """Deliveries of the reports the user may send (``access.see_delivery``): audience, status, tries, last error.

    Fixed number of queries whatever the number of rows (report and email joined); 200 newest.
    """
    _may_schedule(request)
    deliveries = (
        access.see_delivery.queryset(request.user).select_related("report", "email").order_by("-created_at", "-pk")
    )
    status = request.GET.get("status", "")
    if status:
        deliveries = deliveries.filter(email__status=status)
    return render(request, "reports/outbox.html", {"deliveries": deliveries[:200], "status": status})


@login_required
@require_POST
def outbox_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed delivery again (same Message-ID, tries reset) through ``outbox_retry``."""
    _may_schedule(request)
    queryset = Delivery.objects.filter(email__isnull=False)
    delivery = access.object_or_404(request.user, access.see_delivery, queryset=queryset, pk=pk)
    if outbox_retry(email_id=delivery.email_id):
        messages.success(request, f"Delivery to {delivery.email_address} queued again.")
    else:
        messages.error(request, "Only failed deliveries can be resent; this one is still queued, sending or sent.")
    return redirect("reports:outbox")
