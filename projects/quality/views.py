"""Pages of quality: the project's standards and open non-conformances, recording a review, evidence files,
and the actions on a non-conformance.

Thin: reads through ``projects.quality.selectors``, writes through
``projects.quality.services``. Internal pages (``apm.access.see_internal``:
anyone else gets 404). A refused action changes nothing and shows the
service's message (``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.accounts.models import AuditKind
from apm.accounts.services import audit_record
from apm.actions import form_valid_or_shown, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import child_or_404, project_or_404
from projects.common.pages import project_page_flags
from projects.models import CheckResult, Deliverable, NonConformance, ReviewCheck
from projects.quality import forms, selectors, services
from projects.quality.services import CheckInput


@login_required
def quality_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The standards that apply to the project (chosen here) and its open non-conformances."""
    project = project_or_404(request, code, access.see_internal)
    form = forms.StandardsForm(
        request.POST or None,
        project=project,
        initial={"standards": list(project.quality_standards.values_list("pk", flat=True))},
    )
    if request.method == "POST" and form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.project_standards_set(project=project, standards=form.cleaned_data["standards"], user=request.user)
            messages.success(request, "Standards saved.")
            return redirect("projects:quality", code=project.code)
    applied = list(project.quality_standards.select_related("client").prefetch_related("criteria"))
    ncs = list(selectors.open_non_conformances(project=project))
    today = timezone.localdate()
    for nc in ncs:
        # For the template; not a field (django-stubs refuse an attribute the model does not declare).
        nc.age = selectors.age_days(nc.opened_at, today)  # type: ignore[attr-defined]
    return render(
        request,
        "projects/quality/quality.html",
        {**project_page_flags(request, project), "form": form, "applied": applied, "ncs": ncs},
    )


@login_required
def review_create(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Record a review: a result, note and evidence for every criterion of every applicable standard."""
    project = project_or_404(request, code, access.work_on_project)
    item = child_or_404(Deliverable.objects.select_related("owner", "milestone", "project"), project=project, pk=pk)
    criteria = selectors.applicable_criteria(project=project)
    if request.method == "POST":
        checks = [
            CheckInput(
                criterion_id=c.pk,
                result=request.POST.get(f"result-{c.pk}", ""),
                note=request.POST.get(f"note-{c.pk}", ""),
                evidence_link=request.POST.get(f"link-{c.pk}", ""),
                evidence_file=request.FILES.get(f"file-{c.pk}"),
            )
            for c in criteria
            if request.POST.get(f"result-{c.pk}")
        ]
        with refusal_shown(request):
            review = services.review_record(
                deliverable=item, reviewer=request.user, checks=checks, summary=request.POST.get("summary", "")
            )
            messages.success(request, f"Review recorded: {review.get_outcome_display().lower()}.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return render(
        request,
        "projects/quality/review_form.html",
        {
            "project": project,
            "item": item,
            "criteria": criteria,
            "results": CheckResult.choices,
            "posted": request.POST,
        },
    )


@login_required
def evidence_download(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """A review's evidence file, to people who may see the project internally (private storage)."""
    project = project_or_404(request, code, access.see_internal)
    check = child_or_404(ReviewCheck, project=project, field="review__deliverable__project", pk=pk)
    if not check.evidence_file.name:
        raise Http404("No evidence file.")
    handle = check.evidence_file.open("rb")
    audit_record(kind=AuditKind.DOCUMENT_DOWNLOADED, request=request, target=f"evidence:{check.pk}")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=check.evidence_name or check.evidence_file.name.rsplit("/", 1)[-1],
        content_type=check.evidence_content_type or "application/octet-stream",
    )


@login_required
@require_POST
def non_conformance_action(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    nc = child_or_404(
        NonConformance.objects.select_related("deliverable"), project=project, field="deliverable__project", pk=pk
    )
    form = forms.NonConformanceForm(request.POST, project=project)
    if not form_valid_or_shown(request, form):
        return redirect("projects:deliverable", code=project.code, pk=nc.deliverable_id)
    data, user = form.cleaned_data, request.user
    with refusal_shown(request):
        if data["action"] == "plan":
            services.non_conformance_plan(
                non_conformance=nc,
                user=user,
                corrective_action=data["corrective_action"],
                owner=data["owner"],
                due=data["due"],
            )
        elif data["action"] == "done":
            services.non_conformance_action_done(non_conformance=nc, user=user, note=data["note"])
        else:
            services.non_conformance_verify(
                non_conformance=nc, user=user, passed=data["action"] == "verify", note=data["note"]
            )
        messages.success(request, f"{nc.reference} updated.")
    return redirect("projects:deliverable", code=project.code, pk=nc.deliverable_id)
