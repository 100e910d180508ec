"""Reads for the project pages: each starts from a capability of ``apm.access``.

Selectors return querysets or plain values; they never write. Every query a
page makes for its rows is fixed in number, whatever the number of rows
(DESIGN.md, "Quality bars"): departments are prefetched, the client and PM
joined, and the latest status update is read through ``Subquery``
annotations rather than once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, OuterRef, Prefetch, QuerySet, Subquery, Value, When

from apm import access
from projects.models import Milestone, Project, StatusUpdate
from teams.models import Department

if TYPE_CHECKING:
    from apm.accounts.models import User


def _latest_status(field: str) -> Subquery:
    """A subquery giving ``field`` of the project's newest StatusUpdate (by ``as_of``)."""
    newest = StatusUpdate.objects.filter(project=OuterRef("pk")).order_by("-as_of", "-pk")
    return Subquery(newest.values(field)[:1])


def project_list(*, user: User, seen: frozenset[int] | None) -> QuerySet[Project]:
    """The projects ``user`` may see, ready for the list page, ordered by code.

    ``seen``: their ids as ``access.see_project.ids`` read them (None: every project), read once by the page
    for this and :func:`project_filter_choices`. Each project carries ``latest_as_of`` (date or None),
    ``latest_rating`` (the rating as published, text, "" or None) and ``latest_rating_note``
    from its newest status update, ``money_visible`` (whether ``user``
    may see its money, ``access.see_money``) and ``department_list`` (its
    departments by code, prefetched into a list: a related manager a row
    costs the page about a millisecond); ``client`` is joined and
    ``description`` (not shown in the list) deferred.
    """
    money = access.see_money.queryset(user).values("pk")
    return (
        _seen(seen)
        .select_related("client")
        .defer("description")
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("code"), to_attr="department_list")
        )
        .annotate(
            latest_as_of=_latest_status("as_of"),
            latest_rating=_latest_status("rating_published"),
            latest_rating_note=_latest_status("rating_note"),
            money_visible=Case(When(pk__in=money, then=Value(True)), default=Value(False), output_field=BooleanField()),
        )
        .order_by("code")
    )


def _seen(seen: frozenset[int] | None) -> QuerySet[Project]:
    """The projects of the ids ``seen``, or all of them for None."""
    return Project.objects.all() if seen is None else Project.objects.filter(pk__any=seen)


#: What the project page prefetches: departments by code and the reporting heads.
PROJECT_PREFETCH = (Prefetch("departments", queryset=Department.objects.order_by("code")), "reporting_heads")


@dataclass(frozen=True)
class ProjectAbilities:
    """What the project page offers ``user`` (each from ``apm.access``)."""

    client: bool  # the client audience: a status page, no internal pages
    see_internal: bool
    see_money: bool
    edit: bool
    share: bool


def project_abilities(*, user: User, capabilities: frozenset[str]) -> ProjectAbilities:
    """The project page's buttons and money sections for ``user``, from ``capabilities``: the names of the
    capabilities the user has on the project, as the project's tabs ask them
    (``projects.common.nav.request_capabilities``, one query for all, once per request: the tab bar's own)."""
    return ProjectAbilities(
        client=access.audience_for(user) == access.CLIENT,
        see_internal=access.see_internal.name in capabilities,
        see_money=access.see_money.name in capabilities,
        edit=access.edit_project.name in capabilities,
        share=access.manage_share_links.name in capabilities,
    )


def project_status_history(*, project: Project) -> list[StatusUpdate]:
    """The project's status updates, newest first (a list; one query)."""
    return list(StatusUpdate.objects.filter(project=project).order_by("-as_of", "-pk"))


def project_milestones(*, project: Project) -> list[Milestone]:
    """The project's milestones by due date (a list; one query)."""
    return list(Milestone.objects.filter(project=project).order_by("due_date", "pk"))


@dataclass(frozen=True)
class ProjectFilterChoices:
    """What the list filter offers: departments as (pk, label) by code, and categories sorted."""

    departments: list[tuple[int, str]]
    categories: list[str]


def project_filter_choices(*, seen: frozenset[int] | None) -> ProjectFilterChoices:
    """The departments and non-empty categories of the projects of the ids ``seen`` (None: every project;
    ``access.see_project.ids``), in one query.

    The query returns each distinct (category, department) pair of those
    projects, ordered by department code: a few dozen rows, not one a project.
    """
    pairs = (
        _seen(seen)
        .order_by("departments__code")
        .values_list("category", "departments__pk", "departments__code", "departments__name")
        .distinct()
    )
    departments: dict[int, str] = {}
    categories: set[str] = set()
    for category, pk, code, name in pairs:
        if category:
            categories.add(category)
        if pk is not None and pk not in departments:
            departments[pk] = str(Department(pk=pk, code=code, name=name))
    return ProjectFilterChoices(departments=list(departments.items()), categories=sorted(categories))
