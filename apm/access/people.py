"""Capabilities about people and departments, and the lists of people the policy names (PMs, heads, admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from apm.access.base import (
    MANAGER_ROLES,
    Capability,
    is_admin,
    is_head,
    is_internal,
    rows,
)
from apm.access.projects import see_project
from apm.accounts.roles import Role

if TYPE_CHECKING:
    from apm.access.base import AnyUser


def _see_member(user: AnyUser | None) -> QuerySet[Any]:
    members = rows("teams.TeamMember")
    if not is_internal(user):
        return members.none()
    if is_admin(user) or user.role == Role.PROJECT_MANAGER:
        # Staffing a project means searching the whole pool of people for skills and free hours.
        return members
    # Themselves, the teams and live bookings of the projects they see and, for heads, their departments'
    # people: ``pk IN`` a UNION of one query each, as ``projects_by`` does. One OR across LEFT JOINs of the
    # teams, bookings and departments (the same people) multiplied the rows before it filtered, and a people
    # page asks the rule four or five times (bench/pages.py measures the pages).
    projects = see_project.queryset(user)
    live = rows("projects.Allocation").filter(project__in=projects).exclude(status="cancelled")
    linked = [
        members.filter(user=user).order_by().values("pk"),
        rows("projects.Project_team_members").filter(project__in=projects).values("teammember_id"),
        live.order_by().values("member_id"),
    ]
    if is_head(user):
        linked.append(members.filter(department__heads=user).order_by().values("pk"))
    first, *rest = linked
    return members.filter(pk__in=first.union(*rest))


see_member = Capability(
    "see_member",
    subject="member",
    rule=_see_member,
    doc="See a person: skills, capacity, allocations. Administrators and PMs everyone (to staff by skill); "
    "heads the people of their departments; everyone themselves and the people on the projects they see. "
    "Never client contacts.",
)


def _see_member_rates(user: AnyUser | None) -> QuerySet[Any]:
    members = rows("teams.TeamMember")
    if is_admin(user):
        return members
    if not is_internal(user):
        return members.none()
    return members.filter(department__heads=user)


see_member_rates = Capability(
    "see_member_rates",
    subject="member",
    rule=_see_member_rates,
    doc="See a person's cost and bill rates: administrators and heads of the person's department.",
)


def _see_department(user: AnyUser | None) -> QuerySet[Any]:
    departments = rows("teams.Department")
    if is_admin(user):
        return departments
    if not is_internal(user):
        return departments.none()
    return departments.filter(heads=user)


see_department = Capability(
    "see_department",
    subject="department",
    rule=_see_department,
    doc="See a department's portfolio (its cost table, compliance and portfolio reports): administrators "
    "and its heads.",
)


def project_manager_candidates() -> QuerySet[Any]:
    """Active users who may be chosen as a project's manager: those who may create projects."""
    users = rows("accounts.User")
    return users.filter(is_active=True).filter(Q(role__in=MANAGER_ROLES) | Q(is_superuser=True))


def reporting_head_candidates() -> QuerySet[Any]:
    """Active users who may be chosen as a project's reporting head: department heads and administrators."""
    users = rows("accounts.User")
    heads = (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD)
    return users.filter(is_active=True).filter(Q(role__in=heads) | Q(is_superuser=True))


def administrators() -> QuerySet[Any]:
    """Active administrators (the role, or superusers): who is told when nobody else answers."""
    users = rows("accounts.User")
    return users.filter(is_active=True).filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True))


def client_logins() -> QuerySet[Any]:
    """Users who log in as client contacts (whatever their state): their addresses never get internal reports."""
    users = rows("accounts.User")
    return users.filter(role=Role.CLIENT_CONTACT, is_superuser=False)


def internal_users() -> QuerySet[Any]:
    """Active users who work inside the company (everyone but client contacts): owners of documents and tasks."""
    users = rows("accounts.User")
    return users.filter(is_active=True).exclude(Q(role=Role.CLIENT_CONTACT) & Q(is_superuser=False))
