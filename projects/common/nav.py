"""The one project navigation: which tabs a user sees on a project's pages, from ``apm.access``.

Every project page shows the same tab bar (``projects/common/_project_tabs.html``,
rendered by ``{% project_tabs project "key" %}`` of ``projects.templatetags.project_nav``).
A tab is shown exactly when its page would answer the user (not 403 or 404):
each tab names the capability its view asks (the access sweep's ``NEEDS``).
The capabilities are asked in one query, once per request and project; the delivery pages read their
buttons from the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from apm import access
from projects.models import Project

if TYPE_CHECKING:
    from django.http import HttpRequest

    from apm.access.base import AnyUser


@dataclass(frozen=True)
class Tab:
    """One tab: its key (the active tab's name), label, URL name (with the project's code) and capability."""

    key: str
    label: str
    url_name: str
    capability: access.Capability


#: The tabs in their order. A view's capability is what ``tests/apm/access/test_sweep.py`` NEEDS of it.
TABS: tuple[Tab, ...] = (
    Tab("overview", "Overview", "projects:detail", access.see_project),
    Tab("update", "Weekly update", "projects:update", access.edit_project),
    Tab("team", "Team", "projects:team", access.see_internal),
    Tab("budget", "Budget", "projects:budget", access.see_money),
    Tab("deliverables", "Deliverables", "projects:deliverables", access.see_internal),
    Tab("tasks", "Tasks", "projects:tasks", access.see_internal),
    Tab("quality", "Quality", "projects:quality", access.see_internal),
    Tab("changes", "Changes", "projects:changes", access.see_internal),
    Tab("raid", "RAID", "projects:raid", access.see_internal),
    Tab("documents", "Documents", "projects:documents", access.see_internal_documents),
    Tab("correspondence", "Correspondence", "projects:correspondence", access.see_internal_documents),
    Tab("activity", "Activity", "projects:activity", access.see_internal),
    Tab("reports", "Reports", "reports:project", access.see_project),
    Tab("client_access", "Client access", "portal:access", access.manage_share_links),
    Tab("chat", "Chat channels", "projects:chat", access.manage_chat_hooks),
)
TAB_KEYS = frozenset(tab.key for tab in TABS)

#: Asked with the tabs' capabilities, for the buttons of the pages under them: ``work_on_project`` (the
#: delivery pages, ``projects.common.pages.project_page_flags``), ``edit_tasks`` (the task pages; the same
#: rule as ``work_on_project``, so the same ``EXISTS``) and ``staff_project`` (the team page).
PAGE_CAPABILITIES: tuple[access.Capability, ...] = (access.work_on_project, access.edit_tasks, access.staff_project)
#: The capabilities a project page asks, each once.
_CAPABILITIES: tuple[access.Capability, ...] = tuple(
    {capability.name: capability for capability in (*(tab.capability for tab in TABS), *PAGE_CAPABILITIES)}.values()
)
#: Their names: what :func:`project_capabilities` answers about (a page may read its own buttons from it too).
ASKED = frozenset(capability.name for capability in _CAPABILITIES)

_CACHE_ATTRIBUTE = "_apm_project_capabilities"


def project_capabilities(user: AnyUser | None, project: Project) -> frozenset[str]:
    """The names of the capabilities of :data:`ASKED` ``user`` has on ``project``: one query for all of them.

    Each is asked as ``Capability.allows`` asks it, ``EXISTS`` of the capability's own queryset narrowed to
    the project, so the answer is the policy's. Capabilities whose querysets are the same SQL for this user
    (for an internal user, seeing the project, its internal pages and its internal documents) are asked
    once: PostgreSQL plans every ``EXISTS``, a union of indexed lookups each, and planning one subquery a
    capability, correlated with an outer row, cost most of the query; the distinct ones narrowed to a
    constant id cost a fraction of it.
    """
    if project.pk is None:
        return frozenset()
    asked: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    using = DEFAULT_DB_ALIAS
    for capability in _CAPABILITIES:
        allowed = capability.queryset(user).filter(pk=project.pk).order_by().values("pk")
        if allowed.query.is_empty():
            continue
        using = allowed.db
        try:
            sql, params = allowed.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            continue
        asked.setdefault((sql, tuple(params)), []).append(capability.name)
    if not asked:
        return frozenset()
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"EXISTS({sql})" for sql, _ in asked),
            [param for _, params in asked for param in params],
        )
        row = cursor.fetchone()
    return frozenset(name for names, allowed in zip(asked.values(), row, strict=True) if allowed for name in names)


def request_capabilities(request: HttpRequest, project: Project) -> frozenset[str]:
    """:func:`project_capabilities` for the request's user, asked once per request and project."""
    cache: dict[int, frozenset[str]] = request.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    if project.pk not in cache:
        cache[project.pk] = project_capabilities(getattr(request, "user", None), project)
    return cache[project.pk]


def request_allows(request: HttpRequest, capability: access.Capability, project: Project) -> bool:
    """``capability.allows`` for the request's user on ``project``: read from :func:`request_capabilities`
    (no query of its own) when it is one of :data:`ASKED`, else asked alone."""
    if capability.name in ASKED:
        return capability.name in request_capabilities(request, project)
    return capability.allows(getattr(request, "user", None), project)


@dataclass(frozen=True)
class ShownTab:
    key: str
    label: str
    url: str
    active: bool
    current: str  # aria-current: "page" on the tab's own page, "true" on a page under it, "" elsewhere


def project_tabs(capabilities: frozenset[str], project: Project, active: str, path: str = "") -> list[ShownTab]:
    """The tabs shown with ``capabilities`` (from :func:`project_capabilities`), ``active`` marked."""
    if active and active not in TAB_KEYS:
        raise ValueError(f"No project tab {active!r}.")
    shown = []
    for tab in TABS:
        if tab.capability.name not in capabilities:
            continue
        url = reverse(tab.url_name, kwargs={"code": project.code})
        is_active = tab.key == active
        current = ("page" if not path or path == url else "true") if is_active else ""
        shown.append(ShownTab(key=tab.key, label=tab.label, url=url, active=is_active, current=current))
    return shown
