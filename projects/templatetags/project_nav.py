"""The project tab bar: ``{% load project_nav %}{% project_tabs project "budget" %}`` on every project page."""

from __future__ import annotations

from typing import Any

from django import template

from projects.common.nav import project_capabilities, request_capabilities
from projects.common.nav import project_tabs as tabs_for
from projects.models import Project

register = template.Library()


@register.inclusion_tag("projects/common/_project_tabs.html", takes_context=True)
def project_tabs(context: template.Context, project: Project, active: str = "") -> dict[str, Any]:
    """The tabs the request's user may follow on ``project`` (one query a request), ``active`` marked."""
    request = context.get("request")
    if request is not None:
        capabilities = request_capabilities(request, project)
        path = request.path
    else:
        capabilities = project_capabilities(context.get("user"), project)
        path = ""
    return {"project": project, "tabs": tabs_for(capabilities, project, active, path)}
