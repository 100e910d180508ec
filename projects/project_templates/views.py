"""Project template pages: the list, a template, saving a project as one, starting a project from one.

Reading templates and starting a project from one is ``access.create_project`` (others 403, as the
new-project page); saving a project as a template is ``access.edit_project`` on it (others 404); renaming,
describing and deleting are ``access.manage_templates`` (administrators; others 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import project_or_404
from projects.models import ProjectTemplate
from projects.project_templates import selectors, services
from projects.project_templates.forms import ProjectFromTemplateForm, TemplateForm


def _template_or_403(request: AuthenticatedHttpRequest, pk: int) -> ProjectTemplate:
    if not access.create_project.allows(request.user):
        raise PermissionDenied("You may not use project templates.")
    return get_object_or_404(ProjectTemplate.objects.select_related("source_project", "created_by"), pk=pk)


@login_required
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every template with what it holds; for those who may create projects (others 403)."""
    if not access.create_project.allows(request.user):
        raise PermissionDenied("You may not use project templates.")
    rows = selectors.template_list(user=request.user)
    return render(request, "projects/project_templates/list.html", {"rows": rows})


@login_required
def template_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One template's items, days counted from the start; amounts only for those who may see them."""
    template = _template_or_403(request, pk)
    may_manage = access.manage_templates.allows(request.user)
    form = TemplateForm(initial={"name": template.name, "description": template.description}) if may_manage else None
    view = selectors.template_view(template=template, user=request.user)
    return render(request, "projects/project_templates/detail.html", {"view": view, "form": form})


@login_required
def template_use(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The new-project form, to create a project from the template at the start date given."""
    template = _template_or_403(request, pk)
    initial = {"currency": template.content.get("currency")} if isinstance(template.content, dict) else {}
    if not access.administer.allows(request.user):
        initial["project_manager"] = request.user
    form = ProjectFromTemplateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            project = services.project_create_from_template(template=template, user=request.user, form=form)
            messages.success(request, f"Project {project.code} created from the template “{template.name}”.")
            return redirect("projects:detail", code=project.code)
    return render(request, "projects/project_templates/use.html", {"template": template, "form": form})


def _manage(request: AuthenticatedHttpRequest, pk: int) -> ProjectTemplate:
    template = _template_or_403(request, pk)
    if not access.manage_templates.allows(request.user):
        raise PermissionDenied("Only an administrator may change a template.")
    return template


@login_required
@require_POST
def template_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Rename a template or change its description (administrators)."""
    template = _manage(request, pk)
    form = TemplateForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.template_update(template=template, user=request.user, **form.cleaned_data)
            messages.success(request, "Template saved.")
    return redirect("projects:template", pk=template.pk)


@login_required
@require_POST
def template_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a template (administrators); projects started from it keep their items."""
    template = _manage(request, pk)
    name = template.name
    with refusal_shown(request, failed="Nothing was deleted."):
        services.template_delete(template=template, user=request.user)
        messages.success(request, f"Template “{name}” deleted.")
        return redirect("projects:templates")
    return redirect("projects:template", pk=pk)


@login_required
def template_save(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Save the project as a new template (those who may edit it; others 404)."""
    project = project_or_404(request, code, access.edit_project)
    form = TemplateForm(request.POST or None, initial={"name": f"{project.name} template"})
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            template = services.template_save_from_project(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"Template “{template.name}” saved from {project.code}.")
            return redirect("projects:template", pk=template.pk)
    return render(request, "projects/project_templates/save.html", {"project": project, "form": form})
