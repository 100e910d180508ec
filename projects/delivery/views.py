"""Pages of deliverables: the list with the Gantt timeline, a deliverable, its moves, the schedule baseline.

Thin: reads through ``projects.delivery.selectors``, writes through
``projects.delivery.services``. Internal pages: a client contact or anyone
who may not see the project's internal pages gets 404
(``apm.access.see_internal``); the client's sign-off is the portal's.
Actions show a refusal in the service's words and change nothing
(``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.charts.gantt import gantt_svg
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.common import workflow
from projects.common.history import history_rows
from projects.common.lookups import child_or_404, project_or_404
from projects.common.nav import request_allows
from projects.common.pages import delivery_form_page, project_page_flags
from projects.conversation.selectors import comment_thread
from projects.delivery import forms, selectors, services
from projects.models import Deliverable, DeliverableStatus, Project, QualityReview
from projects.planning import selectors as task_selectors
from projects.planning.forms import TaskForm
from projects.quality.forms import NonConformanceForm


@login_required
def deliverable_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's deliverables: Gantt (baseline and current dates) and a table; a fixed number of queries."""
    project = project_or_404(request, code, access.see_internal)
    items = list(selectors.deliverable_list(project=project))
    chart = gantt_svg(rows=selectors.gantt_rows(project=project), today=timezone.localdate())
    return render(
        request,
        "projects/delivery/deliverables.html",
        {**project_page_flags(request, project), "items": items, "chart": chart, "baseline_form": forms.BaselineForm()},
    )


#: The columns of the deliverables' export, as the table shows them.
DELIVERABLE_COLUMNS = (
    "Deliverable",
    "Owner",
    "Due",
    "Status",
    "Done %",
    "Milestone",
    "EV weight",
    "Depends on",
    "Open NCs",
)


@login_required
def deliverable_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The deliverables table as CSV or XLSX (every deliverable)."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal)
    rows = (
        (
            d.name,
            str(d.owner) if d.owner else "",
            d.due_date,
            d.get_status_display(),
            d.percent_complete,
            d.milestone.name if d.milestone else "",
            d.milestone.weight if d.milestone else None,
            ", ".join(dep.name for dep in d.depends_on.all()),
            getattr(d, "open_ncs", 0),  # annotated by the selector
        )
        for d in selectors.deliverable_list(project=project).iterator(chunk_size=500)
    )
    return table_response(
        rows=rows,
        columns=DELIVERABLE_COLUMNS,
        filename=export_filename("deliverables", project.code, fmt),
        fmt=fmt,
        sheet="Deliverables",
    )


@login_required
def deliverable_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    form = forms.DeliverableForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            item = services.deliverable_create(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"Deliverable {item.name} added.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return delivery_form_page(request, project, form, title="New deliverable", tab="deliverables")


def _deliverable_or_404(project: Project, pk: int) -> Deliverable:
    return child_or_404(
        Deliverable.objects.select_related("owner", "milestone", "project", "review_document"), project=project, pk=pk
    )


@login_required
def deliverable_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.edit_project)
    item = _deliverable_or_404(project, pk)
    form = forms.DeliverableForm(request.POST or None, project=project, instance=item)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            services.deliverable_update(deliverable=item, user=request.user, **form.cleaned_data)
            messages.success(request, "Deliverable saved.")
            return redirect("projects:deliverable", code=project.code, pk=item.pk)
    return delivery_form_page(request, project, form, title=f"Edit {item.name}", tab="deliverables")


NEXT_LABELS: dict[str, str] = {
    DeliverableStatus.IN_PROGRESS: "Start work",
    DeliverableStatus.IN_REVIEW: "Send to quality review",
    DeliverableStatus.AWAITING_SIGN_OFF: "Send to client sign-off",
    DeliverableStatus.NOT_STARTED: "Back to not started",
}


@login_required
def deliverable_detail(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """A deliverable: facts, acceptance criteria, dependencies, reviews, non-conformances, sign-off, its tasks (with
    an "Add a task" form for whoever may edit them), history."""
    project = project_or_404(request, code, access.see_internal)
    item = _deliverable_or_404(project, pk)
    labels = dict(NEXT_LABELS)
    if item.status != DeliverableStatus.NOT_STARTED:
        labels[DeliverableStatus.IN_PROGRESS] = "Back to work"
    if item.status == DeliverableStatus.AWAITING_SIGN_OFF:
        labels[DeliverableStatus.IN_REVIEW] = "Withdraw from sign-off"
    moves = [
        (status, labels.get(status, f"Back to {DeliverableStatus(status).label.lower()}"))
        for status in workflow.DELIVERABLE.next_states(item.status)
        if status not in (DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED)
    ]
    reviews = list(
        QualityReview.objects.filter(deliverable=item)
        .select_related("reviewer")
        .prefetch_related("checks__criterion__standard")
    )
    ncs = list(item.non_conformances.select_related("action_owner", "verified_by").order_by("-opened_at"))
    may_edit_tasks = request_allows(request, access.edit_tasks, project)
    return render(
        request,
        "projects/delivery/deliverable_detail.html",
        {
            **project_page_flags(request, project),
            "item": item,
            "moves": moves,
            "depends_on": list(item.depends_on.all()),
            "dependents": list(item.dependents.all()),
            "reviews": reviews,
            "ncs": ncs,
            "open_ncs": [nc for nc in ncs if nc.status != "closed"],
            "overrides": list(item.overrides.select_related("by")),
            "history": history_rows(item),
            "thread": comment_thread(anchor=item, user=request.user),
            "nc_form": NonConformanceForm(project=project),
            "is_admin": access.administer.allows(request.user),
            "quality_unchecked": item.status not in (DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED)
            and selectors.deliverable_quality_unchecked(deliverable=item),
            "quality_unchecked_message": selectors.QUALITY_UNCHECKED,
            "tasks": list(task_selectors.deliverable_tasks(deliverable=item)),
            "task_form": TaskForm(project=project, initial={"deliverable": item.pk}) if may_edit_tasks else None,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def deliverable_move(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    item = _deliverable_or_404(project, pk)
    form = forms.MoveForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request):
            services.deliverable_transition(deliverable=item, user=request.user, **form.cleaned_data)
            messages.success(request, f"{item.name} is now {item.get_status_display().lower()}.")
            if item.status == DeliverableStatus.AWAITING_SIGN_OFF and selectors.deliverable_quality_unchecked(
                deliverable=item
            ):
                messages.warning(request, f"{selectors.QUALITY_UNCHECKED}.")
    return redirect("projects:deliverable", code=project.code, pk=item.pk)


@login_required
@require_POST
def schedule_baseline(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    form = forms.BaselineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the baseline is set.")
    else:
        with refusal_shown(request):
            baseline = services.schedule_baseline_set(
                project=project, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"Baseline {baseline.number} set with every deliverable's dates.")
    return redirect("projects:deliverables", code=project.code)
