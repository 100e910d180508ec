"""The one place that decides what a user may see.

Every view, download, export, report and admin list asks these functions for
a queryset of what the user may see and looks objects up inside it, so that
anything else answers 404. The rule (DESIGN.md, "Quality bars"):

* an administrator (or superuser) sees everything;
* a department head sees the projects of the departments they head, plus every
  project on which they are a reporting head;
* a project manager sees the projects they manage; a team member the projects
  they are on (anyone also sees projects they manage, are on, or report on);
* a client contact sees their client's projects, in the client audience only,
  and nothing else; only they decide for the client in the portal
  (:func:`can_decide_for_client`).

Permission checks for actions live here too (``can_*`` and ``editable_*``);
views look the object up in the visible queryset first (404 when outside it)
and then ask the action check (403 when the user may see but not act).
``tests/apm/test_access_sweep.py`` walks every URL of the project as every
role to hold the views to this.

Models are looked up through the app registry so that ``apm`` does not import
the apps that depend on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Q, QuerySet

from apm.accounts.models import Role

if TYPE_CHECKING:
    from apm.accounts.models import User

INTERNAL = "internal"
CLIENT = "client"


def _model(label: str):
    return apps.get_model(label)


def _involved_ids(user: User, *, team: bool) -> QuerySet:
    """Ids of the projects ``user`` manages, heads a department of, or is a reporting head of (and,
    with ``team``, is on the team of): a UNION of one indexed query per link, for ``pk__in``.

    One OR across joins of the link tables multiplies the rows (projects x
    team x departments x heads) before it filters, and an OR of ``IN``
    subqueries misleads PostgreSQL's row estimates into nested loops: each
    cost 60-140 ms a query on 10,000 projects, several times per page; the
    UNION costs a few ms (bench/load/README.md).
    """
    project = _model("projects.Project")
    links = [
        project.departments.through.objects.filter(department__heads=user).values("project_id"),
        project.reporting_heads.through.objects.filter(user=user).values("project_id"),
    ]
    if team:
        links.append(project.team_members.through.objects.filter(teammember__user=user).values("project_id"))
    return project.objects.filter(project_manager=user).order_by().values("pk").union(*links)


def audience_for(user: User) -> str:
    """``"client"`` for client contacts, ``"internal"`` for everyone else."""
    return CLIENT if getattr(user, "is_client", False) else INTERNAL


def visible_projects(user: User) -> QuerySet:
    """The projects ``user`` may see (a queryset of ``projects.Project``); none when anonymous."""
    project = _model("projects.Project")
    if not user.is_authenticated or not user.is_active:
        return project.objects.none()
    if user.is_administrator:
        return project.objects.all()
    if user.is_client:
        return project.objects.filter(pk__in=project.objects.filter(client__contacts__user=user).values("pk"))
    return project.objects.filter(pk__in=_involved_ids(user, team=True))


def visible_departments(user: User) -> QuerySet:
    """Departments whose portfolio ``user`` may see: all for administrators, headed ones for heads."""
    department = _model("teams.Department")
    if not user.is_authenticated or not user.is_active or user.is_client:
        return department.objects.none()
    if user.is_administrator:
        return department.objects.all()
    return department.objects.filter(heads=user)


def finance_projects(user: User) -> QuerySet:
    """Projects whose internal figures ``user`` may see: budgets, costs, rates, internal reports.

    Administrators all; otherwise the projects they manage, whose departments
    they head, or on which they are a reporting head (who receive the internal
    reports anyway). Being on the team shows the project, not its money.
    Client contacts never.
    """
    project = _model("projects.Project")
    if not user.is_authenticated or not user.is_active or user.is_client:
        return project.objects.none()
    if user.is_administrator:
        return project.objects.all()
    return project.objects.filter(pk__in=_involved_ids(user, team=False))


def visible_reports(user: User) -> QuerySet:
    """Reports ``user`` may open.

    Client contacts: client-audience reports of their own projects. Others:
    client-audience reports of projects they see, internal ones of projects
    whose figures they may see (:func:`finance_projects`), their departments'
    portfolio reports, and their own portfolio reports as a PM.
    """
    report = _model("reports.Report")
    if not user.is_authenticated or not user.is_active:
        return report.objects.none()
    if user.is_administrator:
        return report.objects.all()
    if user.is_client:
        return report.objects.filter(audience=CLIENT, project__in=visible_projects(user))
    rule = (
        Q(audience=CLIENT, project__in=visible_projects(user))
        | Q(audience=INTERNAL, project__in=finance_projects(user))
        | Q(department__in=visible_departments(user))
        | Q(scope="pm_portfolio", project_manager=user)
    )
    return report.objects.filter(rule)


def can_send_reports(user: User) -> bool:
    """Whether ``user`` may ask for a report to be sent now (not client contacts or team members)."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_administrator or user.role in (Role.DEPARTMENT_HEAD, Role.PROJECT_MANAGER))
    )


def can_edit_projects(user: User) -> bool:
    """Whether ``user`` may create and edit projects (administrators, heads and PMs)."""
    return can_send_reports(user)


def editable_projects(user: User) -> QuerySet:
    """The projects ``user`` may edit: all for administrators; for heads and PMs, the
    projects they manage or whose departments they head.

    Being on the team or a reporting head from another department lets you see
    a project, not change its budget, client or manager.
    """
    project = _model("projects.Project")
    if not can_edit_projects(user):
        return project.objects.none()
    if user.is_administrator:
        return project.objects.all()
    rule = Q(project_manager=user) | Q(departments__heads=user)
    return project.objects.filter(pk__in=project.objects.filter(rule).values("pk"))


def visible_members(user: User) -> QuerySet:
    """The people (``teams.TeamMember``) ``user`` may see: their skills, capacity and allocations.

    * administrators: everyone;
    * project managers: everyone, because staffing a project means searching
      the whole pool of people across departments for the right skills and
      free hours (DESIGN.md: the PM "staffs the team by skill");
    * department heads: the people of the departments they head, and the
      people on projects they may see (as head or reporting head);
    * team members: themselves and the people on the projects they are on;
    * client contacts and anonymous users: nobody.
    """
    member = _model("teams.TeamMember")
    if not user.is_authenticated or not user.is_active or user.is_client:
        return member.objects.none()
    if user.is_administrator or user.role == Role.PROJECT_MANAGER:
        return member.objects.all()
    projects = visible_projects(user)
    rule = Q(user=user) | Q(projects__in=projects) | Q(allocations__project__in=projects)
    if user.role == Role.DEPARTMENT_HEAD:
        rule |= Q(department__heads=user)
    return member.objects.filter(pk__in=member.objects.filter(rule).values("pk"))


def can_staff_projects(user: User) -> bool:
    """Whether ``user`` may state open roles and book people (administrators, heads and PMs)."""
    return can_edit_projects(user)


def can_see_rates(user: User) -> bool:
    """Whether ``user`` may see people's cost and bill rates (administrators and heads; never clients)."""
    return user.is_authenticated and user.is_active and (user.is_administrator or user.role == Role.DEPARTMENT_HEAD)


def can_decide_for_client(user: User, project) -> bool:
    """Whether ``user`` may sign off deliverables and decide change requests of ``project`` in the portal.

    Only client contacts of the project's own client: the decision is the
    client's, so internal users (even administrators) may not make it for them.
    """
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_client
        and project.client_id is not None
        and visible_projects(user).filter(pk=project.pk).exists()
    )


def visible_share_links(user: User) -> QuerySet:
    """Share links (``portal.ShareLink``) ``user`` may list and revoke: those of projects they may edit."""
    link = _model("portal.ShareLink")
    if not can_edit_projects(user):
        return link.objects.none()
    return link.objects.filter(project__in=editable_projects(user))


def visible_client_contacts(user: User) -> QuerySet:
    """Client contacts (``projects.ClientContact``) ``user`` may invite to the portal.

    The contacts of the clients of the projects ``user`` may edit; nobody for
    client contacts, team members and anonymous users.
    """
    contact = _model("projects.ClientContact")
    if not can_edit_projects(user):
        return contact.objects.none()
    if user.is_administrator:
        return contact.objects.all()
    return contact.objects.filter(client__projects__in=editable_projects(user)).distinct()


def visible_audit_events(user: User) -> QuerySet:
    """Audit log rows ``user`` may read: all for administrators, none for anyone else."""
    event = _model("accounts.AuditEvent")
    if user.is_authenticated and user.is_active and user.is_administrator:
        return event.objects.all()
    return event.objects.none()
