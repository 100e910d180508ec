"""Abilities of the user alone, the audit log, where a user lands, and the navigation's questions."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from apm.access.base import (
    Ability,
    Capability,
    is_admin,
    is_contact,
    is_head,
    is_internal,
    is_manager,
    rows,
)
from apm.access.projects import manage_invoices, see_money
from apm.accounts.roles import Role

if TYPE_CHECKING:
    from django.http import HttpRequest

    from apm.access.base import AnyUser


def _audit_events(user: AnyUser | None) -> QuerySet[Any]:
    events = rows("accounts.AuditEvent")
    return events if is_admin(user) else events.none()


see_audit = Capability(
    "see_audit",
    subject="audit event",
    rule=_audit_events,
    doc="Read the audit log: administrators.",
)


# --- Abilities of the user alone ----------------------------------------------------------------

administer = Ability(
    "administer",
    rule=is_admin,
    doc="Administer: the Django admin (with is_staff), quality standards, overriding a quality gate with a "
    "reason, deciding one's own requests (separation of duties does not bind administrators).",
)

import_data = Ability(
    "import_data",
    rule=is_head,
    doc="Import portfolio files on the Import page: administrators and department heads. What an import may "
    "write follows the project form's rules (projects.importers.services); only administrators create "
    "departments and clients there, and the admin's people and skills imports also want Django's staff flag.",
)


def _import_jobs(user: AnyUser | None) -> QuerySet[Any]:
    jobs = rows("projects.ImportJob")
    if is_admin(user):
        return jobs
    return jobs.filter(owner=user) if import_data.allows(user) else jobs.none()


run_import = Capability(
    "run_import",
    subject="import job",
    rule=_import_jobs,
    doc="See, map, check and confirm an import job and download its file: its owner while they may import "
    "(import_data), and administrators.",
)

manage_rates = Ability(
    "manage_rates",
    rule=is_admin,
    doc="Keep the company's rate cards (bill rates by job role, client and project overrides) and exchange "
    "rates: administrators.",
)

create_project = Ability(
    "create_project",
    rule=is_manager,
    doc="Create projects (and become their PM): administrators, department heads and project managers.",
)

manage_templates = Ability(
    "manage_templates",
    rule=is_admin,
    doc="Keep the company's project templates: rename them, edit their descriptions and delete them. "
    "Administrators. Saving a project as a template is edit_project on that project (its PM, a head of its "
    "departments, an administrator); reading templates and starting a project from one is create_project; "
    "a template's budget amounts are shown as template_money_visible says.",
)


def template_money_visible(user: AnyUser | None, template: Any) -> bool:
    """Whether ``user`` sees the amounts of ``template``'s budget lines (a ``projects.ProjectTemplate``):
    administrators, and those who see the money of the project it was saved from (see_money); nobody else,
    so a template written by an administrator (no source project) shows its amounts to administrators only."""
    if is_admin(user):
        return True
    source = getattr(template, "source_project", None)
    return source is not None and see_money.allows(user, source)


see_workspace = Ability(
    "see_workspace",
    rule=is_internal,
    doc="Use the internal pages (desk, project list, people, capacity, reports index): every internal user.",
)


def _keeps_timesheet(user: AnyUser | None) -> bool:
    # The request's user comes with its person row joined (apm.accounts.backends): no query.
    return is_internal(user) and hasattr(user, "team_member")


keep_timesheet = Ability(
    "keep_timesheet",
    rule=_keeps_timesheet,
    doc="Keep a weekly timesheet: internal users with a person record (TeamMember).",
)


def home_page(user: AnyUser | None) -> str:
    """Where ``user`` lands after logging in: "portal" (client contacts: no internal pages), "desk" (project
    managers, whose projects and to-dos are there, and department heads, whose decisions and departments are
    there) or "projects" (everyone else: administrators and team members)."""
    if not is_internal(user):
        return "portal"
    on_desk = user.role in (Role.PROJECT_MANAGER, Role.DEPARTMENT_HEAD)
    return "desk" if on_desk and not user.is_superuser else "projects"


class _Can:
    """The abilities templates need for the navigation, each computed once per request when asked."""

    def __init__(self, user: AnyUser | None) -> None:
        self._user = user

    @cached_property
    def see_workspace(self) -> bool:
        return see_workspace.allows(self._user)

    @cached_property
    def see_portal(self) -> bool:
        return is_contact(self._user)

    @cached_property
    def keep_timesheet(self) -> bool:
        return keep_timesheet.allows(self._user)

    @cached_property
    def administer(self) -> bool:
        # The Django admin also wants Django's own staff flag (apm.admin_site).
        return administer.allows(self._user) and bool(getattr(self._user, "is_staff", False))

    @cached_property
    def import_data(self) -> bool:
        """The Import page (portfolio files)."""
        return import_data.allows(self._user)

    @cached_property
    def manage_rates(self) -> bool:
        """The rate cards page."""
        return manage_rates.allows(self._user)

    @cached_property
    def manage_invoices(self) -> bool:
        """The invoices page: offered unless the policy gives the user no client by its rule (no query: the rule is
        empty by construction for those it refuses; the page itself answers 404 to one who manages none)."""
        return not manage_invoices.queryset(self._user).query.is_empty()

    @cached_property
    def import_people(self) -> bool:
        # The people and skills imports run in the Django admin: administrators with the staff flag.
        return self.administer


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: ``can`` answers the navigation's questions from this policy."""
    return {"can": _Can(getattr(request, "user", None))}
