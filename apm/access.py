"""The access policy: every decision of who may see or do what, by name, in this one module.

A user stands in one or more *relationships* to a project:

* administrator (the role, or a Django superuser): everything, except deciding for the client;
* head of one of the project's departments;
* reporting head (receives the project's reports; often heads another department);
* project manager (the project's ``project_manager``);
* on the team (their ``TeamMember`` is one of the project's ``team_members``);
* contact of the project's client (a client contact whose ``ClientContact`` is of the project's client).

Each *capability* below is named once, with the relationships (and, where it
matters, the role) that grant it. A capability about objects is a
:class:`Capability`: ``cap.queryset(user)`` is what the user may act on (for
lists; views look objects up inside it, so anything else is a 404) and
``cap.allows(user, obj)`` answers for one object. Both come from one rule, so
they cannot disagree. The few capabilities about the user alone (create
projects, import data, administer, use the internal pages, keep a timesheet)
are :class:`Ability` predicates.

The README's table "Who may do what" is the hand-written specification; a
test evaluates this module on a world of exactly its relationships and
compares. Nothing outside this module decides access: no view, service,
form, template, admin or task looks at a user's role or at the link tables
(``team_members``, ``reporting_heads``, a department's ``heads``, a client's
``contacts``) to decide (``tests/apm/test_access_structure.py``).

Being on the team shows a project, not its money: budgets, costs, rates,
margins and internal reports are :data:`see_money`. A client contact sees
their client's projects in the client audience only and never internal money.

``apm`` sits below the apps it rules on (``reports`` -> ``projects`` ->
``teams`` -> ``apm``), so this module, and only this module, reaches their
models by label through ``django.apps.apps.get_model`` instead of importing
them (the import contracts and ``docs/architecture.md`` name this exception).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from apm.accounts.roles import Role
from apm.errors import Refused

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from apm.accounts.models import User

    AnyUser = User | AnonymousUser

INTERNAL = "internal"
CLIENT = "client"

#: Report scopes, as ``reports.models.Scope`` spells them (a test holds the two equal).
SCOPE_PROJECT, SCOPE_DEPARTMENT, SCOPE_PM_PORTFOLIO, SCOPE_COMPANY = "project", "department", "pm_portfolio", "company"

#: Roles that run projects: they may create projects, send reports and schedule them.
MANAGER_ROLES = (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD, Role.PROJECT_MANAGER)


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


# --- Who the user is ----------------------------------------------------------------------------


def _active(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _admin(user: AnyUser | None) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.ADMINISTRATOR)


def _client(user: AnyUser | None) -> bool:
    return _active(user) and user.role == Role.CLIENT_CONTACT and not user.is_superuser


def _internal(user: AnyUser | None) -> bool:
    return _active(user) and not _client(user)


def _manager(user: AnyUser | None) -> bool:
    return _internal(user) and (user.is_superuser or user.role in MANAGER_ROLES)


def _head(user: AnyUser | None) -> bool:
    return _internal(user) and (user.is_superuser or user.role in (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD))


def audience_for(user: AnyUser | None) -> str:
    """``"client"`` for client contacts, ``"internal"`` for everyone else: the audience of what they see."""
    return CLIENT if _client(user) else INTERNAL


# --- Relationships to projects ------------------------------------------------------------------

MANAGES, HEADS, REPORTS, TEAM, CONTACT = "manages", "heads", "reports", "team", "contact"


def _relation_ids(user: User, relation: str) -> QuerySet:
    """Ids of the projects ``user`` stands in ``relation`` to (one indexed query, ``values`` of one column)."""
    project = _model("projects.Project")
    if relation == MANAGES:
        return project.objects.filter(project_manager=user).order_by().values("pk")
    if relation == HEADS:
        return project.departments.through.objects.filter(department__heads=user).values("project_id")
    if relation == REPORTS:
        return project.reporting_heads.through.objects.filter(user=user).values("project_id")
    if relation == TEAM:
        return project.team_members.through.objects.filter(teammember__user=user).values("project_id")
    if relation == CONTACT:
        return project.objects.filter(client__contacts__user=user).order_by().values("pk")
    raise ValueError(f"Unknown relationship {relation!r}.")


def _projects(user: AnyUser | None, *relations: str) -> QuerySet:
    """Projects ``user`` stands in any of ``relations`` to: ``pk IN`` a UNION of one indexed query per link.

    One OR across joins of the link tables multiplies the rows (projects x
    team x departments x heads) before it filters, and an OR of ``IN``
    subqueries misleads PostgreSQL's row estimates into nested loops: each
    cost 60-140 ms a query on 10,000 projects; the UNION costs a few ms
    (bench/load/README.md).
    """
    project = _model("projects.Project")
    if not _active(user) or not relations:
        return project.objects.none()
    first, *rest = (_relation_ids(user, relation) for relation in relations)
    return project.objects.filter(pk__in=first.union(*rest) if rest else first)


def _all_projects() -> QuerySet:
    return _model("projects.Project").objects.all()


def _no_projects() -> QuerySet:
    return _model("projects.Project").objects.none()


# --- The two kinds of capability ----------------------------------------------------------------


class Capability:
    """A capability about objects: ``queryset(user)`` lists them, ``allows(user, obj)`` answers for one.

    ``rule(user)`` returns the queryset; ``allows`` asks whether the object
    is in it (one query), so a list and a check can never disagree.
    """

    def __init__(self, name: str, *, subject: str, rule: Callable[[Any], QuerySet], doc: str) -> None:
        self.name = name
        self.subject = subject
        self._rule = rule
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<Capability {self.name} on {self.subject}>"

    def queryset(self, user: AnyUser | None) -> QuerySet:
        """The objects ``user`` may act on (an unevaluated queryset; none for anonymous or inactive users)."""
        return self._rule(user)

    def allows(self, user: AnyUser | None, obj: Model | None) -> bool:
        """Whether ``user`` has this capability on ``obj`` (False for None or an unsaved object)."""
        if obj is None or obj.pk is None:
            return False
        return self.queryset(user).filter(pk=obj.pk).exists()

    def require(self, user: AnyUser | None, obj: Model | None, message: str) -> None:
        """Raise :class:`apm.errors.Refused` with ``message`` unless ``user`` has this capability on ``obj``."""
        if not self.allows(user, obj):
            raise Refused(message)


class Ability:
    """A capability about the user alone (no object): ``allows(user)``."""

    def __init__(self, name: str, *, rule: Callable[[Any], bool], doc: str) -> None:
        self.name = name
        self.subject = "user"
        self._rule = rule
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<Ability {self.name}>"

    def allows(self, user: AnyUser | None, obj: None = None) -> bool:
        """Whether ``user`` has this ability."""
        return bool(self._rule(user))

    def require(self, user: AnyUser | None, message: str) -> None:
        """Raise :class:`apm.errors.Refused` with ``message`` unless ``user`` has this ability."""
        if not self.allows(user):
            raise Refused(message)


def _on_projects(*relations: str, admin: bool = True, who: Callable[[Any], bool] = _internal) -> Callable:
    """A project rule: all projects for administrators (when ``admin``), else ``relations`` for users ``who`` pass."""

    def rule(user: AnyUser | None) -> QuerySet:
        if admin and _admin(user):
            return _all_projects()
        if not who(user):
            return _no_projects()
        return _projects(user, *relations)

    return rule


# --- Projects -----------------------------------------------------------------------------------

see_project = Capability(
    "see_project",
    subject="project",
    rule=lambda user: (
        _all_projects()
        if _admin(user)
        else _projects(user, CONTACT)
        if _client(user)
        else _projects(user, MANAGES, HEADS, REPORTS, TEAM)
        if _internal(user)
        else _no_projects()
    ),
    doc="See the project: administrators all; the PM, heads of its departments, reporting heads and its "
    "team; a client contact their client's projects (in the client audience only).",
)

see_internal = Capability(
    "see_internal",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS, TEAM),
    doc="See the project's internal pages (deliverables, quality, changes, RAID, team, correspondence): "
    "everyone who sees it except client contacts.",
)

see_internal_documents = Capability(
    "see_internal_documents",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS, TEAM),
    doc="See the project's internal documents (a client contact sees only those shared with the client).",
)

see_money = Capability(
    "see_money",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS),
    doc="See the project's money: BAC, budgets, forecasts, costs, rates, margins, change costs and internal "
    "reports. Administrators, the PM, heads of its departments and reporting heads; never the team alone, "
    "never a client contact.",
)

edit_project = Capability(
    "edit_project",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, who=_manager),
    doc="Edit the project, its deliverables, documents, clauses and correspondence: administrators, and "
    "heads and PMs who manage it or head one of its departments.",
)

run_project = Capability(
    "run_project",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, admin=False, who=_manager),
    doc="Run the project day to day (it is on one's desk): those who manage it or head one of its departments. "
    "Administrators too only where they stand in such a relationship: their desk is not the whole company.",
)

change_client = Capability(
    "change_client",
    subject="project",
    rule=_on_projects(HEADS, who=_head),
    doc="Point the project at another client: administrators and heads of its departments.",
)

staff_project = Capability(
    "staff_project",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, who=_manager),
    doc="State open roles and book people on the project: as edit_project.",
)

work_on_project = Capability(
    "work_on_project",
    subject="project",
    rule=lambda user: (
        _all_projects()
        if _admin(user)
        else _projects(user, MANAGES, HEADS, TEAM)
        if _manager(user)
        else _projects(user, TEAM)
        if _internal(user)
        else _no_projects()
    ),
    doc="Work on the project: move deliverables, review quality, raise changes, log RAID items. Those who "
    "edit it, and its team.",
)

edit_budget = Capability(
    "edit_budget",
    subject="project",
    rule=_on_projects(MANAGES),
    doc="Change the budget: lines, settings, expenses, baselines, contingency requests. The PM and administrators.",
)

decide_as_head = Capability(
    "decide_as_head",
    subject="project",
    rule=_on_projects(HEADS, REPORTS, who=_head),
    doc="Decide for management: approve change requests and contingency, decide clause proposals, "
    "acknowledge critical issues. Administrators, and department heads who head one of its departments "
    "or are its reporting heads.",
)

decide_for_client = Capability(
    "decide_for_client",
    subject="project",
    rule=lambda user: _projects(user, CONTACT) if _client(user) else _no_projects(),
    doc="Sign off deliverables and decide change requests for the client: contacts of the project's client "
    "only (nobody inside the company decides for the client, administrators included).",
)

send_client = Capability(
    "send_client",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS, who=_manager),
    doc="Send or schedule the project's client-audience reports: administrators, and heads and PMs who "
    "manage it, head one of its departments or are its reporting heads.",
)

send_internal = Capability(
    "send_internal",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS, who=_manager),
    doc="Ask for the project's internal report now (send now): those with see_money who run projects.",
)

schedule_internal = Capability(
    "schedule_internal",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, REPORTS, who=_manager),
    doc="Keep a schedule of the project's internal report: as send_internal, checked when the schedule is "
    "saved and again, against its owner as they are now, at every dispatch.",
)

manage_share_links = Capability(
    "manage_share_links",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, who=_manager),
    doc="Make and revoke share links of the project's client status page: as edit_project.",
)

invite_contacts = Capability(
    "invite_contacts",
    subject="project",
    rule=_on_projects(MANAGES, HEADS, who=_manager),
    doc="Invite the contacts of the project's client to the portal: as edit_project.",
)


def _see_document(user: AnyUser | None) -> QuerySet:
    document = _model("projects.Document")
    if not _active(user):
        return document.objects.none()
    # What a client may see of the register: documents shared with the client, neither drafts nor superseded.
    shared = Q(visibility=CLIENT, project__in=see_project.queryset(user)) & ~Q(status__in=("draft", "superseded"))
    return document.objects.filter(Q(project__in=see_internal_documents.queryset(user)) | shared)


see_document = Capability(
    "see_document",
    subject="document",
    rule=_see_document,
    doc="See and download a document: every document of the projects whose internal documents one sees; a "
    "client contact those of their projects shared with the client, except drafts and superseded ones.",
)

log_time = Capability(
    "log_time",
    subject="project",
    rule=_on_projects(TEAM, admin=False),
    doc="Log time on the project: the people on its team.",
)


# --- People and departments ---------------------------------------------------------------------


def _see_member(user: AnyUser | None) -> QuerySet:
    member = _model("teams.TeamMember")
    if not _internal(user):
        return member.objects.none()
    if _admin(user) or user.role == Role.PROJECT_MANAGER:
        # Staffing a project means searching the whole pool of people for skills and free hours.
        return member.objects.all()
    projects = see_project.queryset(user)
    rule = Q(user=user) | Q(projects__in=projects) | Q(allocations__project__in=projects)
    if _head(user):
        rule |= Q(department__heads=user)
    return member.objects.filter(pk__in=member.objects.filter(rule).values("pk"))


see_member = Capability(
    "see_member",
    subject="member",
    rule=_see_member,
    doc="See a person: skills, capacity, allocations. Administrators and PMs everyone (to staff by skill); "
    "heads the people of their departments; everyone themselves and the people on the projects they see. "
    "Never client contacts.",
)


def _see_member_rates(user: AnyUser | None) -> QuerySet:
    member = _model("teams.TeamMember")
    if _admin(user):
        return member.objects.all()
    if not _internal(user):
        return member.objects.none()
    return member.objects.filter(department__heads=user)


see_member_rates = Capability(
    "see_member_rates",
    subject="member",
    rule=_see_member_rates,
    doc="See a person's cost and bill rates: administrators and heads of the person's department.",
)


def _see_department(user: AnyUser | None) -> QuerySet:
    department = _model("teams.Department")
    if _admin(user):
        return department.objects.all()
    if not _internal(user):
        return department.objects.none()
    return department.objects.filter(heads=user)


see_department = Capability(
    "see_department",
    subject="department",
    rule=_see_department,
    doc="See a department's portfolio (its cost table, compliance and portfolio reports): administrators "
    "and its heads.",
)


# --- Reports, schedules, deliveries -------------------------------------------------------------


def _money_on_every(user: AnyUser | None, projects: QuerySet) -> bool:
    """Whether ``user`` may see the money of every project in ``projects`` (true of none)."""
    return not projects.exclude(pk__in=see_money.queryset(user).values("pk")).exists()


def scope_projects(*, scope: str, project: Any = None, department: Any = None, project_manager: Any = None) -> QuerySet:
    """The projects a report of ``scope`` covers (none when the scope's object is missing)."""
    if scope == SCOPE_PROJECT:
        return _all_projects().filter(pk=project.pk) if project is not None else _no_projects()
    if scope == SCOPE_DEPARTMENT:
        return _all_projects().filter(departments=department) if department is not None else _no_projects()
    if scope == SCOPE_PM_PORTFOLIO:
        return (
            _all_projects().filter(project_manager=project_manager) if project_manager is not None else _no_projects()
        )
    if scope == SCOPE_COMPANY:
        return _all_projects()
    return _no_projects()


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
    if not _manager(user):
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
        allowed = project_manager is not None and (_admin(user) or project_manager.pk == user.pk)
    elif scope == SCOPE_COMPANY:
        allowed = _admin(user)
    else:
        return False
    projects = scope_projects(scope=scope, project=project, department=department, project_manager=project_manager)
    return allowed and _money_on_every(user, projects)


def may_see_internal_scope(
    user: AnyUser | None, *, scope: str, project: Any = None, department: Any = None, project_manager: Any = None
) -> bool:
    """Whether ``user`` may read an internal report of a scope: the money of every project in it."""
    if not _internal(user):
        return False
    if scope == SCOPE_COMPANY and not _admin(user):
        return False
    projects = scope_projects(scope=scope, project=project, department=department, project_manager=project_manager)
    return _money_on_every(user, projects)


def may_receive_internal(
    address: str, *, scope: str, project: Any = None, department: Any = None, project_manager: Any = None
) -> bool:
    """Whether an internal report of a scope may go to ``address``.

    Yes for an address in a domain an administrator allowed
    (``settings.APM_INTERNAL_EMAIL_DOMAINS``), and for the address of an
    active internal user who may see the money of every project in scope.
    Never for a client contact's address (``reports.selectors.client_addresses``
    refuses those whatever the domain).
    """
    domain = address.rsplit("@", 1)[-1].strip().lower()
    if domain and domain in settings.APM_INTERNAL_EMAIL_DOMAINS:
        return True
    users = _model("accounts.User").objects.filter(email__iexact=address.strip(), is_active=True)
    return any(
        may_see_internal_scope(
            candidate, scope=scope, project=project, department=department, project_manager=project_manager
        )
        for candidate in users
    )


def _subjects_sent_by(user: AnyUser | None) -> Q | None:
    """The report subjects (fields of Report and ReportSchedule) ``user`` may send: a Q, or None for nothing."""
    if _admin(user):
        return Q()
    if not _manager(user):
        return None
    return (
        Q(audience=CLIENT, scope=SCOPE_PROJECT, project__in=send_client.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_PROJECT, project__in=send_internal.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_DEPARTMENT, department__in=see_department.queryset(user))
        | Q(audience=INTERNAL, scope=SCOPE_PM_PORTFOLIO, project_manager=user)
    )


def _see_report(user: AnyUser | None) -> QuerySet:
    report = _model("reports.Report")
    if _admin(user):
        return report.objects.all()
    if _client(user):
        return report.objects.filter(audience=CLIENT, project__in=see_project.queryset(user))
    if not _internal(user):
        return report.objects.none()
    return report.objects.filter(
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


def _sent_by(model_label: str) -> Callable[[Any], QuerySet]:
    def rule(user: AnyUser | None) -> QuerySet:
        model = _model(model_label)
        subjects = _subjects_sent_by(user)
        return model.objects.none() if subjects is None else model.objects.filter(subjects)

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


def _see_delivery(user: AnyUser | None) -> QuerySet:
    delivery = _model("reports.Delivery")
    return delivery.objects.filter(report__in=send_report.queryset(user))


see_delivery = Capability(
    "see_delivery",
    subject="delivery",
    rule=_see_delivery,
    doc="See a report's delivery in the outbox and resend it when it failed: as send_report.",
)


# --- The client's portal ------------------------------------------------------------------------


def _share_links(user: AnyUser | None) -> QuerySet:
    link = _model("portal.ShareLink")
    return link.objects.filter(project__in=manage_share_links.queryset(user))


see_share_link = Capability(
    "see_share_link",
    subject="share link",
    rule=_share_links,
    doc="List and revoke a share link: those who may manage the share links of its project.",
)


def _invitable_contacts(user: AnyUser | None) -> QuerySet:
    contact = _model("projects.ClientContact")
    if _admin(user):
        return contact.objects.all()
    return contact.objects.filter(client__projects__in=invite_contacts.queryset(user)).distinct()


invite_contact = Capability(
    "invite_contact",
    subject="client contact",
    rule=_invitable_contacts,
    doc="Invite a client contact to the portal: the contacts of the clients of projects one may invite for.",
)


# --- Records ------------------------------------------------------------------------------------


def _audit_events(user: AnyUser | None) -> QuerySet:
    event = _model("accounts.AuditEvent")
    return event.objects.all() if _admin(user) else event.objects.none()


see_audit = Capability(
    "see_audit",
    subject="audit event",
    rule=_audit_events,
    doc="Read the audit log: administrators.",
)


# --- Abilities of the user alone ----------------------------------------------------------------

administer = Ability(
    "administer",
    rule=_admin,
    doc="Administer: the Django admin (with is_staff), quality standards, overriding a quality gate with a "
    "reason, deciding one's own requests (separation of duties does not bind administrators).",
)

import_data = Ability(
    "import_data",
    rule=_admin,
    doc="Import portfolios, people, skills and levels (the admin's imports): administrators.",
)

create_project = Ability(
    "create_project",
    rule=_manager,
    doc="Create projects (and become their PM): administrators, department heads and project managers.",
)

see_workspace = Ability(
    "see_workspace",
    rule=_internal,
    doc="Use the internal pages (desk, project list, people, capacity, reports index): every internal user.",
)


def _keeps_timesheet(user: AnyUser | None) -> bool:
    # The request's user comes with its person row joined (apm.accounts.backends): no query.
    return _internal(user) and hasattr(user, "team_member")


keep_timesheet = Ability(
    "keep_timesheet",
    rule=_keeps_timesheet,
    doc="Keep a weekly timesheet: internal users with a person record (TeamMember).",
)


def project_manager_candidates() -> QuerySet:
    """Active users who may be chosen as a project's manager: those who may create projects."""
    user = _model("accounts.User")
    return user.objects.filter(is_active=True).filter(Q(role__in=MANAGER_ROLES) | Q(is_superuser=True))


def reporting_head_candidates() -> QuerySet:
    """Active users who may be chosen as a project's reporting head: department heads and administrators."""
    user = _model("accounts.User")
    heads = (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD)
    return user.objects.filter(is_active=True).filter(Q(role__in=heads) | Q(is_superuser=True))


def administrators() -> QuerySet:
    """Active administrators (the role, or superusers): who is told when nobody else answers."""
    user = _model("accounts.User")
    return user.objects.filter(is_active=True).filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True))


def client_logins() -> QuerySet:
    """Users who log in as client contacts (whatever their state): their addresses never get internal reports."""
    user = _model("accounts.User")
    return user.objects.filter(role=Role.CLIENT_CONTACT, is_superuser=False)


def internal_users() -> QuerySet:
    """Active users who work inside the company (everyone but client contacts): owners of documents and tasks."""
    user = _model("accounts.User")
    return user.objects.filter(is_active=True).exclude(Q(role=Role.CLIENT_CONTACT) & Q(is_superuser=False))


def home_page(user: AnyUser | None) -> str:
    """Where ``user`` lands after logging in: "portal" (client contacts: no internal pages), "desk" (project
    managers, whose day starts there) or "projects" (everyone else)."""
    if not _internal(user):
        return "portal"
    return "desk" if user.role == Role.PROJECT_MANAGER and not user.is_superuser else "projects"


#: Every capability by name (the README's table and the sweep read this).
CAPABILITIES: dict[str, Capability | Ability] = {
    item.name: item
    for item in (
        see_project,
        see_internal,
        see_internal_documents,
        see_document,
        see_money,
        edit_project,
        run_project,
        change_client,
        staff_project,
        work_on_project,
        edit_budget,
        decide_as_head,
        decide_for_client,
        send_client,
        send_internal,
        schedule_internal,
        manage_share_links,
        invite_contacts,
        log_time,
        see_member,
        see_member_rates,
        see_department,
        see_report,
        send_report,
        manage_schedule,
        see_delivery,
        see_share_link,
        invite_contact,
        see_audit,
        administer,
        import_data,
        create_project,
        see_workspace,
        keep_timesheet,
    )
}


class _Can:
    """The abilities templates need for the navigation, each computed once per request when asked."""

    def __init__(self, user: AnyUser | None) -> None:
        self._user = user

    @cached_property
    def see_workspace(self) -> bool:
        return see_workspace.allows(self._user)

    @cached_property
    def see_portal(self) -> bool:
        return _client(self._user)

    @cached_property
    def keep_timesheet(self) -> bool:
        return keep_timesheet.allows(self._user)

    @cached_property
    def administer(self) -> bool:
        return administer.allows(self._user) and bool(getattr(self._user, "is_staff", False))


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: ``can`` answers the navigation's questions from this policy."""
    return {"can": _Can(getattr(request, "user", None))}


def object_or_404(user: AnyUser | None, capability: Capability, *, queryset: QuerySet | None = None, **filters: Any):
    """The one object matching ``filters`` among those ``user`` has ``capability`` on, else ``Http404``.

    ``queryset`` narrows or joins (``select_related``) the capability's
    queryset; it must be of the same model. Not allowed and not there answer
    the same 404, so an answer never confirms that something exists.
    """
    allowed = capability.queryset(user)
    if queryset is not None:
        allowed = queryset.filter(pk__in=allowed.values("pk"))
    found = allowed.filter(**filters).first()
    if found is None:
        raise Http404(f"No such {capability.subject}.")
    return found


# TEMPORARY (removed before commit): the old names, while callers move to the capabilities above.
def visible_projects(user):
    return see_project.queryset(user)


def visible_departments(user):
    return see_department.queryset(user)


def finance_projects(user):
    return see_money.queryset(user)


def visible_reports(user):
    return see_report.queryset(user)


def can_send_reports(user):
    return _manager(user)


def can_edit_projects(user):
    return _manager(user)


def editable_projects(user):
    return edit_project.queryset(user)


def visible_members(user):
    return see_member.queryset(user)


def can_staff_projects(user):
    return _manager(user)


def can_see_rates(user):
    return _head(user)


def can_decide_for_client(user, project):
    return decide_for_client.allows(user, project)


def visible_share_links(user):
    return see_share_link.queryset(user)


def visible_client_contacts(user):
    return invite_contact.queryset(user)


def visible_audit_events(user):
    return see_audit.queryset(user)
