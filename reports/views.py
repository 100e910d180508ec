"""Report pages: the index, a scope's reports, the archive, a report's details, PDF download and "Send now";
schedules; deliveries.

Every lookup happens inside ``apm.access`` capabilities (see_project,
see_department, see_report, manage_schedule, see_delivery): anything else
answers 404. "Send now" offers only the kinds of the registry offered on the
page and the audiences the user may send (``access.may_send``), and only
queues a report through ``reports.services.report_request``; the PDF is
rendered by a worker, never in the web request.

A scheduled report's email carries a one-click unsubscribe link
(``unsubscribe``, no login: the signed token is the proof) that pauses its
recipient on that schedule; the schedules page lists them with an "Undo".

A report's page shows what the archive leaves out (size, SHA-256 digest,
who generated it) and its deliveries to those who may see them
(``access.see_delivery``).

Schedules show their times on their own zone's clock ("Mondays 08:00
Europe/London"), never in UTC. The schedule form's project list asks
``schedule_projects`` (JSON) for the projects matching what is typed.

Schedules: every create, edit and resume goes through
``reports.services.schedule_save`` (which makes the user the owner, after
checking the kind covers its scope and audience, that they may send it and
that its internal figures go only to people who may see them). The PDF
preview renders in the request, but only on an explicit click, and is never
delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csp.constants import NONE
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.actions import refusal_on_form, refusal_shown
from apm.errors import Refused
from apm.http import AuthenticatedHttpRequest, HtmxRequest
from apm.outbox.models import EmailStatus
from apm.outbox.services import outbox_retry
from projects.common.lookups import project_or_404
from reports import schedule as occurrences
from reports import services
from reports.forms import ArchiveSearchForm, ReportScheduleForm, SendNowForm
from reports.kinds.base import Snapshot
from reports.models import ChunkStatus, Delivery, Report, ReportSchedule, ReportStatus, Scope
from reports.rendering import report_render_html, report_render_snapshot
from reports.selectors import schedule_project_options
from reports.services import report_request, schedule_rule, schedule_save, subject_of
from reports.snapshot import report_build_snapshot

if TYPE_CHECKING:
    from apm.access.base import AnyUser
    from projects.models import Project
    from teams.models import Department

# Reports in these states change without the user doing anything: the list polls.
PENDING = (ReportStatus.QUEUED, ReportStatus.RENDERING, ReportStatus.CHUNKING, ReportStatus.ASSEMBLING)


def _reports_for(user: AnyUser, **scope_filter: Any) -> QuerySet[Report]:
    """The user's visible reports in a scope, newest first, with delivery counts.

    Each report carries ``sent_count``, ``failed_count`` and ``queued_count``
    (queued or sending in the outbox, or not yet handed to it).
    """
    done = Q(deliveries__email__status__in=[EmailStatus.SENT, EmailStatus.FAILED])
    return (
        access.see_report.queryset(user)
        .filter(**scope_filter)
        .annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__email__status=EmailStatus.SENT)),
            failed_count=Count("deliveries", filter=Q(deliveries__email__status=EmailStatus.FAILED)),
            queued_count=Count("deliveries", filter=~done | Q(deliveries__email__isnull=True)),
        )
        .order_by("-scheduled_for", "-pk")
    )


@login_required
def report_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The departments and projects whose reports the user may see."""
    return render(
        request,
        "reports/index.html",
        {
            "departments": access.see_department.queryset(request.user).order_by("code"),
            "projects": access.see_project.listed(request.user).select_related("client").order_by("code"),
            "can_schedule": access.create_project.allows(request.user),
        },
    )


ARCHIVE_PAGE = 100


@login_required
def report_archive(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every report the user may see, searchable by project, department, kind and period end (100 newest)."""
    form = ArchiveSearchForm(request.GET or None)
    reports = _reports_for(request.user).select_related("project", "department")
    if form.is_valid():
        data = form.cleaned_data
        if data["project"]:
            reports = reports.filter(
                Q(project__code__icontains=data["project"]) | Q(project__name__icontains=data["project"])
            )
        if data["department"]:
            reports = reports.filter(
                Q(department__code__iexact=data["department"])
                | Q(project__departments__code__iexact=data["department"])
            ).distinct()
        if data["kind"]:
            reports = reports.filter(kind=data["kind"])
        if data["date_from"]:
            reports = reports.filter(period_end__gte=data["date_from"])
        if data["date_to"]:
            reports = reports.filter(period_end__lte=data["date_to"])
    elif form.is_bound:
        reports = reports.none()
    return render(
        request,
        "reports/archive.html",
        {
            "form": form,
            "reports": list(reports[:ARCHIVE_PAGE]),
            "limit": ARCHIVE_PAGE,
            "client_audience": access.audience_for(request.user) == access.CLIENT,
        },
    )


def _scope_page(
    request: HtmxRequest,
    *,
    scope: str,
    project: Project | None = None,
    department: Department | None = None,
    reports: QuerySet[Report],
    send_url: str,
) -> HttpResponse:
    rows = list(reports)
    send_form = SendNowForm(scope=scope, user=request.user, project=project, department=department)
    context = {
        "scope": scope,
        "subject": project if project is not None else department,
        "reports": rows,
        "polling": any(r.status in PENDING for r in rows),
        "can_send": send_form.can_send,
        "send_form": send_form,
        "send_url": send_url,
        "client_audience": access.audience_for(request.user) == access.CLIENT,
    }
    if request.htmx:
        return render(request, "reports/_report_table.html", context)
    return render(request, "reports/report_list.html", context)


@login_required
def project_reports(request: HtmxRequest, code: str) -> HttpResponse:
    """The project's highlight reports the user may see, newest first."""
    project = project_or_404(request, code)
    return _scope_page(
        request,
        scope=Scope.PROJECT,
        project=project,
        reports=_reports_for(request.user, scope=Scope.PROJECT, project=project),
        send_url=reverse("reports:project_send", kwargs={"code": project.code}),
    )


@login_required
def department_reports(request: HtmxRequest, code: str) -> HttpResponse:
    """The department's portfolio reports, for administrators and the department's heads."""
    department: Department = access.object_or_404(request.user, access.see_department, code__iexact=code)
    return _scope_page(
        request,
        scope=Scope.DEPARTMENT,
        department=department,
        reports=_reports_for(request.user, scope=Scope.DEPARTMENT, department=department),
        send_url=reverse("reports:department_send", kwargs={"code": department.code}),
    )


def _send_now(
    request: AuthenticatedHttpRequest,
    *,
    scope: str,
    project: Project | None = None,
    department: Department | None = None,
) -> HttpResponse:
    if project is not None:
        back = redirect("reports:project", code=project.code)
    elif department is not None:
        back = redirect("reports:department", code=department.code)
    else:
        raise ValueError("Send now is about a project or a department.")
    form = SendNowForm(request.POST, scope=scope, user=request.user, project=project, department=department)
    if not form.can_send:
        raise PermissionDenied("You may not send reports about this.")
    if not form.is_valid():
        # Also the server-side check that nobody asks for an audience they may not send.
        messages.error(request, "That report cannot be sent: choose one of the offered kinds and audiences.")
        return back
    with refusal_shown(request, failed="The report was not queued:"):
        report_request(
            kind=form.cleaned_data["kind"],
            audience=form.cleaned_data["audience"],
            scope=scope,
            project=project,
            department=department,
            requested_by=request.user,
        )
        messages.success(request, "Report queued; it will be emailed when ready.")
    return back


@login_required
@require_POST
def project_send_now(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """POST: queue a highlight report of the project now (404 when not visible, 403 when not allowed)."""
    project = project_or_404(request, code)
    return _send_now(request, scope=Scope.PROJECT, project=project)


@login_required
@require_POST
def department_send_now(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """POST: queue a portfolio report of the department now (404 when not visible)."""
    department: Department = access.object_or_404(request.user, access.see_department, code__iexact=code)
    return _send_now(request, scope=Scope.DEPARTMENT, department=department)


def _pdf_size(report: Report) -> int | None:
    """The stored PDF's size in bytes; None without a PDF or when its file is gone."""
    if not report.pdf:
        return None
    try:
        return int(report.pdf.size)
    except (FileNotFoundError, OSError):
        return None


@login_required
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One report the user may see (``access.see_report``, else 404): kind, scope, audience, period, when it was
    generated, size, pages, SHA-256 digest, its deliveries (to those who may see them) and the PDF link."""
    queryset = Report.objects.select_related("project", "department", "project_manager", "requested_by", "schedule")
    report: Report = access.object_or_404(request.user, access.see_report, queryset=queryset, pk=pk)
    deliveries = access.see_delivery.queryset(request.user).filter(report=report).select_related("email")
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "size": _pdf_size(report),
            "deliveries": list(deliveries.order_by("email_address")),
            "may_see_deliveries": access.send_report.allows(request.user, report),
            "client_audience": access.audience_for(request.user) == access.CLIENT,
            "parts": _parts(report),
        },
    )


def _parts(report: Report) -> dict[str, int] | None:
    """How a report laid out in parts went: ``{"total", "done", "cached", "failed"}``; None for one laid out whole."""
    counts = report.chunks.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=ChunkStatus.DONE)),
        cached=Count("pk", filter=Q(cached=True)),
        failed=Count("pk", filter=Q(status=ChunkStatus.FAILED)),
    )
    return counts if counts["total"] else None


@login_required
def report_pdf(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The report's PDF as an attachment; 404 unless visible to the user and rendered."""
    report: Report = access.object_or_404(request.user, access.see_report, pk=pk, status=ReportStatus.RENDERED)
    if not report.pdf:
        raise Http404("This report has no PDF.")
    try:
        handle = report.pdf.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The PDF file is missing.") from exc
    filename = f"{report.title or 'report'}-{report.period_end:%Y-%m-%d}.pdf".replace("/", "-")
    audit_record(kind=AuditKind.REPORT_DOWNLOADED, request=request, target=f"report:{report.pk}")
    return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")


# --- Schedules ----------------------------------------------------------------

SCHEDULE_RELATED = ("project", "department", "project_manager", "created_by")


def _may_schedule(request: AuthenticatedHttpRequest) -> None:
    """Schedules and deliveries are for those who may send reports at all; others 404."""
    if not access.create_project.allows(request.user):
        raise Http404("No schedules.")


def _schedule_or_404(request: AuthenticatedHttpRequest, pk: int) -> ReportSchedule:
    queryset = ReportSchedule.objects.select_related(*SCHEDULE_RELATED)
    schedule: ReportSchedule = access.object_or_404(request.user, access.manage_schedule, queryset=queryset, pk=pk)
    return schedule


@login_required
def schedule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's schedules with their next run (in the schedule's own zone), owner, any pause reason and the
    recipients who unsubscribed (each with an "Undo")."""
    _may_schedule(request)
    schedules = (
        access.manage_schedule.queryset(request.user)
        .select_related(*SCHEDULE_RELATED)
        .prefetch_related("paused_recipients")
        .order_by("name")
    )
    rows = [(s, occurrences.rule_text(**schedule_rule(s)), _when(s)) for s in schedules]
    return render(request, "reports/schedules/list.html", {"rows": rows})


@login_required
def schedule_projects(request: AuthenticatedHttpRequest) -> JsonResponse:
    """GET ``?q=``: the projects a schedule of the user may name whose code or name contains ``q``, as
    ``{"projects": [{"code", "name"}, ...]}`` (at most ``PROJECT_OPTIONS``, by code; the schedule form's list)."""
    _may_schedule(request)
    return JsonResponse({"projects": schedule_project_options(user=request.user, query=request.GET.get("q", ""))})


def _save(request: AuthenticatedHttpRequest, instance: ReportSchedule | None) -> HttpResponse:
    form = ReportScheduleForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            schedule = schedule_save(schedule=form.save(commit=False), user=request.user, now=timezone.now())
            messages.success(request, f"Schedule “{schedule.name}” saved; next report {_when(schedule)}.")
            return redirect("reports:schedules")
    context: dict[str, Any] = {"form": form, "schedule": instance}
    if instance is not None:
        context |= {"rule": occurrences.rule_text(**schedule_rule(instance)), "next_run": _when(instance)}
    return render(request, "reports/schedules/form.html", context)


def _when(schedule: ReportSchedule) -> str:
    """The next run on the schedule's own clock ("Mon 9 Jun 2025 09:00 Europe/London"), or why there is none."""
    if not schedule.next_run_at:
        return "not scheduled (paused)"
    try:
        return occurrences.local_text(schedule.next_run_at, schedule.time_zone)
    except ValueError:  # a zone this machine does not know: say the instant in UTC rather than fail
        return occurrences.local_text(schedule.next_run_at, "UTC")


@login_required
def schedule_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a schedule (heads, PMs, administrators)."""
    _may_schedule(request)
    return _save(request, None)


@login_required
def schedule_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit a schedule the user may see."""
    return _save(request, _schedule_or_404(request, pk))


@login_required
@require_POST
def schedule_toggle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pause a running schedule or resume a paused one (resuming starts from now: no burst of old reports;
    the one who resumes it becomes its owner)."""
    schedule = _schedule_or_404(request, pk)
    with refusal_shown(request, failed="The schedule stays paused:"):
        services.schedule_toggle(schedule=schedule, user=request.user, now=timezone.now())
        messages.success(request, f"Schedule “{schedule.name}” {'resumed' if schedule.active else 'paused'}.")
    return redirect("reports:schedules")


@login_required
@require_POST
def schedule_recipient_resume(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send the schedule's reports again to the POSTed ``address``, which unsubscribed by its one-click link."""
    schedule = _schedule_or_404(request, pk)
    address = request.POST.get("address", "").strip().lower()
    with refusal_shown(request, failed="The recipient stays paused:"):
        if services.schedule_recipient_resume(schedule=schedule, address=address, user=request.user):
            messages.success(request, f"{address} receives “{schedule.name}” again.")
        else:
            messages.error(request, f"{address or 'That address'} was not paused on “{schedule.name}”.")
    return redirect("reports:schedules")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click unsubscribe link of a scheduled report's email (RFC 8058); no login.

    POST (a mail program's one click, or the button of the GET page) pauses
    the token's recipient on its schedule and answers 200, again 200 when
    already paused or the schedule is gone. No CSRF token: a mail program has
    none, and the signed token is the proof. GET shows a page asking to
    confirm, with that button, and changes nothing. A bad or tampered token
    answers 400 with a page that says so.
    """
    try:
        schedule, address = services.unsubscribe_read(token=token)
    except Refused as refusal:
        return render(request, "reports/unsubscribe.html", {"invalid": refusal.message}, status=400)
    done = request.method == "POST"
    if done and schedule is not None:
        services.schedule_recipient_pause(schedule=schedule, address=address, now=timezone.now())
    return render(request, "reports/unsubscribe.html", {"schedule": schedule, "address": address, "done": done})


@login_required
@require_POST
def schedule_send_now(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Queue a report of the schedule's kind, audience and subject now (rendered by a worker).

    The report belongs to the schedule: it skips the schedule's paused
    recipients and its emails carry the schedule's unsubscribe link.
    """
    schedule = _schedule_or_404(request, pk)
    with refusal_shown(request, failed="The report was not queued:"):
        report_request(
            kind=schedule.kind,
            audience=schedule.audience,
            **subject_of(schedule),
            requested_by=request.user,
            extra_recipients=schedule.extra_recipients.splitlines(),
            schedule=schedule,
        )
        messages.success(request, "Report queued; it will be emailed when ready.")
    return redirect("reports:schedules")


def _preview_snapshot(schedule: ReportSchedule) -> Snapshot:
    now = timezone.now()
    upcoming = schedule.next_run_at or occurrences.next_occurrence(**schedule_rule(schedule), after=now)
    start, end = occurrences.occurrence_period(**schedule_rule(schedule), occurrence=upcoming)
    return report_build_snapshot(
        kind=schedule.kind,
        audience=schedule.audience,
        **subject_of(schedule),
        period_start=start,
        period_end=end,
        title=f"PREVIEW — {schedule.name}, {end.day} {end:%B %Y}",
    )


@login_required
@csp_replace({"script-src": [NONE]})  # type: ignore[arg-type]  # typed for (request) views
def schedule_preview(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The next report as it would be now: ``fmt`` "html" (the print HTML) or "pdf" (rendered here, not sent).

    The print HTML takes its styles from print.css like every page (no inline style, so the site's
    ``style-src 'self'`` holds) and carries no script, so this answer allows none.
    """
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
def outbox_list(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def outbox_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Queue a failed delivery again (same Message-ID, tries reset) through ``outbox_retry``."""
    _may_schedule(request)
    queryset = Delivery.objects.filter(email__isnull=False)
    delivery: Delivery = access.object_or_404(request.user, access.see_delivery, queryset=queryset, pk=pk)
    if delivery.email_id is None:  # never: the queryset holds only deliveries with an email
        raise Http404("This delivery has no email.")
    if outbox_retry(email_id=delivery.email_id):
        messages.success(request, f"Delivery to {delivery.email_address} queued again.")
    else:
        messages.error(request, "Only failed deliveries can be resent; this one is still queued, sending or sent.")
    return redirect("reports:outbox")
