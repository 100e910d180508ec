"""Report pages: the index, a scope's report archive, PDF download and "Send now".

Every lookup happens inside ``apm.access`` capabilities (see_project,
see_department, see_report): anything else answers 404. "Send now" offers
only the audiences the user may send (``access.may_send``) and only queues a
report through ``reports.services.report_request``; the PDF is rendered by a
worker, never in the web request.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.errors import Refused
from apm.outbox.models import EmailStatus
from projects.common.lookups import project_or_404
from reports.models import Audience, Report, ReportKind, ReportStatus, Scope
from reports.services import report_request

# Reports in these states change without the user doing anything: the list polls.
PENDING = (ReportStatus.QUEUED, ReportStatus.RENDERING)


class SendNowForm(forms.Form):
    """Kind and audience for an on-demand report, limited to what is valid for the scope and user.

    Project scope: highlight reports, in the audiences the user may send
    (the internal one only with the project's money). Department scope:
    portfolio reports, internal audience only (a portfolio spans several
    clients).
    """

    kind = forms.ChoiceField(label="Report")
    audience = forms.ChoiceField(label="Audience")

    def __init__(self, *args, scope: str, user, project=None, department=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = send_now_kinds(scope=scope)
        self.fields["audience"].choices = send_now_audiences(
            scope=scope, user=user, project=project, department=department
        )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def send_now_kinds(*, scope: str) -> list[tuple[str, str]]:
    """The report kinds valid for ``scope`` as (value, label) choices."""
    kind = ReportKind.HIGHLIGHT if scope == Scope.PROJECT else ReportKind.PORTFOLIO
    return [(kind.value, kind.label)]


def send_now_audiences(*, scope: str, user, project=None, department=None) -> list[tuple[str, str]]:
    """The audiences ``user`` may send now about the project or department, as (value, label) choices."""
    audiences = [Audience.INTERNAL] if scope == Scope.DEPARTMENT else list(Audience)
    return [
        (a.value, a.label)
        for a in audiences
        if access.may_send(user, audience=a.value, scope=scope, project=project, department=department)
    ]


def _reports_for(user, **scope_filter) -> QuerySet[Report]:
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
def report_index(request: HttpRequest) -> HttpResponse:
    """The departments and projects whose reports the user may see."""
    return render(
        request,
        "reports/index.html",
        {
            "departments": access.see_department.queryset(request.user).order_by("code"),
            "projects": access.see_project.queryset(request.user).select_related("client").order_by("code"),
            "can_schedule": access.create_project.allows(request.user),
        },
    )


class ArchiveSearchForm(forms.Form):
    """Search the report archive: project code or name, department code, kind, period end between two dates."""

    project = forms.CharField(required=False, max_length=100, label="Project code or name")
    department = forms.CharField(required=False, max_length=20, label="Department code")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ReportKind.choices])
    date_from = forms.DateField(
        required=False, label="Period ending from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if field.widget.input_type == "select" else "form-control form-control-sm"
            )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The first date is after the second.")
        return data


ARCHIVE_PAGE = 100


@login_required
def report_archive(request: HttpRequest) -> HttpResponse:
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


def _scope_page(request: HttpRequest, *, scope: str, subject, reports: QuerySet[Report], send_url: str):
    reports = list(reports)
    where = {"project": subject} if scope == Scope.PROJECT else {"department": subject}
    send_form = SendNowForm(scope=scope, user=request.user, **where)
    context = {
        "scope": scope,
        "subject": subject,
        "reports": reports,
        "polling": any(r.status in PENDING for r in reports),
        "can_send": bool(send_form.fields["audience"].choices),
        "send_form": send_form,
        "send_url": send_url,
        "client_audience": access.audience_for(request.user) == access.CLIENT,
    }
    if request.htmx:
        return render(request, "reports/_report_table.html", context)
    return render(request, "reports/report_list.html", context)


@login_required
def project_reports(request: HttpRequest, code: str) -> HttpResponse:
    """The project's highlight reports the user may see, newest first."""
    project = project_or_404(request, code)
    return _scope_page(
        request,
        scope=Scope.PROJECT,
        subject=project,
        reports=_reports_for(request.user, scope=Scope.PROJECT, project=project),
        send_url=reverse("reports:project_send", kwargs={"code": project.code}),
    )


@login_required
def department_reports(request: HttpRequest, code: str) -> HttpResponse:
    """The department's portfolio reports, for administrators and the department's heads."""
    department = access.object_or_404(request.user, access.see_department, code__iexact=code)
    return _scope_page(
        request,
        scope=Scope.DEPARTMENT,
        subject=department,
        reports=_reports_for(request.user, scope=Scope.DEPARTMENT, department=department),
        send_url=reverse("reports:department_send", kwargs={"code": department.code}),
    )


def _send_now(request: HttpRequest, *, scope: str, project=None, department=None) -> HttpResponse:
    back = (
        redirect("reports:project", code=project.code)
        if project is not None
        else redirect("reports:department", code=department.code)
    )
    form = SendNowForm(request.POST, scope=scope, user=request.user, project=project, department=department)
    if not form.fields["audience"].choices:
        raise PermissionDenied("You may not send reports about this.")
    if not form.is_valid():
        # Also the server-side check that nobody asks for an audience they may not send.
        messages.error(request, "That report cannot be sent: choose one of the offered kinds and audiences.")
        return back
    try:
        report_request(
            kind=form.cleaned_data["kind"],
            audience=form.cleaned_data["audience"],
            scope=scope,
            project=project,
            department=department,
            requested_by=request.user,
        )
    except Refused as exc:
        messages.error(request, f"The report was not queued: {exc.message}")
        return back
    messages.success(request, "Report queued; it will be emailed when ready.")
    return back


@login_required
@require_POST
def project_send_now(request: HttpRequest, code: str) -> HttpResponse:
    """POST: queue a highlight report of the project now (404 when not visible, 403 when not allowed)."""
    project = project_or_404(request, code)
    return _send_now(request, scope=Scope.PROJECT, project=project)


@login_required
@require_POST
def department_send_now(request: HttpRequest, code: str) -> HttpResponse:
    """POST: queue a portfolio report of the department now (404 when not visible)."""
    department = access.object_or_404(request.user, access.see_department, code__iexact=code)
    return _send_now(request, scope=Scope.DEPARTMENT, department=department)


@login_required
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The report's PDF as an attachment; 404 unless visible to the user and rendered."""
    report = access.object_or_404(request.user, access.see_report, pk=pk, status=ReportStatus.RENDERED)
    if not report.pdf:
        raise Http404("This report has no PDF.")
    try:
        handle = report.pdf.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The PDF file is missing.") from exc
    filename = f"{report.title or 'report'}-{report.period_end:%Y-%m-%d}.pdf".replace("/", "-")
    audit_record(kind=AuditKind.REPORT_DOWNLOADED, request=request, target=f"report:{report.pk}")
    return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
