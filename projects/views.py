"""Project pages: list, page, create and edit. Thin: reads go through projects.selectors.

Every lookup happens inside ``apm.access.visible_projects`` so that a project
the user may not see answers 404, never 403 (which would confirm it exists).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apm.access import audience_for, can_edit_projects, editable_projects
from projects import selectors
from projects.filters import ProjectFilter
from projects.forms import ProjectForm
from projects.models import Project

PAGE_SIZE = 50


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The projects the user may see, filtered and paginated (50 a page); no money for clients."""
    user = request.user
    project_filter = ProjectFilter(request.GET or None, queryset=selectors.project_list(user=user), user=user)
    paginator = Paginator(project_filter.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/project_list.html",
        {
            "filter": project_filter,
            "page": page,
            "projects": page.object_list,
            "query": query.urlencode(),
            "show_money": selectors.shows_money(user=user),
            "can_edit": can_edit_projects(user),
        },
    )


def _visible_project_or_404(request: HttpRequest, code: str) -> Project:
    project = selectors.project_get(user=request.user, code=code)
    if project is None:
        raise Http404("No such project.")
    return project


@login_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One project: header, status history, latest commentary and milestones."""
    project = _visible_project_or_404(request, code)
    history = selectors.project_status_history(project=project)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "history": history,
            "strip": list(reversed(history)),
            "latest": history[0] if history else None,
            "milestones": selectors.project_milestones(project=project),
            "show_money": selectors.shows_money(user=request.user),
            "is_client": audience_for(request.user) == "client",
            "can_edit": editable_projects(request.user).filter(pk=project.pk).exists(),
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    """Create a project (administrators, heads and PMs; others 403)."""
    if not can_edit_projects(request.user):
        raise PermissionDenied("You may not create projects.")
    initial = {} if request.user.is_administrator else {"project_manager": request.user}
    form = ProjectForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            project = form.save()
        messages.success(request, f"Project {project.code} created.")
        return redirect("projects:detail", code=project.code)
    return render(request, "projects/project_form.html", {"form": form, "project": None, "code": None})


@login_required
def project_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Edit a project the user may see and edit (others 404)."""
    if not can_edit_projects(request.user):
        raise Http404("No such project.")
    project = editable_projects(request.user).filter(code=code).first()
    if project is None:
        raise Http404("No such project.")
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            project = form.save()
        messages.success(request, f"Project {project.code} saved.")
        return redirect("projects:detail", code=project.code)
    # The form may have copied an edited code onto the instance: link back with the stored one.
    return render(request, "projects/project_form.html", {"form": form, "project": project, "code": code})
