"""What a report kind declares (:class:`ReportKindSpec`) and what its snapshot builder gets (:class:`SnapshotRequest`).

Every kind module (``reports/kinds/<kind>.py``) ends with one ``SPEC``; the
registry (``reports.kinds.KINDS``) collects them. Schedules, requests, the
forms, the ``render_report`` command, rendering and the archive read the
registry, so adding a kind is a value of ``apm.reporting.ReportKind``, one
module and one print template.

Also here: the kind-neutral pieces of every snapshot (the schema version,
ISO dates and money strings, the projects of a scope and its label).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import QuerySet

from apm.reporting import ReportKind
from projects.models import Project
from reports.models import Audience, Scope

if TYPE_CHECKING:
    from apm.accounts.models import User
    from teams.models import Department

#: The version of the snapshot's shape, stored in every snapshot as ``schema``.
SCHEMA_VERSION = 1


class Snapshot(TypedDict):
    """The keys every snapshot has (JSON: dates ISO strings, money Decimal strings); see ``reports.snapshot``.

    ``projects``, ``totals`` and ``changes`` are the kind's (``[]``, ``{}``
    and ``{}`` when it has none; their shape for a row per project is in
    ``reports.kinds.project_rows``). A kind with keys of its own declares
    them in a TypedDict of its own that extends this one.
    """

    schema: int
    kind: str
    audience: str
    scope: str
    title: str
    scope_label: str
    period_start: str | None
    period_end: str
    generated_at: str
    projects: list[dict[str, Any]]
    totals: dict[str, Any]
    changes: dict[str, Any]
    summary_lines: list[str]


class UnknownReportKind(ValueError):
    """A kind that no module of ``reports/kinds/`` declares."""


@dataclass(frozen=True)
class SnapshotRequest:
    """What a snapshot is built for: kind, audience, scope and its object, period and title.

    ``previous_snapshot`` is the snapshot of the previous report of the same
    series (for "what changed"); ``tolerance_exception_id`` the broken
    tolerance an exception report is about; ``full_commentary``: the
    commentary of every project, not only of those that need attention (a
    schedule's choice, ``ReportSchedule.full_commentary``; a kind that offers
    the choice records it in the snapshot, so a re-render is the same).
    """

    kind: str
    audience: str
    scope: str
    period_start: dt.date | None
    period_end: dt.date
    title: str
    project: Project | None = None
    department: Department | None = None
    project_manager: User | None = None
    previous_snapshot: Snapshot | None = None
    tolerance_exception_id: int | None = None
    full_commentary: bool = False

    @property
    def internal(self) -> bool:
        return self.audience == Audience.INTERNAL


def no_toc(snapshot: Snapshot) -> list[tuple[str, str]]:
    """A kind without a table of contents."""
    return []


def pages_per_project(snapshot: Snapshot) -> float:
    """A first guess of a report's length: a page per project."""
    return len(snapshot.get("projects") or [])


@dataclass(frozen=True)
class ReportKindSpec:
    """One report kind, as its module declares it.

    ``scopes`` and ``audiences``: what a report of the kind may be requested,
    scheduled and rendered for (checked by ``reports.services.check_subject``,
    the schedule form and ``render_report``); a client-audience report covers
    one project, whatever the kind. ``build_snapshot`` builds the snapshot of
    either audience, the client's from the client view
    (``projects.common.client_view``); it raises ValueError for an audience
    the kind has no version for or a scope it cannot cover. ``template``:
    the print template under ``templates/``. ``send_now``: offered by the
    "Send now" form of the pages of its scopes. ``about_exception``: the
    report is about one broken tolerance (``Report.tolerance_exception``),
    queued when it is raised and never requested or scheduled.
    ``toc_entries`` and ``estimated_pages`` give the table of contents and a
    first guess of the page count (``reports.rendering``). ``full_commentary``:
    its commentary covers only the projects that need attention unless a
    schedule asks for all (``ReportSchedule.full_commentary``, offered by the
    schedule form for such kinds alone).
    """

    kind: ReportKind
    scopes: tuple[Scope, ...]
    audiences: tuple[Audience, ...]
    build_snapshot: Callable[[SnapshotRequest], Snapshot]
    template: str
    send_now: bool = False
    about_exception: bool = False
    toc_entries: Callable[[Snapshot], list[tuple[str, str]]] = no_toc
    estimated_pages: Callable[[Snapshot], float] = pages_per_project
    full_commentary: bool = False

    @property
    def value(self) -> str:
        return str(self.kind.value)

    @property
    def label(self) -> str:
        return str(self.kind.label)

    @property
    def requestable(self) -> bool:
        """Whether a user may request or schedule it (an exception report is raised by a broken tolerance)."""
        return not self.about_exception

    def title(self, *, subject: str, on: dt.date) -> str:
        """The report's title, e.g. "Quality report: Alpha Project, 31 March 2025" (at most 300 characters)."""
        return f"{self.label}: {subject}, {on.day} {on:%B %Y}"[:300]

    def refusal(self, *, scope: str, audience: str) -> str:
        """Why a report of this kind may not cover ``scope`` for ``audience`` ("" when it may)."""
        if audience == Audience.CLIENT and scope != Scope.PROJECT:
            return "A client-audience report covers one project: use scope 'project'."
        name = self.label.lower()
        article = "An" if name[:1] in "aeiou" else "A"
        if scope not in self.scopes:
            covers = " or ".join(Scope(s).label[:1].lower() + Scope(s).label[1:] for s in self.scopes)
            values = " or ".join(repr(str(s.value)) for s in self.scopes)
            return f"{article} {name} covers {covers}: use scope {values}."
        if audience not in self.audiences:
            audiences = " or ".join(str(a.value) for a in self.audiences)
            return f"{article} {name} is for the {audiences} audience only."
        return ""


def iso(value: dt.date | None) -> str | None:
    """``YYYY-MM-DD``, or None."""
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    """A Decimal as the string a snapshot stores (major units, e.g. ``"1234.50"``), or None."""
    return str(value) if value is not None else None


def scoped_projects(request: SnapshotRequest) -> QuerySet[Project]:
    """The projects of the request's scope (unevaluated); ValueError when the scope's object is missing."""
    if request.scope == Scope.PROJECT:
        if request.project is None:
            raise ValueError("A project-scope report needs a project.")
        return Project.objects.filter(pk=request.project.pk)
    if request.scope == Scope.DEPARTMENT:
        if request.department is None:
            raise ValueError("A department-scope report needs a department.")
        return Project.objects.filter(departments=request.department)
    if request.scope == Scope.PM_PORTFOLIO:
        if request.project_manager is None:
            raise ValueError("A project manager's portfolio report needs a project manager.")
        return Project.objects.filter(project_manager=request.project_manager)
    if request.scope == Scope.COMPANY:
        return Project.objects.all()
    raise ValueError(f"Unknown report scope {request.scope!r}; expected one of {', '.join(Scope.values)}.")


def scope_label(request: SnapshotRequest) -> str:
    """The scope as the cover names it: "ALPHA-1 — Alpha Project", a department, a PM's projects, all projects."""
    if request.scope == Scope.PROJECT and request.project is not None:
        return f"{request.project.code} — {request.project.name}"
    if request.scope == Scope.DEPARTMENT:
        return str(request.department)
    if request.scope == Scope.PM_PORTFOLIO and request.project_manager is not None:
        manager = request.project_manager
        return f"Projects managed by {manager.get_full_name() or manager.get_username()}"
    return "All projects"
