"""Template tags of the RAID log: the critical-issue banner for the project page and the PM's desk."""

from __future__ import annotations

from typing import Any

from django import template

from apm import access
from projects.common.nav import request_allows
from projects.models import Project, RaidItem, RaidKind, RaidStatus, Severity
from projects.raid.selectors import critical_issues_for

register = template.Library()


@register.inclusion_tag("projects/raid/_critical_banner.html", takes_context=True)
def critical_issues(context: template.Context, project: Project | None = None) -> dict[str, Any]:
    """Open critical issues of ``project`` (or, without one, of every project the user may see), with one-click actions.

    Internal users only; one query (on a project page, who may see and manage them is the tab bar's answer,
    asked once a request).
    """
    user = context["request"].user
    if project is None and not access.see_workspace.allows(user):
        return {"critical": [], "may_manage": False}
    if project is not None and not request_allows(context["request"], access.see_internal, project):
        return {"critical": [], "may_manage": False}
    if project is None:
        items = list(critical_issues_for(user=user)[:10])
        return {"critical": items, "may_manage": False, "show_project": True, "request": context["request"]}
    items = list(
        RaidItem.objects.filter(project=project, kind=RaidKind.ISSUE, severity=Severity.CRITICAL)
        .exclude(status=RaidStatus.CLOSED)
        .select_related("project", "acknowledged_by")
        .order_by("-raised_at")
    )
    return {
        "critical": items,
        "may_manage": bool(items) and request_allows(context["request"], access.edit_project, project),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }
