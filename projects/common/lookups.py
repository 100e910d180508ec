"""The one way a view fetches a project, or an object of a project, for a request and a capability.

Outside the capability (``apm.access``) or not there at all, the answer is the
same 404, so a page never confirms that a project exists. Every project page
starts with :func:`project_or_404`; objects of the project (a deliverable, a
document, an expense) are then looked up inside that project with
:func:`child_or_404`, so another project's id answers 404 too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404

from apm import access
from projects.models import Project

if TYPE_CHECKING:
    from django.http import HttpRequest

M = TypeVar("M", bound=Model)

#: Joined on every lookup: the header of every project page names the client and the PM.
PROJECT_RELATED = ("client", "project_manager")


def project_or_404(
    request: HttpRequest,
    code: str,
    capability: access.Capability = access.see_project,
    *,
    prefetch: tuple[str | Prefetch[Any, Any, Any], ...] = (),
) -> Project:
    """The project ``code`` if ``request.user`` has ``capability`` on it (a project capability), else 404."""
    if capability.subject != "project":
        raise TypeError(f"{capability.name} is not a project capability.")
    queryset = capability.queryset(request.user).select_related(*PROJECT_RELATED)
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    project = queryset.filter(code=code).first()
    if project is None:
        raise Http404("No such project.")
    return project


def child_or_404(queryset: QuerySet[M] | type[M], *, project: Project, field: str = "project", **filters: Any) -> M:
    """The object of ``project`` matching ``filters`` (``field`` links it to the project), else 404."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    found = queryset.filter(**{field: project}, **filters).first()
    if found is None:
        raise Http404(f"No such {queryset.model._meta.verbose_name}.")
    return found
