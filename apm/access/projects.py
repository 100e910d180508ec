"""Capabilities about a project: seeing it, its money and internal pages, running it, deciding, sharing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet

from apm.access.base import (
    CLIENT,
    CONTACT,
    HEADS,
    MANAGES,
    REPORTS,
    TEAM,
    Capability,
    all_projects,
    is_active,
    is_admin,
    is_contact,
    is_head,
    is_internal,
    is_manager,
    no_projects,
    on_projects,
    projects_by,
    rows,
)

if TYPE_CHECKING:
    from apm.access.base import AnyUser


def _who_sees(user: AnyUser | None) -> QuerySet[Any]:
    """Administrators all projects; a client contact their client's; an internal user those they stand in a
    relationship to."""
    if is_admin(user):
        return all_projects()
    if is_contact(user):
        return projects_by(user, CONTACT)
    return projects_by(user, MANAGES, HEADS, REPORTS, TEAM) if is_internal(user) else no_projects()


see_project = Capability(
    "see_project",
    subject="project",
    rule=_who_sees,
    doc="See the project: administrators all; the PM, heads of its departments, reporting heads and its "
    "team; a client contact their client's projects (in the client audience only).",
)

see_internal = Capability(
    "see_internal",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS, TEAM),
    doc="See the project's internal pages (deliverables, tasks, quality, changes, RAID, team, correspondence): "
    "everyone who sees it except client contacts.",
)

see_internal_documents = Capability(
    "see_internal_documents",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS, TEAM),
    doc="See the project's internal documents (a client contact sees only those shared with the client).",
)

see_money = Capability(
    "see_money",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS),
    doc="See the project's money: BAC, budgets, forecasts, costs, rates, margins, change costs and internal "
    "reports. Administrators, the PM, heads of its departments and reporting heads; never the team alone, "
    "never a client contact.",
)

edit_project = Capability(
    "edit_project",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="Edit the project, its deliverables, documents, clauses and correspondence: administrators, and "
    "heads and PMs who manage it or head one of its departments.",
)

run_project = Capability(
    "run_project",
    subject="project",
    rule=on_projects(MANAGES, HEADS, admin=False, who=is_manager),
    doc="Run the project day to day (it is on one's desk): those who manage it or head one of its departments. "
    "Administrators too only where they stand in such a relationship: their desk is not the whole company.",
)

change_client = Capability(
    "change_client",
    subject="project",
    rule=on_projects(HEADS, who=is_head),
    doc="Point the project at another client: administrators and heads of its departments.",
)

staff_project = Capability(
    "staff_project",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="State open roles and book people on the project: as edit_project.",
)


def _workers(user: AnyUser | None) -> QuerySet[Any]:
    """Administrators all projects; those who run projects the ones they manage, head or are on the team
    of; other internal users the ones they are on the team of."""
    if is_admin(user):
        return all_projects()
    if is_manager(user):
        return projects_by(user, MANAGES, HEADS, TEAM)
    if is_internal(user):
        return projects_by(user, TEAM)
    return no_projects()


work_on_project = Capability(
    "work_on_project",
    subject="project",
    rule=_workers,
    doc="Work on the project: move deliverables, review quality, raise changes, log RAID items. Those who "
    "edit it, and its team.",
)

edit_tasks = Capability(
    "edit_tasks",
    subject="project",
    # The same rule as work_on_project, so a project page asks both in one EXISTS (projects.common.nav).
    rule=_workers,
    doc="Plan and work the project's tasks: create, edit, assign, move, reorder and delete them and tick their "
    "checklists. Administrators, the PM, heads of its departments and its team; never a client contact (tasks "
    "are internal: seeing them is see_internal).",
)

see_margin = Capability(
    "see_margin",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS),
    doc="See the project's revenue, bill rates, contract value and margin: those who see its money "
    "(administrators, the PM, heads of its departments, reporting heads); never the team, never a client contact.",
)


def _invoice_clients(user: AnyUser | None) -> QuerySet[Any]:
    clients = rows("projects.Client")
    if is_admin(user):
        return clients
    relations = []
    if is_head(user):
        relations.append(HEADS)
    if settings.APM_INVOICES_BY_PM and is_manager(user):
        relations.append(MANAGES)
    if not relations:
        return clients.none()
    return clients.filter(pk__in=projects_by(user, *relations).order_by().values("client_id"))


manage_invoices = Capability(
    "manage_invoices",
    subject="client",
    rule=_invoice_clients,
    doc="Draft, edit, issue, record the payment of and credit a client's invoices: administrators, and department "
    "heads for the clients of their departments' projects; with APM_INVOICES_BY_PM on, project managers too for "
    "the clients of the projects they manage (off by default).",
)

#: The states of the invoices and credit notes a client contact sees: issued ones, paid or void too; never a draft.
CLIENT_INVOICE_STATES = ("issued", "paid", "void")


def invoice_clients(user: AnyUser | None) -> QuerySet[Any]:
    """The clients whose invoices ``user`` sees (:data:`see_invoice`): those whose invoices they manage
    (:data:`manage_invoices`), and an active client contact's own client (its issued ones only)."""
    if is_contact(user):
        own = rows("projects.ClientContact").filter(user=user).values("client_id")
        return rows("projects.Client").filter(pk__in=own)
    return manage_invoices.queryset(user)


def _see_invoice(user: AnyUser | None) -> QuerySet[Any]:
    invoices = rows("projects.Invoice")
    if is_admin(user):
        return invoices
    found = invoices.filter(client__in=invoice_clients(user))
    return found.filter(state__in=CLIENT_INVOICE_STATES) if is_contact(user) else found


see_invoice = Capability(
    "see_invoice",
    subject="invoice",
    rule=_see_invoice,
    doc="See an invoice or credit note, its lines and its PDF: administrators and whoever manages the client's "
    "invoices (manage_invoices) all of that client's, drafts included; an active contact of the invoice's client "
    "its issued, paid and void ones (the bill rates and amounts the client is billed), never a draft, never "
    "another client's. Nobody else, however close to the client's projects.",
)

approve_time = Capability(
    "approve_time",
    subject="project",
    rule=on_projects(MANAGES, HEADS),
    doc="Approve or reject the time logged on the project, and reopen approved time: administrators, its PM "
    "and heads of its departments.",
)

edit_budget = Capability(
    "edit_budget",
    subject="project",
    rule=on_projects(MANAGES),
    doc="Change the budget: lines, settings, expenses, baselines, contingency requests. The PM and administrators.",
)

decide_as_head = Capability(
    "decide_as_head",
    subject="project",
    rule=on_projects(HEADS, REPORTS, who=is_head),
    doc="Decide for management: approve change requests and contingency, decide clause proposals, "
    "acknowledge critical issues. Administrators, and department heads who head one of its departments "
    "or are its reporting heads.",
)

plan_exception = Capability(
    "plan_exception",
    subject="project",
    rule=on_projects(MANAGES),
    doc="Write and submit the exception plan of a broken tolerance (options, recommendation, new forecast): "
    "as edit_budget, the PM and administrators.",
)

decide_exception_plan = Capability(
    "decide_exception_plan",
    subject="project",
    rule=on_projects(HEADS, who=is_head),
    doc="Approve or reject a submitted exception plan: administrators and heads of one of the project's "
    "departments (a reporting head of another department reads it, and the exception report, but does not decide).",
)

decide_for_client = Capability(
    "decide_for_client",
    subject="project",
    rule=lambda user: projects_by(user, CONTACT) if is_contact(user) else no_projects(),
    doc="Sign off deliverables and decide change requests for the client: contacts of the project's client "
    "only (nobody inside the company decides for the client, administrators included).",
)

send_client = Capability(
    "send_client",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS, who=is_manager),
    doc="Send or schedule the project's client-audience reports: administrators, and heads and PMs who "
    "manage it, head one of its departments or are its reporting heads.",
)

send_internal = Capability(
    "send_internal",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS, who=is_manager),
    doc="Ask for the project's internal report now (send now): those with see_money who run projects.",
)

schedule_internal = Capability(
    "schedule_internal",
    subject="project",
    rule=on_projects(MANAGES, HEADS, REPORTS, who=is_manager),
    doc="Keep a schedule of the project's internal report: as send_internal, checked when the schedule is "
    "saved and again, against its owner as they are now, at every dispatch.",
)

manage_share_links = Capability(
    "manage_share_links",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="Make and revoke share links of the project's client status page: as edit_project.",
)

invite_contacts = Capability(
    "invite_contacts",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="Invite the contacts of the project's client to the portal: as edit_project.",
)


comment = Capability(
    "comment",
    subject="project",
    rule=_who_sees,
    doc="Comment on the project's deliverables, tasks, change requests, RAID items, documents and correspondence: "
    "everyone who sees the project. A client contact only on what the client side shows them (the deliverables "
    "they sign off, the change requests they decide, the documents shared with them), and always visibly to the "
    "client.",
)

comment_to_client = Capability(
    "comment_to_client",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="Make a comment visible to the client, on what the client side shows: administrators, and heads and PMs "
    "who manage the project or head one of its departments (as edit_project). Every other comment is internal.",
)

manage_chat_hooks = Capability(
    "manage_chat_hooks",
    subject="project",
    rule=on_projects(MANAGES, HEADS, who=is_manager),
    doc="Add, change and remove the project's Slack and Microsoft Teams channels: as edit_project.",
)


#: What the client side (a client contact, a share link's status page) may see of a project's register:
#: documents shared with the client, neither drafts nor superseded.
SHARED_WITH_CLIENT = Q(visibility=CLIENT) & ~Q(status__in=("draft", "superseded"))


def shared_with_client(document: Any) -> bool:
    """Whether ``document`` (a ``projects.Document``) is one the client side may see (:data:`SHARED_WITH_CLIENT`):
    for one object already loaded, such as the document a deliverable asks the client to review."""
    return document is not None and document.visibility == CLIENT and document.status not in ("draft", "superseded")


def _see_document(user: AnyUser | None) -> QuerySet[Any]:
    documents = rows("projects.Document")
    if not is_active(user):
        return documents.none()
    shared = SHARED_WITH_CLIENT & Q(project__in=see_project.queryset(user))
    return documents.filter(Q(project__in=see_internal_documents.queryset(user)) | shared)


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
    rule=on_projects(TEAM, admin=False),
    doc="Log time on the project: the people on its team.",
)


def _own_time(user: AnyUser | None) -> QuerySet[Any]:
    entries = rows("projects.TimeEntry")
    if not is_internal(user):
        return entries.none()
    return entries.filter(member__user=user)


change_own_time = Capability(
    "change_own_time",
    subject="time_entry",
    rule=_own_time,
    doc="Change or remove a time entry: the person who logged it, and only they (while it is not submitted or "
    "approved: the timesheet's services say so; approvers reopen approved time instead).",
)


def _share_links(user: AnyUser | None) -> QuerySet[Any]:
    links = rows("portal.ShareLink")
    return links.filter(project__in=manage_share_links.queryset(user))


see_share_link = Capability(
    "see_share_link",
    subject="share link",
    rule=_share_links,
    doc="List and revoke a share link: those who may manage the share links of its project.",
)


def _invitable_contacts(user: AnyUser | None) -> QuerySet[Any]:
    contacts = rows("projects.ClientContact")
    if is_admin(user):
        return contacts
    return contacts.filter(client__projects__in=invite_contacts.queryset(user)).distinct()


invite_contact = Capability(
    "invite_contact",
    subject="client contact",
    rule=_invitable_contacts,
    doc="Invite a client contact to the portal: the contacts of the clients of projects one may invite for.",
)
