"""The access sweep: every URL of the project, as every relationship of the README's table, against the policy.

The URL patterns are found by walking the resolver, so a new view is swept
without editing this file, once :data:`NEEDS` says which capability of
``apm.access`` it asks (a URL without a declaration fails
:func:`test_it_declares_what_every_url_needs`). The world is
``tests/access_world.py``: one project (ALPHA-1) and one user per
relationship to it, and a second project (GAMMA-1) no one but the
administrator is related to.

For each relationship the expected answer comes from the policy itself
(:func:`expected`), which ``tests/apm/access/test_table.py`` holds to the
hand-written table:

* on ALPHA-1's objects: 404 without the URL's capability, the declared
  refusal (403, or a redirect with a message) without its action
  capability, else 200 or the form's redirect;
* on GAMMA-1's objects, and with ALPHA-1's code but GAMMA-1's object ids: as
  the policy says (404 for everyone but the administrator, and for
  GAMMA-1's own client contact where the client may look), and no row of any
  table changes with a 404 (:func:`fingerprint`). A POST-only view may answer
  GET with 405 when it does so for the own object too (the method is refused
  before any lookup, so the answer says nothing about the object).

The money sentinel sweep (``tests/apm/access/test_money_sentinels.py``) uses the same world.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Count, Max
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apm import access
from apm.api.services import token_create
from apm.outbound.models import OutboundRequest
from projects.models import (
    Allocation,
    BillingMilestone,
    BudgetLine,
    ChatHook,
    Invoice,
    InvoiceLine,
    Notification,
    ProjectTemplate,
    Task,
    TaskChecklistItem,
    ToleranceException,
)
from tests import factories
from tests.access_world import RELATIONSHIPS, Side, World, build_world, populate

pytestmark = pytest.mark.django_db

#: The relationships that sign in (anonymous visitors are swept by test_it_sends_anonymous_visitors_to_the_login_page).
SIGNED_IN = [key for key, _words in RELATIONSHIPS if key != "anonymous"]


# --- Walking the resolver ---------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str
    params: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}".strip(":") if ns else namespace
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern)) or tuple(re.findall(r"\(\?P<(\w+)>", pattern))
            name = (f"{namespace}:{entry.name}" if namespace else entry.name) if entry.name else ""
            routes.append(Route(name=name or f"{namespace}:<unnamed {pattern}>", pattern=pattern, params=params))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns)


def url_for(route: Route, kwargs: dict[str, str]) -> str:
    """The path of ``route`` with ``kwargs``: reversed by name, else built from the pattern.

    Some third-party patterns (simple-history's admin views) have no name or
    unnamed regex groups; those groups are filled with ``1``.
    """
    if "<unnamed " not in route.name:
        try:
            return reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:
            pass
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs.get(m.group(1), "1"), route.pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: kwargs.get(m.group(1), "1"), path)
    path = re.sub(r"\([^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "")


# --- What fills each argument -------------------------------------------------

#: For each URL name, which object of a side fills each argument (a key of :class:`Side`).
#: ``code`` is the project's code unless said otherwise; ``dept`` a department code.
ARGUMENTS: dict[str, dict[str, str]] = {
    "reports:department": {"code": "department_code"},
    "reports:department_send": {"code": "department_code"},
    "reports:pdf": {"pk": "client_report"},
    "reports:detail": {"pk": "client_report"},
    "reports:schedule_edit": {"pk": "schedule"},
    "reports:schedule_toggle": {"pk": "schedule"},
    "reports:schedule_send": {"pk": "schedule"},
    "reports:schedule_recipient_resume": {"pk": "schedule"},
    "reports:unsubscribe": {"token": "unsubscribe_token"},
    "reports:schedule_preview": {"pk": "schedule", "fmt": "html"},
    "reports:outbox_resend": {"pk": "delivery"},
    "projects:expense_receipt": {"pk": "expense"},
    "projects:contingency_decide": {"pk": "contingency"},
    "projects:budget_line_remove": {"pk": "budget_line"},
    "projects:time_entry_remove": {"pk": "time_entry"},
    "projects:billing_milestone_remove": {"pk": "billing_milestone"},
    "projects:client_account": {"pk": "client"},
    "projects:client_target": {"pk": "client"},
    "projects:invoice": {"pk": "invoice"},
    "projects:invoice_pdf": {"pk": "invoice"},
    "projects:invoice_line_add": {"pk": "invoice"},
    "projects:invoice_line": {"pk": "invoice", "line": "invoice_line"},
    "projects:invoice_line_remove": {"pk": "invoice", "line": "invoice_line"},
    "projects:invoice_issue": {"pk": "invoice"},
    "projects:invoice_paid": {"pk": "invoice"},
    "projects:invoice_credit": {"pk": "invoice"},
    "projects:invoice_send": {"pk": "invoice"},
    "projects:invoice_send_retry": {"pk": "invoice"},
    "projects:invoice_discard": {"pk": "invoice"},
    "projects:exception_plan": {"pk": "tolerance_exception"},
    "projects:exception_plan_decide": {"pk": "tolerance_exception"},
    "projects:role_suggestions": {"role_id": "open_role"},
    "projects:role_assign": {"role_id": "open_role"},
    "projects:role_edit": {"role_id": "open_role"},
    "projects:role_close": {"role_id": "open_role"},
    "projects:allocation_edit": {"pk": "allocation"},
    "projects:allocation_cancel": {"pk": "allocation"},
    "staffing:person": {"pk": "person"},
    "portal:report_pdf": {"pk": "client_report"},
    "portal:sign_off": {"pk": "deliverable"},
    "portal:decide": {"pk": "change_request"},
    "portal:share_revoke": {"pk": "share_link"},
    "portal:invite": {"pk": "contact"},
    "portal:shared": {"token": "share_token"},
    "portal:shared_report_pdf": {"token": "share_token", "pk": "client_report"},
    "portal:invoice": {"pk": "issued_invoice"},
    "portal:invoice_pdf": {"pk": "issued_invoice"},
    "accounts:invitation": {"token": "invitation_token"},
    "projects:deliverable": {"pk": "deliverable"},
    "projects:deliverable_edit": {"pk": "deliverable"},
    "projects:deliverable_move": {"pk": "deliverable"},
    "projects:task": {"pk": "task"},
    "projects:task_edit": {"pk": "task"},
    "projects:task_move": {"pk": "task"},
    "projects:task_reorder": {"pk": "task"},
    "projects:task_place": {"pk": "task"},
    "projects:task_checklist_add": {"pk": "task"},
    "projects:task_checklist_tick": {"pk": "task", "item": "task_checklist_item"},
    "projects:task_checklist_remove": {"pk": "task", "item": "task_checklist_item"},
    "projects:task_delete": {"pk": "task"},
    "projects:plan_task_dates": {"pk": "task"},
    "projects:plan_deliverable_dates": {"pk": "deliverable"},
    "projects:review_create": {"pk": "deliverable"},
    "projects:evidence": {"pk": "review_check"},
    "projects:nc_action": {"pk": "non_conformance"},
    "projects:change": {"number": "change_number"},
    "projects:change_action": {"number": "change_number"},
    "projects:raid_item": {"pk": "raid_item"},
    "projects:raid_action": {"pk": "raid_item"},
    "projects:document": {"pk": "document"},
    "projects:document_edit": {"pk": "document"},
    "projects:document_status": {"pk": "document"},
    "projects:document_version_add": {"pk": "document"},
    "projects:document_download": {"pk": "document"},
    "projects:version_download": {"pk": "document_version"},
    "projects:clause": {"pk": "clause"},
    "projects:clause_evidence": {"pk": "clause"},
    "projects:clause_period_met": {"pk": "clause"},
    "projects:clause_propose": {"pk": "clause"},
    "projects:proposal_decide": {"pk": "clause_proposal"},
    "projects:correspondence_entry": {"pk": "correspondence"},
    "projects:correspondence_status": {"pk": "correspondence"},
    "projects:correspondence_attach": {"pk": "correspondence"},
    "projects:correspondence_file": {"pk": "correspondence_file"},
    "projects:comment_add": {"anchor": "comment_anchor", "pk": "deliverable"},
    "projects:comment_edit": {"pk": "internal_comment"},
    "projects:comment_delete": {"pk": "internal_comment"},
    "projects:comment_file": {"pk": "comment_file"},
    "portal:comment_add": {"anchor": "comment_anchor", "pk": "deliverable"},
    "imports:job": {"pk": "import_job"},
    "imports:map": {"pk": "import_job"},
    "imports:confirm": {"pk": "import_job"},
    "imports:file": {"pk": "import_job"},
    "imports:preset": {"key": "preset_key"},
    "projects:template": {"pk": "project_template"},
    "projects:template_use": {"pk": "project_template"},
    "projects:template_edit": {"pk": "project_template"},
    "projects:template_delete": {"pk": "project_template"},
    "notifications:open": {"pk": "notification"},
    "notifications:read": {"pk": "notification"},
    "api-token-revoke": {"pk": "api_token"},
    "projects:chat_hook": {"pk": "chat_hook"},
    "projects:chat_hook_test": {"pk": "chat_hook"},
    "projects:chat_retry": {"pk": "chat_delivery"},
    "projects:chat_hook_remove": {"pk": "chat_hook"},
}
#: Defaults for argument names not listed for a URL.
DEFAULT_ARGUMENTS = {"code": "project_code", "dept": "department_code"}


def _draft_invoice(project: Any) -> Invoice:
    """A draft invoice to the project's client with one line (its discard, swept last of its URLs, deletes it)."""
    found = Invoice.objects.filter(client=project.client, state="draft").order_by("pk").first()
    if found is not None:
        return found
    invoice = Invoice.objects.create(
        client=project.client,
        currency="GBP",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        rates_on=dt.date(2026, 1, 31),
        net_total=Decimal("100.00"),
        tax_total=Decimal("20.00"),
        gross_total=Decimal("120.00"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        description=f"{project.code} consulting",
        quantity=Decimal("1"),
        unit_price=Decimal("100.00"),
        net=Decimal("100.00"),
        tax_rate=Decimal("20"),
        tax=Decimal("20.00"),
        currency="GBP",
    )
    return invoice


def _task(project: Any) -> Task:
    """A task of the project with one checklist line (its delete, swept last of its URLs, removes it)."""
    task = Task.objects.filter(project=project).order_by("pk").first()
    if task is None:
        task = Task.objects.create(project=project, title=f"{project.code} task", due_date=dt.date(2026, 1, 31))
    if not task.checklist.exists():  # a task of the pages' furniture (the plan's) has none
        TaskChecklistItem.objects.create(task=task, text="Checked")
    return task


def _template(project: Any) -> ProjectTemplate:
    """A template saved from the project: one deliverable and a task under it (its delete, swept last of its
    URLs, removes it)."""
    found = ProjectTemplate.objects.filter(source_project=project).order_by("pk").first()
    if found is not None:
        return found
    content = {
        "version": 1,
        "currency": "GBP",
        "deliverables": [{"name": "Kick-off pack", "due": 7}],
        "tasks": [{"title": "Agree the plan", "due": 3, "deliverable": 0}],
    }
    return ProjectTemplate.objects.create(name=f"{project.code} template", content=content, source_project=project)


#: Objects of a side's project that ``Side.objects`` (tests/access_world.py) does not name: found (or, for a
#: booking, made) on first use and kept there; the ``sweep`` fixture makes them before it takes fingerprints.
FOUND: dict[str, Any] = {
    "budget_line": lambda project: BudgetLine.objects.filter(project=project).order_by("pk").first(),
    # The side's client has this one project: its account page answers as the project's margin does.
    "client": lambda project: project.client,
    "billing_milestone": lambda project: (
        BillingMilestone.objects.filter(project=project).order_by("pk").first()
        or BillingMilestone.objects.create(
            project=project, name=f"{project.code} kick-off", amount=Decimal("1000.00"), due_on=dt.date(2026, 1, 1)
        )
    ),
    "tolerance_exception": lambda project: (
        ToleranceException.objects.filter(project=project).order_by("pk").first()
        or ToleranceException.objects.create(
            project=project, kind="cost", summary=f"{project.code} over budget", raised_at=timezone.now()
        )
    ),
    "invoice": _draft_invoice,
    "invoice_line": lambda project: _draft_invoice(project).lines.order_by("pk").first(),
    "task": _task,
    "project_template": _template,
    # A notification is its recipient's alone (RECIPIENT_ONLY): the project's PM's (someone outside the sweep's
    # relationships for a project without one).
    "notification": lambda project: Notification.objects.get_or_create(
        recipient=project.project_manager or factories.UserFactory(username=f"{project.code.lower()}-reader"),
        key=f"sweep:{project.code}",
        defaults={"kind": "assignment", "text": f"{project.code} sweep", "url": f"/projects/{project.code}/"},
    )[0],
    "task_checklist_item": lambda project: _task(project).checklist.order_by("pk").first(),
    # An API token is its person's alone (RECIPIENT_ONLY): the project's PM's, as the notification.
    "api_token": lambda project: token_create(
        user=project.project_manager or factories.UserFactory(username=f"{project.code.lower()}-holder"),
        name=f"{project.code} sweep",
        can_write=False,
        days=30,
    )[0],
    "allocation": lambda project: (
        Allocation.objects.filter(project=project).order_by("pk").first()
        or factories.AllocationFactory(
            project=project, member=factories.TeamMemberFactory(name=f"{project.code} booked")
        )
    ),
}


def _chat_hook(project: Any) -> Any:
    """A Slack channel of the project (its remove, swept last of its URLs, deletes it)."""
    return ChatHook.objects.filter(project=project).order_by("pk").first() or factories.ChatHookFactory(project=project)


def _chat_delivery(project: Any) -> OutboundRequest:
    """A failed delivery to the project's channel (its Retry queues it again)."""
    hook = _chat_hook(project)
    source = f"chat:{project.pk}:{hook.pk}"
    return OutboundRequest.objects.filter(source=source).order_by("pk").first() or OutboundRequest.objects.create(
        kind="chat",
        source=source,
        summary=f"{project.code}: sweep",
        url=hook.url,
        idempotency_key=f"sweep:{project.code}",
        status="failed",
        queued_at=timezone.now(),
    )


FOUND["chat_hook"] = _chat_hook
FOUND["chat_delivery"] = _chat_delivery


def _value(side: Side, key: str) -> str:
    if key in FOUND and isinstance(side, Side) and key not in side.objects:
        side.objects[key] = FOUND[key](side.project)
    return side.value(key)


def fill(route: Route, side: Side) -> dict[str, str] | None:
    """The URL kwargs of ``route`` from ``side``, or None when some argument cannot be filled."""
    taught = ARGUMENTS.get(route.name, {})
    kwargs = {}
    for param in route.params:
        key = taught.get(param) or DEFAULT_ARGUMENTS.get(param)
        if key is None:
            return None
        kwargs[param] = _value(side, key)
    return kwargs


def mixed(route: Route, own: Side, other: Side) -> dict[str, str] | None:
    """Own project or department code with the other side's object ids (None when there is nothing to mix)."""
    if not ({"code", "dept"} & set(route.params)) or len(route.params) < 2:
        return None
    kwargs = fill(route, other)
    if kwargs is None:
        return None
    for param in ("code", "dept"):
        if param in route.params:
            key = ARGUMENTS.get(route.name, {}).get(param) or DEFAULT_ARGUMENTS[param]
            kwargs[param] = _value(own, key)
    return kwargs


# --- What each URL asks of the policy -----------------------------------------


@dataclass(frozen=True)
class Need:
    """What a URL asks: ``see`` (capability name, object key) pairs, each a 404 when missing; then ``act``
    (capability name, object key), answered ``refused`` when missing (403, or 302 when the page refuses
    with a message). An ability (about the user alone) takes no object key: ``None``. ``missing`` is the
    answer when a ``see`` ability is missing (404, or 403 for "you may not create projects")."""

    see: tuple[tuple[str, str | None], ...] = ()
    act: tuple[str, str | None] | None = None
    refused: int = 403
    missing: int = 404


def need(*see: str, act: str | None = None, refused: int = 403, missing: int = 404, on: str = "project") -> Need:
    """``need("see_money", act="edit_budget")``: capabilities on the side's ``on`` object (abilities on the user)."""

    def pair(name: str) -> tuple[str, str | None]:
        capability = access.CAPABILITIES[name]
        return (name, None if isinstance(capability, access.Ability) else on)

    return Need(see=tuple(pair(n) for n in see), act=pair(act) if act else None, refused=refused, missing=missing)


def on(name: str, key: str) -> tuple[str, str]:
    return (name, key)


#: Every non-admin URL and what it asks. Public URLs (no login) are in PUBLIC.
NEEDS: dict[str, Need] = {
    "home": Need(),
    "logout": Need(),
    "projects:list": Need(),
    "projects:list_export": Need(),
    "projects:create": need("create_project", missing=403),
    # Templates are the company's, not a project's: whoever may create projects reads and uses them;
    # administrators keep them; saving a project as one is editing it.
    "projects:templates": need("create_project", missing=403),
    "projects:template": need("create_project", missing=403),
    "projects:template_use": need("create_project", missing=403),
    "projects:template_edit": need("create_project", act="manage_templates", missing=403),
    "projects:template_delete": need("create_project", act="manage_templates", missing=403),
    "projects:template_save": need("edit_project"),
    "projects:timesheet": need("keep_timesheet"),
    "projects:timesheet_export": need("keep_timesheet"),
    "projects:time_entry_add": need("keep_timesheet"),
    "projects:timesheet_submit": need("keep_timesheet"),
    "projects:timesheet_timer": need("keep_timesheet"),
    "projects:time_entry_remove": need("keep_timesheet", "change_own_time", on="time_entry"),
    "projects:time_approvals": need("approve_time"),
    "projects:time_approvals_export": need("approve_time"),
    "projects:time_decide": need("see_internal", act="approve_time"),
    "imports:index": need("import_data", missing=403),
    "imports:preset": need("import_data", missing=403),
    "imports:job": need("import_data", "run_import", on="import_job", missing=403),
    "imports:map": need("import_data", "run_import", on="import_job", missing=403),
    "imports:confirm": need("import_data", "run_import", on="import_job", missing=403),
    "imports:file": need("import_data", "run_import", on="import_job", missing=403),
    "projects:desk": need("see_workspace"),
    "projects:tasks_board_all": need("see_workspace"),
    "projects:rates": need("manage_rates"),
    "projects:client_account": need("see_margin"),
    "projects:client_target": need("see_margin", act="manage_rates"),
    # Invoices are the client's: every page looks the invoice up among those of the clients one manages.
    "projects:invoices": need("manage_invoices", on="client"),
    "projects:invoice_list_export": need("manage_invoices", on="client"),
    "projects:invoice_create": need("manage_invoices", on="client"),
    "projects:invoice": need("manage_invoices", on="client"),
    "projects:invoice_pdf": need("manage_invoices", on="client"),
    "projects:invoice_export": need("manage_invoices", on="client"),
    "projects:invoice_line_add": need("manage_invoices", on="client"),
    "projects:invoice_line": need("manage_invoices", on="client"),
    "projects:invoice_line_remove": need("manage_invoices", on="client"),
    "projects:invoice_issue": need("manage_invoices", on="client"),
    "projects:invoice_paid": need("manage_invoices", on="client"),
    "projects:invoice_credit": need("manage_invoices", on="client"),
    "projects:invoice_send": need("manage_invoices", on="client"),
    "projects:invoice_send_retry": need("manage_invoices", on="client"),
    "projects:invoice_discard": need("manage_invoices", on="client"),
    "projects:department_compliance": need("see_department", on="department"),
    "projects:department_budget": need("see_department", on="department"),
    "projects:detail": need("see_project"),
    "projects:edit": need("edit_project"),
    "projects:update": need("edit_project"),
    "projects:team": need("see_internal"),
    "projects:role_create": need("staff_project"),
    "projects:role_suggestions": need("staff_project"),
    "projects:role_assign": need("staff_project"),
    "projects:role_edit": need("staff_project"),
    "projects:role_close": need("staff_project"),
    "projects:allocation_edit": need("staff_project"),
    "projects:allocation_cancel": need("staff_project"),
    "projects:budget": need("see_money"),
    "projects:budget_line_add": need("see_money", act="edit_budget"),
    "projects:budget_line_remove": need("see_money", act="edit_budget"),
    "projects:budget_settings": need("see_money", act="edit_budget"),
    "projects:billing_settings": need("see_margin", act="edit_budget"),
    "projects:billing_milestone_add": need("see_margin", act="edit_budget"),
    "projects:billing_milestone_remove": need("see_margin", act="edit_budget"),
    "projects:expense_add": need("see_money", act="edit_budget"),
    "projects:expense_receipt": need("see_money"),
    "projects:expenses_export": need("see_money"),
    "projects:baseline_add": need("see_money", act="edit_budget"),
    "projects:contingency_request": need("see_money", act="edit_budget"),
    # The decision is the service's (a head, and not the one who asked): a refusal is a message.
    "projects:contingency_decide": need("see_money"),
    # Read by all who see the money; written (POST) only with plan_exception (tests/projects/budget).
    "projects:exception_plan": need("see_money"),
    "projects:exception_plan_decide": need("see_money", act="decide_exception_plan"),
    "projects:deliverables": need("see_internal"),
    "projects:deliverables_export": need("see_internal"),
    "projects:deliverable_create": need("edit_project"),
    "projects:schedule_baseline": need("see_internal"),
    "projects:deliverable": need("see_internal"),
    "projects:deliverable_edit": need("edit_project"),
    "projects:deliverable_move": need("see_internal"),
    "projects:tasks": need("see_internal"),
    "projects:tasks_export": need("see_internal"),
    "projects:task": need("see_internal"),
    "projects:task_create": need("edit_tasks"),
    "projects:task_edit": need("edit_tasks"),
    "projects:task_move": need("edit_tasks"),
    "projects:task_reorder": need("edit_tasks"),
    "projects:task_place": need("edit_tasks"),
    "projects:tasks_board": need("see_internal"),
    "projects:task_checklist_add": need("edit_tasks"),
    "projects:task_checklist_tick": need("edit_tasks"),
    "projects:task_checklist_remove": need("edit_tasks"),
    "projects:task_delete": need("edit_tasks"),
    "projects:task_import": need("edit_tasks"),
    "projects:task_import_confirm": need("edit_tasks"),
    "projects:plan": need("see_internal"),
    "projects:plan_undo": need("edit_tasks"),
    "projects:plan_task_dates": need("edit_tasks"),
    "projects:plan_deliverable_dates": need("edit_project"),
    "projects:review_create": need("work_on_project"),
    "projects:quality": need("see_internal"),
    "projects:evidence": need("see_internal"),
    "projects:nc_action": need("see_internal"),
    "projects:changes": need("see_internal"),
    "projects:changes_export": need("see_internal"),
    "projects:change_create": need("work_on_project"),
    "projects:change": need("see_internal"),
    "projects:change_action": need("see_internal"),
    "projects:raid": need("see_internal"),
    "projects:raid_export": need("see_internal"),
    "projects:raid_create": need("work_on_project"),
    "projects:raid_item": need("see_internal"),
    "projects:raid_action": need("see_internal"),
    "projects:documents": need("see_internal_documents"),
    "projects:documents_export": need("see_internal_documents"),
    "projects:document_create": need("edit_project"),
    "projects:document": need("see_internal_documents"),
    "projects:document_edit": need("edit_project"),
    "projects:document_status": need("edit_project"),
    "projects:document_version_add": need("edit_project"),
    "projects:document_download": Need(see=(on("see_project", "project"), on("see_document", "document"))),
    "projects:version_download": need("see_internal_documents"),
    "projects:clauses": need("see_internal_documents"),
    "projects:clause_create": need("edit_project"),
    "projects:clause": need("see_internal_documents"),
    "projects:clause_evidence": need("edit_project"),
    "projects:clause_period_met": need("edit_project"),
    "projects:clause_propose": need("edit_project"),
    "projects:proposal_decide": need("see_internal_documents"),
    "projects:compliance": need("see_internal_documents"),
    "projects:correspondence": need("see_internal_documents"),
    "projects:correspondence_export": need("see_internal_documents"),
    "projects:activity": need("see_internal"),
    "projects:correspondence_create": need("edit_project"),
    "projects:letter_create": need("edit_project"),
    "projects:correspondence_entry": need("see_internal_documents"),
    "projects:correspondence_status": need("edit_project"),
    "projects:correspondence_attach": need("edit_project"),
    "projects:correspondence_file": need("see_internal_documents"),
    # Comments: written on an internal page by its readers (all may comment); edited and deleted inside
    # see_comment (the service refuses a non-author with a message); a file only with its comment.
    "projects:comment_add": need("see_internal", act="comment"),
    "projects:comment_edit": Need(see=(on("see_project", "project"), on("see_comment", "internal_comment"))),
    "projects:comment_delete": Need(see=(on("see_project", "project"), on("see_comment", "internal_comment"))),
    "projects:comment_file": Need(see=(on("see_project", "project"), on("see_comment", "client_comment"))),
    "portal:comment_add": need("see_project", act="comment"),
    "reports:index": Need(),
    "reports:project": need("see_project"),
    "reports:project_send": need("see_project", act="send_client"),
    "reports:department": need("see_department", on="department"),
    "reports:department_send": need("see_department", on="department"),
    "reports:pdf": Need(see=(on("see_report", "client_report"),)),
    "reports:detail": Need(see=(on("see_report", "client_report"),)),
    "reports:archive": Need(),
    "reports:schedules": need("create_project"),
    "reports:schedule_create": need("create_project"),
    "reports:schedule_projects": need("create_project"),
    "reports:schedule_edit": Need(see=(on("manage_schedule", "schedule"),)),
    "reports:schedule_toggle": Need(see=(on("manage_schedule", "schedule"),)),
    "reports:schedule_send": Need(see=(on("manage_schedule", "schedule"),)),
    "reports:schedule_recipient_resume": Need(see=(on("manage_schedule", "schedule"),)),
    "reports:schedule_preview": Need(see=(on("manage_schedule", "schedule"),)),
    "reports:outbox": need("create_project"),
    "reports:outbox_resend": Need(see=(on("create_project", None), on("see_delivery", "delivery"))),
    "teams:matrix": need("see_workspace"),
    "staffing:capacity": need("see_workspace"),
    "staffing:person": Need(see=(on("see_member", "person"),)),
    "portal:home": Need(),
    "portal:project": need("see_project"),
    "portal:report_pdf": Need(see=(on("see_project", "project"), on("see_report", "client_report"))),
    "portal:sign_off": need("see_project", act="decide_for_client"),
    "portal:decide": need("see_project", act="decide_for_client"),
    "portal:access": need("manage_share_links"),
    "portal:share_revoke": Need(see=(on("manage_share_links", "project"), on("see_share_link", "share_link"))),
    "portal:invite": Need(see=(on("invite_contacts", "project"), on("invite_contact", "contact"))),
    "portal:contact_add": need("invite_contacts"),
    # The portal lists the issued invoices one sees (none: an empty page); an invoice is one of them.
    "portal:invoices": Need(),
    "portal:invoice": need("see_invoice", on="issued_invoice"),
    "portal:invoice_pdf": need("see_invoice", on="issued_invoice"),
    # Everyone's own centre and settings; one notification only its recipient's (RECIPIENT_ONLY).
    "notifications:centre": Need(),
    "notifications:bell": Need(),
    "notifications:preferences": Need(),
    "notifications:read_all": Need(),
    "notifications:open": Need(),
    "notifications:read": Need(),
    # Everyone's own API tokens page; one token only its person revokes (RECIPIENT_ONLY).
    "api-tokens": Need(),
    # The OpenAPI schema and its docs: anyone signed in.
    "api-schema": Need(),
    "api-docs": Need(),
    "api-token-revoke": Need(),
    # A project's chat channels: their URLs are secrets of the channel, so every page is the managers' alone.
    "projects:chat": need("manage_chat_hooks"),
    "projects:chat_hook": need("manage_chat_hooks"),
    "projects:chat_hook_test": need("manage_chat_hooks"),
    "projects:chat_retry": need("manage_chat_hooks"),
    "projects:chat_hook_remove": need("manage_chat_hooks"),
}

#: URLs of one notification: its recipient's alone (no capability shares it; the administrator gets a 404 too).
RECIPIENT_ONLY = {
    "notifications:open": "notification",
    "notifications:read": "notification",
    "api-token-revoke": "api_token",
}

#: URLs without login. A share link opens for anyone who has it (the other side's is revoked: dead for
#: everyone); an invitation link likewise (the other side's is used).
PUBLIC = {
    "login": {200, 302},
    "portal:shared": {200},
    "portal:shared_report_pdf": {200},
    "accounts:invitation": {200},
    # A scheduled report's one-click unsubscribe link: its signed token is the proof, on either side.
    "reports:unsubscribe": {200},
    # Health: the sweep's world has no beat, so /health/ answers 503 (tests/apm/health/test_views.py covers 200).
    "health:status": {503},
    "health:web": {200},
}
TOKEN_URLS = ("portal:shared", "portal:shared_report_pdf", "accounts:invitation")

#: The Django admin is for administrators only (apm/admin_site.py): every other user is sent to its
#: login page, whatever the arguments; its ModelAdmins are tested in tests/apm/test_admin_site.py.
ADMIN_NAMESPACE = "admin"
ADMIN_FILL = {"app_label": "projects", "object_id": "1", "content_type_id": "1", "url": "x"}

#: URLs that change the session itself: GET only (POSTing them would log the sweeping user out).
GET_ONLY = {"logout"}


def allows(user: Any, name: str, obj: Any) -> bool:
    capability = access.CAPABILITIES[name]
    return capability.allows(user) if isinstance(capability, access.Ability) else capability.allows(user, obj)


def expected(route_name: str, user: Any, side: Side) -> set[int]:
    """The answers the policy allows ``user`` on ``route_name`` filled from ``side``."""
    if route_name in PUBLIC:
        return PUBLIC[route_name]
    if route_name in RECIPIENT_ONLY:
        subject = side.subject(RECIPIENT_ONLY[route_name])
        owner = subject.user_id if hasattr(subject, "user_id") else subject.recipient_id
        return {200, 302} if owner == user.pk else {404}
    declared = NEEDS[route_name]
    for name, key in declared.see:
        if not allows(user, name, side.subject(key) if key else None):
            capability = access.CAPABILITIES[name]
            return {declared.missing if isinstance(capability, access.Ability) else 404}
    if declared.act is not None:
        name, key = declared.act
        if not allows(user, name, side.subject(key) if key else None):
            return {declared.refused}
    return {200, 302}


# --- Fingerprint of the whole database -------------------------------------


def fingerprint() -> dict[str, tuple]:
    """Per table: row count, highest pk and, where there is one, the latest ``updated_at``."""
    prints = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        aggregates = {"n": Count("pk"), "top": Max("pk")}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            aggregates["updated"] = Max("updated_at")
        prints[model._meta.label] = tuple(sorted(model._default_manager.aggregate(**aggregates).items()))
    return prints


POST_DATA = {
    "decision": "accept",
    "comment": "sweep",
    "days": "7",
    "label": "sweep",
    "approve": "1",
    "note": "sweep",
    "amount": "10.00",
    "category": "labour",
    "reason": "sweep",
    "confirm": "1",
    # The budget page's forms carry prefixes (their fields share a page).
    "line-category": "labour",
    "line-amount": "10.00",
    "baseline-reason": "sweep",
    "contingency-amount": "10.00",
    "contingency-category": "labour",
    "contingency-reason": "sweep",
}


def _is_admin(route: Route) -> bool:
    return route.name.startswith(ADMIN_NAMESPACE + ":")


#: The REST API's endpoints answer JSON, not pages: ``tests/apm/api/test_sweep.py`` sweeps every operation of its
#: schema as every relationship (:func:`test_it_leaves_to_the_api_sweep_only_operations_of_the_schema` holds that
#: each route left out here is one of them).
API_PREFIX = "api/v1/"


def _is_api(route: Route) -> bool:
    return route.pattern.startswith(API_PREFIX)


def swept_routes() -> list[Route]:
    """Every non-admin URL but the API's, GET pages first, then the POST-only actions (which change the world)."""
    return [r for r in all_routes() if not _is_admin(r) and not _is_api(r)]


@pytest.fixture
def sweep(db) -> World:
    world = populate(build_world())
    for side in (world.own, world.other):
        assert side is not None
        for key in FOUND:
            _value(side, key)
    return world


# --- The tests ---------------------------------------------------------------


def test_it_finds_the_urls_of_every_app():
    names = {route.name for route in all_routes()}
    for expected_name in ("projects:detail", "reports:pdf", "portal:project", "portal:shared", "staffing:person"):
        assert expected_name in names


def test_it_leaves_to_the_api_sweep_only_operations_of_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    documented = set(SchemaGenerator().get_schema(request=None, public=True)["paths"])
    api_routes = [r for r in all_routes() if _is_api(r) and r.name != "api-not-found"]
    assert len(api_routes) > 20
    # The schema names a primary key ``id`` (drf-spectacular's SCHEMA_COERCE_PATH_PK).
    paths = {
        "/"
        + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", r.pattern.replace("^", "").replace("$", "")).replace("{pk}", "{id}")
        for r in api_routes
    }
    assert paths - documented == set()


def test_it_declares_what_every_url_needs():
    undeclared = sorted(r.name for r in swept_routes() if r.name not in NEEDS and r.name not in PUBLIC)
    assert undeclared == [], f"Say in tests/apm/access/test_sweep.py NEEDS which capability each asks: {undeclared}"
    gone = sorted((set(NEEDS) | set(PUBLIC)) - {r.name for r in swept_routes()})
    assert gone == [], f"NEEDS names URLs that no longer exist: {gone}"


def test_it_can_fill_every_url(sweep):
    unfilled = [
        route.pattern
        for route in swept_routes()
        if route.params and (fill(route, sweep.own) is None or fill(route, sweep.other) is None)
    ]
    assert unfilled == [], f"Teach tests/apm/access/test_sweep.py ARGUMENTS how to fill: {unfilled}"


def _answer(client, url: str, data: dict[str, str]) -> tuple[str, int]:
    response = client.get(url)
    if response.status_code == 405:
        return "post", client.post(url, data).status_code
    return "get", response.status_code


@pytest.mark.parametrize("relationship", SIGNED_IN)
def test_it_answers_the_project_as_the_policy_says(client, sweep, relationship):
    """ALPHA-1's objects: each URL answers this relationship as the policy says."""
    user = sweep.users[relationship]
    client.force_login(user)
    client.raise_request_exception = False  # a 500 is a finding to list, not a crash of the sweep
    data = POST_DATA | {"member": str(sweep.person.pk)}
    routes = [r for r in swept_routes() if r.name not in GET_ONLY]
    # Expectations first: the POST-only actions change the world the policy is then asked about.
    wanted = {route.name: expected(route.name, user, sweep.own) for route in routes}
    failures, answers = [], []
    for route in routes:
        url = url_for(route, fill(route, sweep.own))
        method, status = _answer(client, url, data)
        answers.append(f"{route.name} {relationship} {method} {status}")
        if status not in wanted[route.name]:
            failures.append(
                f"{method.upper()} {url} as {relationship}: {status}, expected {sorted(wanted[route.name])}"
            )
    assert failures == [], "\n".join(answers)


@pytest.mark.parametrize("relationship", [key for key in SIGNED_IN if key != "admin"])
def test_it_answers_another_projects_objects_as_the_policy_says_and_changes_nothing(client, sweep, relationship):
    """GAMMA-1's objects, and ALPHA-1's code with GAMMA-1's ids: 404 unless the policy allows, no row changed."""
    user = sweep.users[relationship]
    client.force_login(user)
    client.raise_request_exception = False
    own, other = sweep.own, sweep.other
    data = POST_DATA | {"member": str(sweep.person.pk)}
    # A POST-only view answers GET with 405 before any lookup, for every object alike: that
    # tells nothing, so GET may answer 405 where the own object's GET does too.
    post_only = {
        route.name
        for route in swept_routes()
        if route.params
        and route.name not in TOKEN_URLS
        and client.get(url_for(route, fill(route, own))).status_code == 405
    }
    before = fingerprint()
    failures = []
    for route in swept_routes():
        if not route.params:
            continue
        # The other side's share link is revoked and its invitation used: dead for everyone.
        dead = route.name in TOKEN_URLS
        variants = [(fill(route, other), {404} if dead else expected(route.name, user, other))]
        if not dead:
            variants.append((mixed(route, own, other), {404}))
        for kwargs, allowed in variants:
            if kwargs is None:
                continue
            url = url_for(route, kwargs)
            for method in ("get", "post"):
                if method == "post" and route.name in GET_ONLY:
                    continue
                response = getattr(client, method)(url, data if method == "post" else None)
                if method == "get" and route.name in post_only and response.status_code == 405:
                    continue
                status = response.status_code
                if status not in allowed:
                    failures.append(f"{method.upper()} {url} as {relationship}: {status}, expected {sorted(allowed)}")
                if status in (403, 404):
                    after = fingerprint()
                    if after != before:
                        changed = sorted(label for label in after if after[label] != before.get(label))
                        failures.append(
                            f"{method.upper()} {url} as {relationship} answered {status} and changed {changed}"
                        )
                before = fingerprint() if status not in (403, 404) else before
    assert failures == []


@pytest.mark.parametrize("relationship", [key for key in SIGNED_IN if key != "admin"])
def test_it_keeps_the_admin_to_administrators(client, sweep, relationship):
    client.force_login(sweep.users[relationship])
    client.raise_request_exception = False
    before = fingerprint()
    login_url = reverse("admin:login")
    for route in all_routes():
        if not _is_admin(route) or route.name in ("admin:login", "admin:logout"):
            continue
        kwargs = {param: ADMIN_FILL.get(param, "x") for param in route.params}
        url = url_for(route, kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 404), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.url.startswith(login_url), (method, url, response.url)
    assert fingerprint() == before


def test_it_lets_administrators_into_the_admin(client, sweep):
    client.force_login(sweep.users["admin"])
    assert client.get(reverse("admin:index")).status_code == 200


def test_it_sends_anonymous_visitors_to_the_login_page(client, sweep):
    login_url = reverse("login")
    for route in swept_routes():
        if route.name in PUBLIC or route.name in GET_ONLY:
            continue
        url = url_for(route, fill(route, sweep.own))
        if route.name == "api-schema":
            # The schema is read by programs: a 401 problem, as every API endpoint answers.
            assert client.get(url).status_code == 401
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.url.startswith(login_url), (method, url, response.url)
