"""Capabilities about reports: who may read, send and schedule which audience about which scope, and who receives it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet

from apm.access.base import (
    CLIENT,
    INTERNAL,
    SCOPE_COMPANY,
    SCOPE_DEPARTMENT,
    SCOPE_PM_PORTFOLIO,
    SCOPE_PROJECT,
    Capability,
    all_projects,
    is_admin,
    is_contact,
    is_internal,
    is_manager,
    no_projects,
    rows,
)
from apm.access.people import see_department
from apm.access.projects import see_money, see_project, send_client, send_internal

if TYPE_CHECKING:
    from apm.access.base import AnyUser, Rule


def _money_on_every(user: AnyUser | None, projects: QuerySet[Any]) -> bool:
    """Whether ``user`` may see the money of every project in ``projects`` (true of none)."""
    return not projects.exclude(pk__in=see_money.queryset(user).values("pk")).exists()


def scope_projects(
    *, scope: str, project: Any = None, department: Any = None, project_manager: Any = None
) -> QuerySet[Any]:
    """The projects a report of ``scope`` covers (none when the scope's object is missing)."""
    if scope == SCOPE_PROJECT:
        return all_projects().filter(pk=project.pk) if project is not None else no_projects()
    if scope == SCOPE_DEPARTMENT:
        return all_projects().filter(departments=department) if department is not None else no_projects()
    if scope == SCOPE_PM_PORTFOLIO:
        return all_projects().filter(project_manager=project_manager) if project_manager is not None else no_projects()
    if scope == SCOPE_COMPANY:
        return all_projects()
    return no_projects()


def may_send(
    user: AnyUser | None,
    *,
    audience: str,
    scope: str,
    project: Any = None,
    department: Any = None,
    project_manager: Any = None,
) -> bool:
    """Whether ``user`` may send (or keep a schedule of) a report of ``audience`` about a scope.

    Client audience: one project, with :data:`send_client`. Internal audience:
    the money capability on every project in scope (:data:`send_internal` for
    one project; a department's heads, a PM's own portfolio; the company for
    administrators alone).
    """
    if not is_manager(user):
        return False
    if audience == CLIENT:
        return scope == SCOPE_PROJECT and send_client.allows(user, project)
    if audience != INTERNAL:
        return False
    if scope == SCOPE_PROJECT:
        allowed = send_internal.allows(user, project)
    elif scope == SCOPE_DEPARTMENT:
        allowed = see_department.allows(user, department)
    elif scope == SCOPE_PM_PORTFOLIO:
        allowed = project_manager is not None and (is_admin(user) or project_manager.pk == user.pk)
    elif scope == SCOPE_COMPANY:
        allowed = is_admin(user)
    else:
        return False
    projects = scope_projects(scope=scope, project=project, department=department, project_manager=project_manager)
    return allowed and _money_on_every(user, projects)


def may_see_internal_scope(
    user: AnyUser | None, *, scope: str, project: Any = None, department: Any = None, project_manager: Any = None
) -> bool:
    """Whether ``user`` may read an internal report of a scope: the money of every project in it."""
    if not is_internal(user):
        return False
    if scope == SCOPE_COMPANY and not is_admin(user):
        return False
    projects = scope_projects(scope=scope, project=project, department=department, project_manager=project_manager)
    return _money_on_every(user, projects)


def may_receive_internal(
    address: str, *, scope: str, project: Any = None, department: Any = None, project_manager: Any = None
) -> bool:
    """Whether an internal report of a scope may go to ``address``.

    The address of someone APM knows is decided by what they may see: an
    active user's login address, or a person's own address (their login's
    rights; a person without a login sees no money), yes only when they may
    see the money of every project in scope. Any other address: yes in a
    domain an administrator allowed (``settings.APM_INTERNAL_EMAIL_DOMAINS``),
    so a team member's company address never receives what their login may
    not see. Never for a client contact's address
    (``reports.selectors.client_addresses`` refuses those whatever the domain).
    """
    address = address.strip()
    users = list(rows("accounts.User").filter(email__iexact=address))
    users += [
        person.user
        for person in rows("teams.TeamMember").filter(email__iexact=address).select_related("user")
        if person.user is not None
    ]
    known = bool(users) or rows("teams.TeamMember").filter(email__iexact=address).exists()
    if known:
        return any(
            candidate.is_active
            and may_see_internal_scope(
                candidate, scope=scope, project=project, department=department, project_manager=project_manager
            )
            for candidate in users
        )
    domain = address.rsplit("@", 1)[-1].lower()
    return bool(domain) and domain in settings.APM_INTERNAL_EMAIL_DOMAINS


def _subjects_sent_by(user: AnyUser | None) -> Q | None:
    """The report subjects (fields of Report and ReportSchedule) ``user`` may send: a Q, or None for nothing."""
    if is_admin(user):
        return Q()
    if not is_manager(user):
        return None
    return (
        Q(audience=CLIENT, scope=SCOPE_PROJECT, project__in=send_client.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_PROJECT, project__in=send_internal.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_DEPARTMENT, department__in=see_department.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_PM_PORTFOLIO, project_manager=user)
    )


def _see_report(user: AnyUser | None) -> QuerySet[Any]:
    reports = rows("reports.Report")
    if is_admin(user):
        return reports
    if is_contact(user):
        return reports.filter(audience=CLIENT, project__in=see_project.queryset(user))
    if not is_internal(user):
        return reports.none()
    return reports.filter(
        Q(audience=CLIENT, project__in=see_project.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_PROJECT, project__in=see_money.queryset(user))
        | Q(scope=SCOPE_DEPARTMENT, department__in=see_department.queryset(user))
        | Q(scope=SCOPE_PM_PORTFOLIO, project_manager=user)
    )


see_report = Capability(
    "see_report",
    subject="report",
    rule=_see_report,
    doc="Open a report: client-audience reports of projects one sees; internal ones only with the money of "
    "their scope (see_money, a department one heads, one's own portfolio as PM).",
)


def _sent_by(model_label: str) -> Rule:
    def rule(user: AnyUser | None) -> QuerySet[Any]:
        subjects = _subjects_sent_by(user)
        return rows(model_label).none() if subjects is None else rows(model_label).filter(subjects)

    return rule


send_report = Capability(
    "send_report",
    subject="report",
    rule=_sent_by("reports.Report"),
    doc="Send a report again or see its deliveries: those who may send its audience about its scope.",
)

manage_schedule = Capability(
    "manage_schedule",
    subject="schedule",
    rule=_sent_by("reports.ReportSchedule"),
    doc="See, edit, pause, preview and send a report schedule: those who may send its audience about its "
    "scope (client: send_client; internal: schedule_internal, a department one heads, one's own portfolio).",
)


def _see_delivery(user: AnyUser | None) -> QuerySet[Any]:
    deliveries = rows("reports.Delivery")
    return deliveries.filter(report__in=send_report.queryset(user))


see_delivery = Capability(
    "see_delivery",
    subject="delivery",
    rule=_see_delivery,
    doc="See a report's delivery in the outbox and resend it when it failed: as send_report.",
)
