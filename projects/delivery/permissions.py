"""Who may do what with deliverables, reviews, change requests and the RAID log.

Seeing is always decided by ``apm.access.visible_projects``; these add the
rules for acting. Client contacts act only through the sign-off and
change-approval services (the portal pages are issue 8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from apm.access import editable_projects, visible_projects
from apm.accounts.models import Role
from projects.models import Project

if TYPE_CHECKING:
    from apm.accounts.models import Role, User


def _active_internal(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and not user.is_client)


def may_manage(*, user: User, project: Project) -> bool:
    """PM, heads of the project's departments and administrators (``editable_projects``)."""
    return _active_internal(user) and editable_projects(user).filter(pk=project.pk).exists()


def may_work_on(*, user: User, project: Project) -> bool:
    """Those who manage it and its team members: move deliverables, review, log RAID items."""
    if not _active_internal(user):
        return False
    if may_manage(user=user, project=project):
        return True
    member = getattr(user, "team_member", None)
    return member is not None and project.team_members.filter(pk=member.pk).exists()


def is_head_of(*, user: User, project: Project) -> bool:
    """A reporting head of the project or a head of one of its departments (role department head), or an
    administrator. Someone with another role listed as a reporting head receives reports but decides nothing.
    """
    if not _active_internal(user):
        return False
    if user.is_administrator:
        return True
    if user.role != Role.DEPARTMENT_HEAD:
        return False
    return Project.objects.filter(pk=project.pk).filter(Q(reporting_heads=user) | Q(departments__heads=user)).exists()


def client_contact_of(*, user: User, project: Project):
    """The user's ClientContact when it belongs to the project's client (and the project is visible), else None."""
    if not (user.is_authenticated and user.is_active and getattr(user, "is_client", False)):
        return None
    contact = getattr(user, "client_contact", None)
    if contact is None or project.client_id is None or contact.client_id != project.client_id:
        return None
    if not visible_projects(user).filter(pk=project.pk).exists():
        return None
    return contact
