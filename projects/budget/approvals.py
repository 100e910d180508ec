"""The approvals page: time submitted on the projects one approves (``access.approve_time``), approved or
rejected entry by entry, and time approved lately, reopened with a reason.

Thin: reads through ``projects.budget.selectors.time.approvals_for``, writes through
``projects.budget.services.approval``. Hours only: no costs or rates.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.budget import forms
from projects.budget.selectors import time as time_selectors
from projects.budget.services.approval import time_entries_decide, time_entries_reopen
from projects.common.lookups import project_or_404


@login_required
def approvals(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Time waiting for my approval, by project, person and week; 404 for those who approve no project's time."""
    if not access.approve_time.queryset(request.user).exists():
        raise Http404("You approve no project's time.")
    return render(
        request,
        "projects/budget/approvals.html",
        {"approvals": time_selectors.approvals_for(user=request.user), "reopen_days": time_selectors.REOPEN_DAYS},
    )


_DONE = {"approve": "approved", "reject": "rejected", "reopen": "reopened"}


@login_required
@require_POST
def time_decide(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Approve, reject (comment) or reopen (reason) the ticked entries of project ``code``: 404 for those who do
    not see its internal pages, 403 for those who see them but do not approve its time."""
    project = project_or_404(request, code, access.see_internal)
    if not access.approve_time.allows(request.user, project):
        raise PermissionDenied("Only the project's PM or a head of its departments approves its time.")
    form = forms.TimeDecisionForm(request.POST)
    if form_valid_or_shown(request, form, failed="Nothing was decided."):
        action, ids, comment = (form.cleaned_data[name] for name in ("action", "entry", "comment"))
        with refusal_shown(request, failed="Nothing was decided:"):
            if action == "reopen":
                count = time_entries_reopen(project=project, entry_ids=ids, reason=comment, actor=request.user)
            else:
                count = time_entries_decide(
                    project=project, entry_ids=ids, approve=action == "approve", comment=comment, actor=request.user
                )
            entries = "1 entry" if count == 1 else f"{count} entries"
            messages.success(request, f"{entries} {_DONE[action]} on {project.code}.")
    return redirect("projects:time_approvals")
