"""Template tags of the budget: the open tolerance exceptions, each with its plan's state, for the project page."""

from __future__ import annotations

from typing import Any

from django import template

from apm import access
from projects.common.nav import request_allows
from projects.models import ExceptionState, Project, ToleranceException

register = template.Library()


@register.inclusion_tag("projects/budget/_exceptions_banner.html", takes_context=True)
def open_exceptions(context: template.Context, project: Project) -> dict[str, Any]:
    """The open tolerance exceptions of ``project`` with their plans (only for those who see its money); one query
    (the money question is the tab bar's, asked once a request)."""
    if not request_allows(context["request"], access.see_money, project):
        return {"exceptions": []}
    exceptions = list(
        ToleranceException.objects.filter(project=project, state=ExceptionState.OPEN)
        .select_related("project", "plan")
        .order_by("kind")
    )
    return {"exceptions": exceptions}
