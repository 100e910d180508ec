"""The plan import page: upload a supplier's plan, see what it would create, confirm (``/tasks/import/``).

Changing the project's tasks is ``apm.access.edit_tasks`` (404 without it). The preview is the stored plan
of the upload (``?preview=<token>``), seen only by the user who uploaded it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import project_or_404
from projects.planning.plan_import import forms, selectors, services


@login_required
def task_import(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The upload form; after an upload, the preview of the plan with the button that imports it."""
    project = project_or_404(request, code, access.edit_tasks)
    form = forms.PlanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, upload_field="file"):
            token = services.plan_upload(project=project, user=request.user, upload=form.cleaned_data["file"])
            return redirect(f"{reverse('projects:task_import', args=[project.code])}?preview={token}")
    token = request.GET.get("preview", "") if request.method == "GET" else ""
    plan = selectors.plan_stored(project=project, user=request.user, token=token) if token else None
    if token and plan is None:
        messages.info(request, "That preview is no longer kept (imported, or over a day old); upload the file again.")
    preview = selectors.plan_preview(project=project, user=request.user, plan=plan) if plan else None
    confirm = forms.PlanConfirmForm(initial={"token": token}) if plan else None
    context = {"project": project, "form": form, "preview": preview, "confirm": confirm}
    return render(request, "projects/planning/plan_import.html", context)


@login_required
@require_POST
def task_import_confirm(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Import the stored plan, once; back to the tasks with what was created."""
    project = project_or_404(request, code, access.edit_tasks)
    form = forms.PlanConfirmForm(request.POST)
    if form_valid_or_shown(request, form, failed="Nothing was imported:"):
        with refusal_shown(request, failed="Nothing was imported:"):
            done = services.plan_import(project=project, user=request.user, token=form.cleaned_data["token"])
            messages.success(
                request,
                f"Imported {done.tasks} task{'s' if done.tasks != 1 else ''} with {done.links} "
                f"link{'s' if done.links != 1 else ''} and {done.deliverables} "
                f"deliverable{'s' if done.deliverables != 1 else ''}.",
            )
            return redirect("projects:tasks", code=project.code)
    return redirect("projects:task_import", code=project.code)
