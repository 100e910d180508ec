"""Bad input into every form: generated values posted to every URL that accepts POST.

The URLs are found by walking the resolver (tests/apm/access/test_sweep.py);
a view accepts POST when its source reads ``request.POST``/``FILES``, is
``@require_POST``, or its class has ``post``. :data:`TARGETS` says, for each
such URL, who posts and which form classes' fields are posted; a new POST URL
that is not in the table fails :func:`test_it_knows_every_url_that_accepts_post`.

For each target, hypothesis draws a value per field (hostile text, huge and
non-finite numbers, impossible dates, ids of objects the user may not see,
lists where a scalar is expected, missing fields, empty and wrong-type files:
tests/badinput/strategies.py) and posts it as a user who may use the form.
The properties:

* never a 500 (the test client re-raises a view's exception);
* a refusal (a 4xx, a form shown again with errors, or an error message)
  changes no row of any table (:func:`tests.badinput.conftest.row_prints`);
* whatever was written is whole: every added or changed row passes
  ``full_clean()``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.messages import constants as message_levels
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apm.api import forms as api_forms
from projects.billing import forms as billing_forms
from projects.billing import invoice_forms
from projects.budget import forms as budget_forms
from projects.budget.selectors import today
from projects.changes import forms as change_forms
from projects.chat import forms as chat_forms
from projects.conversation import forms as conversation_forms
from projects.correspondence import forms as correspondence_forms
from projects.delivery import forms as delivery_forms
from projects.documents import forms as document_forms
from projects.importers import forms as import_forms
from projects.importers.mapping import TARGETS_BY_KEY
from projects.models import NotificationChannel, NotificationKind
from projects.planning import forms as planning_forms
from projects.planning.plan_import import forms as plan_import_forms
from projects.portal import forms as portal_forms
from projects.portfolio import forms as project_forms
from projects.project_templates import forms as template_forms
from projects.quality import forms as quality_forms
from projects.raid import forms as raid_forms
from projects.staffing.forms import AllocationForm, OpenRoleForm, RequirementFormSet, RoleBookingForm
from projects.status import forms as update_forms
from reports.forms import ReportScheduleForm
from teams.capacity import week_start
from tests.access_world import Side
from tests.apm.access.test_sweep import Route, all_routes, fill, url_for
from tests.badinput import strategies as hs
from tests.badinput.conftest import changed_rows, row_prints

pytestmark = pytest.mark.django_db

#: Examples per form: 52 forms x this many posts, each with two whole-database prints, in the time budget.
EXAMPLES = int(__import__("os").environ.get("BADINPUT_EXAMPLES", "12"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _model(label: str):
    return apps.get_model(label)


def _ids(label: str):
    return lambda own: hs.model_ids(_model(label))


def _choice(*values: str):
    return lambda own: st.one_of(st.sampled_from(values), hs.texts(20))


def _formset(prefix: str, form_class: type[forms.Form]):
    """Management form and up to three sub-forms of an inline formset, with junk counts too."""

    def build(own: Side) -> dict[str, st.SearchStrategy]:
        counts = st.one_of(st.sampled_from(["0", "1", "2", "3"]), hs.numbers())
        strategies: dict[str, st.SearchStrategy] = {
            f"{prefix}-TOTAL_FORMS": counts,
            f"{prefix}-INITIAL_FORMS": st.one_of(st.just("0"), hs.numbers()),
            f"{prefix}-MIN_NUM_FORMS": st.just("0"),
            f"{prefix}-MAX_NUM_FORMS": st.just("1000"),
        }
        for i in range(3):
            for name, f in form_class.base_fields.items():
                strategies[f"{prefix}-{i}-{name}"] = hs.value_for(f)
        return strategies

    return build


def _criteria(own: Side) -> dict[str, st.SearchStrategy]:
    """A review's per-criterion fields (``result-<id>``, ``note-``, ``link-``, ``file-``) for some criteria."""
    ids = list(_model("projects.QualityCriterion").objects.values_list("pk", flat=True)[:3])
    results = st.one_of(st.sampled_from(["pass", "fail", "passed", "failed", "n/a", "na", ""]), hs.texts(20))
    strategies: dict[str, st.SearchStrategy] = {"summary": hs.texts()}
    for pk in ids:
        strategies[f"result-{pk}"] = results
        strategies[f"note-{pk}"] = hs.texts()
        strategies[f"link-{pk}"] = st.one_of(st.just("https://example.com/e"), hs.texts(60))
        strategies[f"file-{pk}"] = st.one_of(hs.uploads(), st.just(hs.MISSING))
    return strategies


def _timesheet_cells(own: Side) -> dict[str, st.SearchStrategy]:
    """Cells of the timesheet grid (``h-<project id>-<YYYYMMDD>``, and ``was-h-...``, the hours it showed) of this
    week: the member's projects and others."""
    monday = week_start(today())
    ids = list(_model("projects.Project").objects.values_list("pk", flat=True)[:3])
    strategies: dict[str, st.SearchStrategy] = {}
    for pk in ids:
        for offset in (0, 2, 6):
            day = monday + dt.timedelta(days=offset)
            strategies[f"h-{pk}-{day:%Y%m%d}"] = st.one_of(
                st.sampled_from(["", "0", "7.5", "0.1", "24", "25", "-1", "1e3", "NaN"]), hs.numbers(), hs.texts(8)
            )
            # The hours the cell showed when the page was loaded (hidden; a stale or forged value is refused).
            strategies[f"was-h-{pk}-{day:%Y%m%d}"] = st.one_of(
                st.sampled_from(["", "0", "3", "25", "-1", "NaN"]), hs.numbers(), hs.texts(8), st.just(hs.MISSING)
            )
    return strategies


@dataclass(frozen=True)
class Target:
    """Who posts to a URL and what: the fields of ``forms`` plus ``more`` (built from the own side)."""

    role: str | None  # None: an anonymous visitor
    forms: tuple[type[forms.BaseForm], ...] = ()
    more: Any = None  # (own: Side) -> {field name: strategy}
    overrides: dict[str, Any] = field(default_factory=dict)  # field name -> (own) -> strategy


_PROJECT_CODES = lambda own: st.one_of(  # noqa: E731
    st.sampled_from(list(_model("projects.Project").objects.values_list("code", flat=True))), hs.texts(20)
)

#: Every URL that accepts POST: who posts and which form classes' fields. Admin URLs are tested in
#: test_imports.py (the import-export forms) and tests/apm/test_admin_site.py.
TARGETS: dict[str, Target] = {
    "login": Target(None, (AuthenticationForm,)),
    "logout": Target("pm"),
    "accounts:invitation": Target(None, (SetPasswordForm,)),
    "projects:create": Target("pm", (project_forms.ProjectForm,)),
    "projects:edit": Target("pm", (project_forms.ProjectForm,)),
    "projects:template_use": Target("pm", (template_forms.ProjectFromTemplateForm,)),
    "projects:template_save": Target("pm", (template_forms.TemplateForm,)),
    "projects:template_edit": Target("admin", (template_forms.TemplateForm,)),
    "projects:template_delete": Target("admin"),
    "projects:update": Target("pm", (update_forms.StatusUpdateForm,), more=lambda own: {"as_of": hs.dates()}),
    "projects:role_create": Target("pm", (OpenRoleForm,), more=_formset("skills", RequirementFormSet.form)),
    "projects:role_assign": Target(
        "pm",
        more=lambda own: {
            "member": hs.value_for(forms.ModelChoiceField(_model("teams.TeamMember").objects.all())),
            "status": st.one_of(st.sampled_from(["confirmed", "tentative"]), hs.texts(20)),
            "allow_over": st.sampled_from(["1", "0", "", "yes"]),
            **{
                name: hs.value_for(f)
                for name, f in RoleBookingForm.base_fields.items()
                if name.endswith(("_week", "_date"))
            },
        },
    ),
    "projects:role_edit": Target("pm", (OpenRoleForm,), more=_formset("skills", RequirementFormSet.form)),
    "projects:role_close": Target("pm"),
    "projects:allocation_edit": Target(
        "pm", (AllocationForm,), more=lambda own: {"allow_over": st.sampled_from(["1", "0", "", "yes"])}
    ),
    "projects:allocation_cancel": Target("pm"),
    "projects:budget_line_add": Target("pm", (budget_forms.BudgetLineForm,)),
    "projects:budget_line_remove": Target("pm"),
    "projects:budget_settings": Target("pm", (budget_forms.BudgetSettingsForm,)),
    "projects:expense_add": Target("pm", (budget_forms.ExpenseForm,)),
    "projects:baseline_add": Target("pm", (budget_forms.BaselineForm,)),
    "projects:contingency_request": Target("pm", (budget_forms.ContingencyRequestForm,)),
    "projects:contingency_decide": Target("head", (budget_forms.ContingencyDecisionForm,)),
    "projects:exception_plan": Target("pm", (budget_forms.ExceptionPlanForm,)),
    "projects:exception_plan_decide": Target("head", (budget_forms.ExceptionPlanDecisionForm,)),
    "projects:timesheet": Target("member", more=_timesheet_cells),
    "projects:time_entry_add": Target(
        "member",
        (budget_forms.TimeEntryForm,),
        overrides={"project": _PROJECT_CODES, "task": _ids("projects.Task")},
    ),
    "projects:timesheet_submit": Target("member"),
    "projects:time_entry_remove": Target("member"),
    "projects:timesheet_timer": Target(
        "member",
        more=lambda own: {
            "action": _choice("start", "stop", "discard")(own),
            "project": st.one_of(_ids("projects.Project")(own), hs.texts(20)),
        },
    ),
    "projects:time_decide": Target(
        "pm",
        (budget_forms.TimeDecisionForm,),
        overrides={"entry": lambda own: st.lists(_ids("projects.TimeEntry")(own))},
    ),
    "projects:rates": Target(
        "admin",
        (billing_forms.BillRateForm, billing_forms.BillRateChangeForm),
        more=lambda own: {"action": st.one_of(_choice("add", "change")(own), st.just(hs.MISSING))},
        overrides={"job_role": _ids("teams.JobRole"), "client": _ids("projects.Client"), "project": _PROJECT_CODES},
    ),
    "projects:billing_settings": Target("pm", (billing_forms.ProjectBillingForm,)),
    "projects:billing_milestone_add": Target(
        "pm", (billing_forms.BillingMilestoneForm,), overrides={"deliverable": _ids("projects.Deliverable")}
    ),
    "projects:billing_milestone_remove": Target("pm"),
    "projects:client_target": Target("admin", (billing_forms.ClientTargetForm,)),
    "projects:invoice_create": Target(
        "admin", (invoice_forms.InvoiceDraftForm,), overrides={"client": _ids("projects.Client")}
    ),
    "projects:invoice_line_add": Target("admin", (invoice_forms.InvoiceLineForm,)),
    "projects:invoice_line": Target("admin", (invoice_forms.InvoiceLineForm,)),
    "projects:invoice_line_remove": Target("admin"),
    "projects:invoice_issue": Target("admin", (invoice_forms.InvoiceIssueForm,)),
    "projects:invoice_paid": Target("admin", (invoice_forms.InvoicePaidForm,)),
    "projects:invoice_credit": Target("admin", (invoice_forms.InvoiceCreditForm,)),
    "projects:invoice_send": Target("admin"),
    "projects:invoice_send_retry": Target("admin"),
    "projects:invoice_discard": Target("admin"),
    "projects:deliverable_create": Target("pm", (delivery_forms.DeliverableForm,)),
    "projects:deliverable_edit": Target("pm", (delivery_forms.DeliverableForm,)),
    "projects:deliverable_move": Target("pm", (delivery_forms.MoveForm,)),
    "projects:task_create": Target(
        "member",
        (planning_forms.TaskForm,),
        overrides={
            "deliverable": _ids("projects.Deliverable"),
            "assignees": lambda own: st.lists(_ids("teams.TeamMember")(own)),
            "depends_on": lambda own: st.lists(_ids("projects.Task")(own)),
        },
    ),
    "projects:task_edit": Target(
        "member",
        (planning_forms.TaskForm,),
        overrides={
            "deliverable": _ids("projects.Deliverable"),
            "assignees": lambda own: st.lists(_ids("teams.TeamMember")(own)),
            "depends_on": lambda own: st.lists(_ids("projects.Task")(own)),
        },
    ),
    "projects:task_move": Target("member", (planning_forms.MoveForm,)),
    "projects:task_reorder": Target("member", (planning_forms.ReorderForm,)),
    "projects:task_place": Target("member", (planning_forms.PlaceForm,)),
    "projects:task_checklist_add": Target("member", (planning_forms.ChecklistItemForm,)),
    "projects:task_checklist_tick": Target("member", (planning_forms.TickForm,)),
    "projects:task_checklist_remove": Target("member"),
    "projects:task_delete": Target("member"),
    "projects:task_import": Target("member", (plan_import_forms.PlanUploadForm,)),
    "projects:task_import_confirm": Target("member", (plan_import_forms.PlanConfirmForm,)),
    "projects:plan_task_dates": Target("member", (planning_forms.PlanDatesForm,)),
    "projects:plan_deliverable_dates": Target("pm", (planning_forms.PlanDeliverableDatesForm,)),
    "projects:plan_undo": Target("member", (planning_forms.PlanUndoForm,)),
    "projects:schedule_baseline": Target("pm", (delivery_forms.BaselineForm,)),
    "projects:quality": Target("pm", (quality_forms.StandardsForm,)),
    "projects:review_create": Target("pm", more=_criteria),
    "projects:nc_action": Target("pm", (quality_forms.NonConformanceForm,)),
    "projects:change_create": Target("pm", (change_forms.ChangeRequestForm,)),
    "projects:change_action": Target("pm", (change_forms.ChangeActionForm,)),
    "projects:raid_create": Target(
        "pm", (raid_forms.RaidItemForm,), more=lambda own: {"kind": _choice("risk", "issue", "assumption")(own)}
    ),
    "projects:raid_item": Target("pm", (raid_forms.RaidItemForm,)),
    "projects:raid_action": Target(
        "pm", (raid_forms.RaidActionForm,), more=lambda own: {"next": st.sampled_from(["log", "", "x"])}
    ),
    "projects:document_create": Target("pm", (document_forms.DocumentForm,)),
    "projects:document_edit": Target("pm", (document_forms.DocumentDetailsForm,)),
    "projects:document_status": Target("pm", (document_forms.StatusForm,)),
    "projects:document_version_add": Target("pm", (document_forms.VersionForm,)),
    "projects:clause_create": Target("pm", (document_forms.NewClauseForm,)),
    "projects:clause_evidence": Target("pm", (document_forms.EvidenceForm,)),
    "projects:clause_period_met": Target("pm", (document_forms.PeriodMetForm,)),
    "projects:clause_propose": Target("pm", (document_forms.ProposalForm,)),
    "projects:proposal_decide": Target("head", (document_forms.DecisionForm,)),
    "projects:correspondence_create": Target("pm", (correspondence_forms.CorrespondenceForm,)),
    "projects:correspondence_status": Target("pm", (correspondence_forms.CorrespondenceStatusForm,)),
    "projects:correspondence_attach": Target("pm", (correspondence_forms.AttachmentForm,)),
    "projects:comment_add": Target("member", (conversation_forms.CommentForm,)),
    "projects:comment_edit": Target("pm", (conversation_forms.CommentEditForm,)),
    "projects:comment_delete": Target("pm"),
    "portal:comment_add": Target("client", (conversation_forms.CommentForm,)),
    "projects:letter_create": Target("pm", (correspondence_forms.LetterForm,)),
    "portal:sign_off": Target("client", (portal_forms.DecisionForm,)),
    "portal:decide": Target("client", (portal_forms.DecisionForm,)),
    "portal:access": Target("pm", (portal_forms.ShareLinkForm,)),
    "portal:share_revoke": Target("pm"),
    "portal:invite": Target("pm"),
    "portal:contact_add": Target("pm", (portal_forms.ContactForm,)),
    "projects:chat": Target("pm", (chat_forms.ChatHookForm,)),
    "projects:chat_hook": Target("pm", (chat_forms.ChatHookForm,)),
    "projects:chat_hook_test": Target("pm"),
    "projects:chat_retry": Target("pm"),
    "projects:chat_hook_remove": Target("pm"),
    "reports:project_send": Target(
        "pm",
        more=lambda own: {
            "kind": _choice("highlight", "portfolio", "quality")(own),
            "audience": _choice("internal", "client")(own),
        },
    ),
    "reports:department_send": Target(
        "head",
        more=lambda own: {
            "kind": _choice("highlight", "portfolio", "quality")(own),
            "audience": _choice("internal", "client")(own),
        },
    ),
    "reports:schedule_create": Target("pm", (ReportScheduleForm,)),
    "reports:schedule_edit": Target("pm", (ReportScheduleForm,)),
    "reports:schedule_toggle": Target("pm"),
    "reports:schedule_recipient_resume": Target("pm", more=lambda own: {"address": hs.texts(60)}),
    "reports:schedule_send": Target("pm"),
    "reports:outbox_resend": Target("pm"),
    "imports:index": Target("head", (import_forms.UploadForm,)),
    "imports:map": Target(
        "head",
        (import_forms.MappingForm,),
        more=lambda own: {
            f"column_{i}": st.one_of(st.sampled_from(["", *TARGETS_BY_KEY]), hs.texts(20)) for i in range(3)
        },
    ),
    "imports:confirm": Target("head"),
    "notifications:preferences": Target(
        "pm",
        more=lambda own: {
            kind: st.one_of(st.sampled_from(NotificationChannel.values), hs.texts(20), st.just(hs.MISSING))
            for kind in NotificationKind.values
        },
    ),
    "notifications:read": Target("pm", more=lambda own: {"page": hs.texts(20)}),
    "notifications:read_all": Target("pm", more=lambda own: {"page": hs.texts(20)}),
    "api-tokens": Target(
        "pm", (api_forms.TokenForm,), overrides={"projects": lambda own: st.lists(_ids("projects.Project")(own))}
    ),
    "api-token-revoke": Target("pm"),
}

#: Rows that may change even when a request is refused, and why.
REFUSAL_MAY_WRITE: dict[str, set[str]] = {
    # A failed login is audited (and counted by django-axes, whose tables the print leaves out).
    "login": {"accounts.AuditEvent"},
}


def _view_accepts_post(route: Route) -> bool:
    """Whether the view of ``route`` reads POST data: by its source and that of the helpers it hands the request."""
    from django.urls import resolve

    view = resolve(url_for(route, fill(route, _DUMMY) or {})).func
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    function = inspect.unwrap(view)
    source = inspect.getsource(function)
    # One level of helpers called with the request (``_save(request, ...)``), from the view's module.
    for helper_name in re.findall(r"(\w+)\(\s*request\b", source):
        helper = function.__globals__.get(helper_name)
        if inspect.isfunction(helper):
            source += inspect.getsource(helper)
    return any(marker in source for marker in ("request.POST", "request.FILES", "require_POST"))


class _DummySide:
    """Fills every URL argument with ``1`` (enough to resolve a path to its view)."""

    project = department = contact = None
    objects: dict = {}

    def value(self, key: str) -> str:
        return "ALPHA-1" if key in ("project_code", "department_code") else ("html" if key == "html" else "1")


_DUMMY = _DummySide()


def post_routes() -> list[str]:
    """Names of the non-admin URLs whose views accept POST."""
    return sorted(
        route.name
        for route in all_routes()
        if not route.name.startswith("admin:") and fill(route, _DUMMY) is not None and _view_accepts_post(route)
    )


def test_it_knows_every_url_that_accepts_post():
    found = set(post_routes())
    assert found - set(TARGETS) == set(), "Add these POST URLs to TARGETS in tests/badinput/test_forms.py"
    assert set(TARGETS) - found == set(), "These TARGETS no longer accept POST (or were renamed): remove them"


# --- The property -------------------------------------------------------------------------


def _is_refusal(response) -> bool:
    if 400 <= response.status_code < 500:
        return True
    context = response.context
    if context is not None:
        for key in ("form", "formset"):
            try:
                candidate = context[key]
            except KeyError:
                continue
            if getattr(candidate, "is_bound", False) and candidate.errors and any(candidate.errors):
                return True
    stored = getattr(response.wsgi_request, "_messages", None)
    return stored is not None and any(m.level >= message_levels.ERROR for m in stored)


def assert_whole(diff: dict[str, dict[str, Any]]) -> None:
    """Every added row passes full_clean(), and every changed row on the columns that changed.

    (Rows of the test world may lack what a form would give them, e.g. an author: only what the
    request wrote is judged.) Historical rows of simple-history are copies and are skipped.
    """
    problems = []
    for label, rows in diff.items():
        model = apps.get_model(label)
        if model.__name__.startswith("Historical"):
            continue
        for obj in model._default_manager.filter(pk__in=[*rows["added"], *rows["changed"]]):
            try:
                obj.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                errors = exc.message_dict
                if obj.pk in rows["changed"]:
                    written = set(rows["changed"][obj.pk])
                    errors = {k: v for k, v in errors.items() if k in written or k == NON_FIELD_ERRORS}
                if errors:
                    problems.append(f"{label} {obj.pk}: {errors}")
    assert problems == [], problems


def _fields(target: Target, own: Side) -> dict[str, st.SearchStrategy]:
    strategies: dict[str, st.SearchStrategy] = {}
    for form_class in target.forms:
        for name, f in form_class.base_fields.items():
            key = f"{form_class.prefix}-{name}" if form_class.prefix else name  # a form's own prefix, if it has one
            if name in target.overrides:
                strategies[key] = st.one_of(target.overrides[name](own), st.just(hs.MISSING))
            else:
                strategies[key] = hs.value_for(f)
    if target.more is not None:
        strategies.update(target.more(own))
    return strategies


def _route(name: str) -> Route:
    return next(route for route in all_routes() if route.name == name)


def post_once(client, url: str, data: dict) -> tuple[Any, dict]:
    """POST ``data`` to ``url``; return the response and the rows it changed. Files are rewound first."""
    for value in data.values():
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "seek"):
                item.seek(0)
    # Only this request's messages decide whether it was refused: drop what earlier examples left.
    client.cookies.pop("messages", None)
    if client.session.get("_messages") is not None:
        session = client.session
        del session["_messages"]
        session.save()
    before = row_prints()
    response = client.post(url, data)
    return response, changed_rows(before, row_prints())


@pytest.mark.parametrize("name", sorted(TARGETS))
@SETTINGS
@given(data=st.data())
def test_it_refuses_bad_input_cleanly(client, sides, users, name, data):
    own, _other = sides
    target = TARGETS[name]
    route = _route(name)
    url = url_for(route, fill(route, own) or {})
    if target.role is not None:
        client.force_login(users[target.role])
    else:
        client.logout()
    post = data.draw(hs.post_data({}, _fields(target, own)), label="post")
    response, diff = post_once(client, url, post)
    assert response.status_code < 500, response.status_code
    if _is_refusal(response):
        allowed = REFUSAL_MAY_WRITE.get(name, set())
        assert {label for label in diff if label not in allowed} == set(), (response.status_code, diff)
    else:
        assert_whole(diff)
