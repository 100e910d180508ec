"""What an internal page of a project offers the user, for the pages that share the delivery tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apm import access

if TYPE_CHECKING:
    from django.http import HttpRequest

    from projects.models import Project


def project_page_flags(request: HttpRequest, project: Project) -> dict[str, Any]:
    """``project`` and the user's flags on it (each from ``apm.access``): ``may_manage`` (edit the
    project), ``may_work`` (work on it) and ``see_money``."""
    return {
        "project": project,
        "may_manage": access.edit_project.allows(request.user, project),
        "may_work": access.work_on_project.allows(request.user, project),
        "see_money": access.see_money.allows(request.user, project),
    }
