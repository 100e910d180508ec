"""Reads for the project pages: each starts from ``apm.access.visible_projects``.

Selectors return querysets or plain values; they never write. Every query a
page makes for its rows is fixed in number, whatever the number of rows
(DESIGN.md, "Quality bars"): departments are prefetched, the client and PM
joined, and the latest status update is read through ``Subquery``
annotations rather than once per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from apm.access import audience_for, visible_projects
from projects.models import Milestone, Project, StatusUpdate
from teams.models import Department

if TYPE_CHECKING:
    from apm.accounts.models import User


def _latest_status(field: str) -> Subquery:
    """A subquery giving ``field`` of the project's newest StatusUpdate (by ``as_of``)."""
    newest = StatusUpdate.objects.filter(project=OuterRef("pk")).order_by("-as_of", "-pk")
    return Subquery(newest.values(field)[:1])


def project_list(*, user: User) -> QuerySet[Project]:
    """The projects ``user`` may see, ready for the list page, ordered by code.

    Each project carries ``latest_as_of`` (date or None), ``latest_rating``
    (the rating as published, text, "" or None) and ``latest_rating_note``
    from its newest status update; ``client`` and ``project_manager`` are
    joined and ``departments`` prefetched (ordered by code).
    """
    return (
        visible_projects(user)
        .select_related("client", "project_manager")
        .prefetch_related(Prefetch("departments", queryset=Department.objects.order_by("code")))
        .annotate(
            latest_as_of=_latest_status("as_of"),
            latest_rating=_latest_status("rating_published"),
            latest_rating_note=_latest_status("rating_note"),
        )
        .order_by("code")
    )


def project_get(*, user: User, code: str) -> Project | None:
    """The project with ``code`` if ``user`` may see it, else None (the caller answers 404).

    The project comes with client, PM, departments and reporting heads loaded.
    """
    return (
        visible_projects(user)
        .select_related("client", "project_manager")
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("code")),
            "reporting_heads",
        )
        .filter(code=code)
        .first()
    )


def project_status_history(*, project: Project) -> list[StatusUpdate]:
    """The project's status updates, newest first (a list; one query)."""
    return list(StatusUpdate.objects.filter(project=project).order_by("-as_of", "-pk"))


def project_milestones(*, project: Project) -> list[Milestone]:
    """The project's milestones by due date (a list; one query)."""
    return list(Milestone.objects.filter(project=project).order_by("due_date", "pk"))


def project_filter_departments(*, user: User) -> QuerySet[Department]:
    """Departments offered in the list filter: those of projects ``user`` may see."""
    return Department.objects.filter(pk__in=visible_projects(user).values("departments")).order_by("code")


def project_filter_categories(*, user: User) -> list[str]:
    """Distinct non-empty categories of the projects ``user`` may see, sorted."""
    values = visible_projects(user).exclude(category="").values_list("category", flat=True)
    return sorted(set(values))


def shows_money(*, user: User) -> bool:
    """Whether pages may show money (BAC, budgets, forecasts) to ``user``: never to client contacts."""
    return audience_for(user) != "client"
