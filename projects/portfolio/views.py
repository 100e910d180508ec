"""Project pages: list, page, create and edit. Thin: reads go through ``projects.portfolio.selectors``.

Every project is looked up with ``projects.common.lookups.project_or_404`` and
a capability of ``apm.access``, so that a project the user may not see
answers 404, never 403 (which would confirm it exists).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from apm import access
from apm.errors import Refused
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import project_or_404
from projects.models import Project
from projects.portfolio import selectors
from projects.portfolio.filters import ProjectFilter
from projects.portfolio.forms import ProjectForm
from projects.portfolio.services import project_save

PAGE_SIZE = 50


@login_required
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The projects the user may see, filtered and paginated (50 a page); BAC only where they may see money."""
    user = request.user
    project_filter = ProjectFilter(request.GET or None, queryset=selectors.project_list(user=user), user=user)
    paginator = Paginator(project_filter.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/portfolio/project_list.html",
        {
            "filter": project_filter,
            "page": page,
            "projects": page.object_list,
            "query": query.urlencode(),
            "show_money": any(project.money_visible for project in page.object_list),
            "can_create": access.create_project.allows(user),
        },
    )


@login_required
def project_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """One project: header, status history, latest commentary and milestones (money only with see_money)."""
    project = project_or_404(request, code, prefetch=selectors.PROJECT_PREFETCH)
    history = selectors.project_status_history(project=project)
    user = request.user
    return render(
        request,
        "projects/portfolio/project_detail.html",
        {
            "project": project,
            "history": history,
            "strip": list(reversed(history)),
            "latest": history[0] if history else None,
            "milestones": selectors.project_milestones(project=project),
            "may": selectors.project_abilities(user=user, project=project),
        },
    )


def _save(request: AuthenticatedHttpRequest, form: ProjectForm, *, old_client_id: int | None) -> Project | None:
    try:
        return project_save(form=form, user=request.user, old_client_id=old_client_id)
    except Refused as exc:
        form.add_error(None, exc.message)
        return None


@login_required
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a project (administrators, heads and PMs; others 403)."""
    if not access.create_project.allows(request.user):
        raise PermissionDenied("You may not create projects.")
    initial = {} if access.administer.allows(request.user) else {"project_manager": request.user}
    form = ProjectForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        project = _save(request, form, old_client_id=None)
        if project is not None:
            messages.success(request, f"Project {project.code} created.")
            return redirect("projects:detail", code=project.code)
    return render(request, "projects/portfolio/project_form.html", {"form": form, "project": None, "code": None})


@login_required
def project_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Edit a project the user may edit (others 404); the client only with ``access.change_client``."""
    project = project_or_404(request, code, access.edit_project)
    old_client_id = project.client_id
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, old_client_id=old_client_id)
        if saved is not None:
            messages.success(request, f"Project {saved.code} saved.")
            return redirect("projects:detail", code=saved.code)
    # The form may have copied an edited code onto the instance: link back with the stored one.
    return render(request, "projects/portfolio/project_form.html", {"form": form, "project": project, "code": code})
