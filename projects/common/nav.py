"""The one project navigation: which tabs a user sees on a project's pages, from ``apm.access``.

Every project page shows the same tab bar (``projects/common/_project_tabs.html``,
rendered by ``{% project_tabs project "key" %}`` of ``projects.templatetags.project_nav``).
A tab is shown exactly when its page would answer the user (not 403 or 404):
each tab names the capability its view asks (the access sweep's ``NEEDS``).
The capabilities are asked in one query, once per request and project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, OuterRef, Value
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
    Tab("quality", "Quality", "projects:quality", access.see_internal),
    Tab("changes", "Changes", "projects:changes", access.see_internal),
    Tab("raid", "RAID", "projects:raid", access.see_internal),
    Tab("documents", "Documents", "projects:documents", access.see_internal_documents),
    Tab("correspondence", "Correspondence", "projects:correspondence", access.see_internal_documents),
    Tab("reports", "Reports", "reports:project", access.see_project),
    Tab("client_access", "Client access", "portal:access", access.manage_share_links),
)
TAB_KEYS = frozenset(tab.key for tab in TABS)

#: The capabilities the tabs ask, each once.
_CAPABILITIES: tuple[access.Capability, ...] = tuple({tab.capability.name: tab.capability for tab in TABS}.values())
#: Their names: what :func:`project_capabilities` answers about (a page may read its own buttons from it too).
ASKED = frozenset(capability.name for capability in _CAPABILITIES)

_CACHE_ATTRIBUTE = "_apm_project_capabilities"


def project_capabilities(user: AnyUser | None, project: Project) -> frozenset[str]:
    """The names of the tabs' capabilities ``user`` has on ``project``: one query for all of them.

    Each is ``Exists`` in the capability's own queryset, so the answer is the policy's
    (``cap.allows`` would ask one query each).
    """
    if project.pk is None:
        return frozenset()
    annotations: dict[str, Any] = {}
    for capability in _CAPABILITIES:
        allowed = capability.queryset(user)
        if allowed.query.is_empty():
            annotations[capability.name] = Value(False, output_field=BooleanField())
        else:
            annotations[capability.name] = Exists(allowed.filter(pk=OuterRef("pk")))
    row = Project.objects.filter(pk=project.pk).annotate(**annotations).values(*annotations).first()
    if row is None:
        return frozenset()
    return frozenset(name for name, allowed in row.items() if allowed)


def request_capabilities(request: HttpRequest, project: Project) -> frozenset[str]:
    """:func:`project_capabilities` for the request's user, asked once per request and project."""
    cache: dict[int, frozenset[str]] = request.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    if project.pk not in cache:
        cache[project.pk] = project_capabilities(getattr(request, "user", None), project)
    return cache[project.pk]


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
