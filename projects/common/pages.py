"""What an internal page of a project offers the user, for the pages that share the delivery tabs; and the
form pages under the delivery and the documents tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import render

from apm import access
from projects.common.nav import request_allows

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest, HttpResponse

    from projects.models import Project


def project_page_flags(request: HttpRequest, project: Project) -> dict[str, Any]:
    """``project`` and the user's flags on it (each from ``apm.access``): ``may_manage`` (edit the
    project), ``may_work`` (work on it) and ``see_money``; read from the capabilities the project's tab bar
    asks (``projects.common.nav.request_allows``: one query for all, once per request)."""
    return {
        "project": project,
        "may_manage": request_allows(request, access.edit_project, project),
        "may_work": request_allows(request, access.work_on_project, project),
        "see_money": request_allows(request, access.see_money, project),
    }


def delivery_form_page(
    request: HttpRequest,
    project: Project,
    form: forms.BaseForm,
    *,
    title: str,
    tab: str,
    hidden: dict[str, str] | None = None,
) -> HttpResponse:
    """The page of ``form`` under the delivery tabs (deliverables, quality, changes, RAID; ``tab`` active in the
    project's tabs), headed ``title``; ``hidden`` fields go back with the post."""
    context: dict[str, Any] = {"project": project, "form": form, "title": title, "tab": tab}
    if hidden:
        context["hidden"] = hidden
    return render(request, "projects/common/delivery_form.html", context)


def documents_form_page(
    request: HttpRequest, project: Project, form: forms.BaseForm, *, title: str, here: str, tab: str = "documents"
) -> HttpResponse:
    """The page of ``form`` under the documents tabs (``tab`` active), headed ``title``, ``here`` ending the
    crumbs; 400 when it answers a post that did not save."""
    return render(
        request,
        "projects/common/documents_form.html",
        {"project": project, "form": form, "title": title, "here": here, "tab": tab},
        status=400 if request.method == "POST" else 200,
    )
