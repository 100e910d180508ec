"""The access policy: every decision of who may see or do what, by name, in this one package.

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
compares. Nothing outside this package decides access: no view, service,
form, template, admin or task looks at a user's role or at the link tables
(``team_members``, ``reporting_heads``, a department's ``heads``, a client's
``contacts``) to decide (``tests/apm/access/test_structure.py``).

Being on the team shows a project, not its money: budgets, costs, rates,
margins and internal reports are :data:`see_money`. A client contact sees
their client's projects in the client audience only and never internal money;
of money, only what their client is billed: the issued invoices and credit
notes of :data:`see_invoice` (never a draft).

``apm`` sits below the apps it rules on (``reports`` -> ``projects`` ->
``teams`` -> ``apm``), so this package, and only this package, reaches their
models by label through ``django.apps.apps.get_model`` instead of importing
them (the import contracts and ``docs/architecture.md`` name this exception).

The package: :mod:`apm.access.base` (who the user is, relationships, the
two kinds of capability, the one 404 lookup), :mod:`~apm.access.projects`,
:mod:`~apm.access.people`, :mod:`~apm.access.reports`, :mod:`~apm.access.conversation` and
:mod:`~apm.access.users`. Import the names from ``apm.access``.
"""

from __future__ import annotations

from apm.access.base import CLIENT, INTERNAL, MANAGER_ROLES, Ability, Capability, audience_for, object_or_404
from apm.access.conversation import CLIENT_SIDE_ANCHORS, client_side, see_comment
from apm.access.people import (
    administrators,
    client_logins,
    internal_users,
    project_manager_candidates,
    reporting_head_candidates,
    see_department,
    see_member,
    see_member_rates,
)
from apm.access.projects import (
    CLIENT_INVOICE_STATES,
    SHARED_WITH_CLIENT,
    approve_time,
    change_client,
    change_own_time,
    comment,
    comment_to_client,
    decide_as_head,
    decide_exception_plan,
    decide_for_client,
    edit_budget,
    edit_project,
    edit_tasks,
    invite_contact,
    invite_contacts,
    invoice_clients,
    log_time,
    manage_chat_hooks,
    manage_invoices,
    manage_share_links,
    plan_exception,
    run_project,
    schedule_internal,
    see_document,
    see_internal,
    see_internal_documents,
    see_invoice,
    see_margin,
    see_money,
    see_project,
    see_share_link,
    send_client,
    send_internal,
    shared_with_client,
    staff_project,
    work_on_project,
)
from apm.access.reports import (
    SCOPE_COMPANY,
    SCOPE_DEPARTMENT,
    SCOPE_PM_PORTFOLIO,
    SCOPE_PROJECT,
    manage_schedule,
    may_receive_internal,
    may_see_internal_scope,
    may_send,
    scope_projects,
    see_delivery,
    see_report,
    send_report,
)
from apm.access.users import (
    administer,
    context,
    create_project,
    home_page,
    import_data,
    keep_timesheet,
    manage_rates,
    manage_templates,
    run_import,
    see_audit,
    see_workspace,
    template_money_visible,
)

#: Every capability by name (the README's table and the sweep read this).
CAPABILITIES: dict[str, Capability | Ability] = {
    item.name: item
    for item in (
        see_project,
        see_internal,
        see_internal_documents,
        see_document,
        see_money,
        see_margin,
        edit_project,
        run_project,
        change_client,
        staff_project,
        work_on_project,
        edit_tasks,
        edit_budget,
        approve_time,
        manage_invoices,
        see_invoice,
        decide_as_head,
        plan_exception,
        decide_exception_plan,
        decide_for_client,
        send_client,
        send_internal,
        schedule_internal,
        manage_share_links,
        invite_contacts,
        comment,
        comment_to_client,
        see_comment,
        manage_chat_hooks,
        log_time,
        change_own_time,
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
        manage_rates,
        manage_templates,
        import_data,
        run_import,
        create_project,
        see_workspace,
        keep_timesheet,
    )
}


__all__ = [
    "CAPABILITIES",
    "CLIENT",
    "CLIENT_INVOICE_STATES",
    "CLIENT_SIDE_ANCHORS",
    "INTERNAL",
    "MANAGER_ROLES",
    "SCOPE_COMPANY",
    "SCOPE_DEPARTMENT",
    "SCOPE_PM_PORTFOLIO",
    "SCOPE_PROJECT",
    "SHARED_WITH_CLIENT",
    "Ability",
    "Capability",
    "administrators",
    "audience_for",
    "client_side",
    "client_logins",
    "context",
    "home_page",
    "internal_users",
    "invoice_clients",
    "may_receive_internal",
    "may_see_internal_scope",
    "may_send",
    "object_or_404",
    "project_manager_candidates",
    "shared_with_client",
    "reporting_head_candidates",
    "scope_projects",
    "template_money_visible",
    *CAPABILITIES,
]
