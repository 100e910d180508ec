"""Pages of change requests: the list, a new request, a request with its decisions and history, its actions.

Thin: reads through ``projects.changes.selectors``, writes through
``projects.changes.services``. Internal pages (``apm.access.see_internal``:
anyone else gets 404); the client's decision is the portal's. Actions show
a refusal in the service's words and change nothing (``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.exports import export_filename, export_format, table_response
from apm.http import AuthenticatedHttpRequest
from projects.changes import forms, selectors, services
from projects.common.history import history_rows
from projects.common.lookups import child_or_404, project_or_404
from projects.common.pages import delivery_form_page, project_page_flags
from projects.conversation.selectors import comment_thread
from projects.models import ChangeFunding, ChangeRequest, Project


@login_required
def change_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    return render(
        request,
        "projects/changes/changes.html",
        {**project_page_flags(request, project), "changes": list(selectors.change_request_list(project=project))},
    )


@login_required
def change_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> StreamingHttpResponse:
    """The change requests as CSV or XLSX, with the cost impact only for those who see the project's money."""
    export_format(fmt)
    project = project_or_404(request, code, access.see_internal)
    see_money = access.see_money.allows(request.user, project)
    columns = (
        "Ref.",
        "Title",
        "Raised by",
        *(("Cost impact", "Currency") if see_money else ()),
        "Days",
        "Approvers",
        "Decisions",
        "Status",
    )
    rows = (
        (
            c.reference,
            c.title,
            c.get_raised_by_display(),
            *((c.cost_impact, project.currency) if see_money else ()),
            c.schedule_impact_days,
            c.get_approvers_display(),
            "; ".join(f"{a.get_side_display()}: {'approved' if a.approved else 'rejected'}" for a in c.approvals.all()),
            c.get_status_display(),
        )
        for c in selectors.change_request_list(project=project).iterator(chunk_size=500)
    )
    return table_response(
        rows=rows,
        columns=columns,
        filename=export_filename("changes", project.code, fmt),
        fmt=fmt,
        sheet="Change requests",
    )


@login_required
def change_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    project = project_or_404(request, code, access.work_on_project)
    see_money = access.see_money.allows(request.user, project)
    form = forms.ChangeRequestForm(request.POST or None, project=project, see_money=see_money)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request):
            change = services.change_request_create(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"{change.reference} saved as a draft.")
            return redirect("projects:change", code=project.code, number=change.number)
    return delivery_form_page(request, project, form, title="New change request", tab="changes")


def _change_or_404(project: Project, number: int) -> ChangeRequest:
    return child_or_404(
        ChangeRequest.objects.select_related("author", "baseline", "project"), project=project, number=number
    )


@login_required
def change_detail(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    change = _change_or_404(project, number)
    side = services.approver_side(user=request.user, change_request=change)
    decided = set(change.approvals.values_list("side", flat=True))
    return render(
        request,
        "projects/changes/change_detail.html",
        {
            **project_page_flags(request, project),
            "change": change,
            "approvals": list(change.approvals.select_related("user")),
            "affected": list(change.affected_deliverables.all()),
            "may_decide": change.status == "submitted" and side in change.required_sides and side not in decided,
            "side": side,
            "fundings": ChangeFunding.choices,
            "history": history_rows(
                change, hidden=() if access.see_money.allows(request.user, project) else selectors.MONEY_FIELDS
            ),
            "thread": comment_thread(anchor=change, user=request.user),
        },
    )


@login_required
@require_POST
def change_action(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    project = project_or_404(request, code, access.see_internal)
    change = _change_or_404(project, number)
    form = forms.ChangeActionForm(request.POST)
    if not form_valid_or_shown(request, form):
        return redirect("projects:change", code=project.code, number=number)
    action, comment, user = form.cleaned_data["action"], form.cleaned_data["comment"], request.user
    with refusal_shown(request):
        if action == "submit":
            services.change_request_submit(change_request=change, user=user)
        elif action == "withdraw":
            services.change_request_withdraw(change_request=change, user=user)
        elif action == "implement":
            services.change_request_implement(change_request=change, user=user)
        else:
            services.change_request_decide(
                change_request=change,
                user=user,
                approve=action == "approve",
                comment=comment,
                funding=form.cleaned_data["funding"] or ChangeFunding.BUDGET,
            )
        change.refresh_from_db()
        messages.success(request, f"{change.reference} is {change.get_status_display().lower()}.")
    return redirect("projects:change", code=project.code, number=number)
