"""Project pages: list, page, create and edit. Thin: reads go through ``projects.portfolio.selectors``.

Every project is looked up with ``projects.common.lookups.project_or_404`` and
a capability of ``apm.access``, so that a project the user may not see
answers 404, never 403 (which would confirm it exists).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apm import access
from apm.actions import refusal_on_form
from apm.http import AuthenticatedHttpRequest
from apm.paging import page_of
from projects.common.lookups import project_or_404
from projects.common.nav import request_capabilities
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
    # The ids read once, for the list and its filter's choices (apm.access.Capability.ids).
    seen = access.see_project.ids(user)
    project_filter = ProjectFilter(
        request.GET or None, queryset=selectors.project_list(user=user, seen=seen), seen=seen
    )
    page, query = page_of(request, project_filter.qs, PAGE_SIZE)
    return render(
        request,
        "projects/portfolio/project_list.html",
        {
            "filter": project_filter,
            "page": page,
            "projects": page.object_list,
            "query": query,
            "show_money": any(project.money_visible for project in page.object_list),
            "can_create": access.create_project.allows(user),
            # A row's link is this prefix, its code and "/": codes are URL-safe (apm.converters), and one
            # reverse() a page is cheaper than two a row.
            "detail_prefix": reverse("projects:detail", args=["x"]).removesuffix("x/"),
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
            "may": selectors.project_abilities(user=user, capabilities=request_capabilities(request, project)),
        },
    )


def _project_form_page(
    request: AuthenticatedHttpRequest,
    form: ProjectForm,
    *,
    project: Project | None,
    code: str | None,
    old_client_id: int | None,
    done: str,
) -> HttpResponse:
    """Save a posted valid ``form`` and go to the project (saying it is ``done``), else show the form again.

    For an edit, ``project`` is the project, ``code`` its stored code (the form may have copied an edited
    one onto the instance: the page links back with the stored one) and ``old_client_id`` its client
    before the edit; all None for a new project.
    """
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            saved = project_save(form=form, user=request.user, old_client_id=old_client_id)
            messages.success(request, f"Project {saved.code} {done}.")
            return redirect("projects:detail", code=saved.code)
    return render(request, "projects/portfolio/project_form.html", {"form": form, "project": project, "code": code})


@login_required
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a project (administrators, heads and PMs; others 403)."""
    if not access.create_project.allows(request.user):
        raise PermissionDenied("You may not create projects.")
    initial = {} if access.administer.allows(request.user) else {"project_manager": request.user}
    form = ProjectForm(request.POST or None, user=request.user, initial=initial)
    return _project_form_page(request, form, project=None, code=None, old_client_id=None, done="created")


@login_required
def project_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Edit a project the user may edit (others 404); the client only with ``access.change_client``."""
    project = project_or_404(request, code, access.edit_project)
    old_client_id = project.client_id  # before the form copies the posted client onto the instance
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    return _project_form_page(request, form, project=project, code=code, old_client_id=old_client_id, done="saved")
