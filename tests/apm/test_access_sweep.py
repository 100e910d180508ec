"""The access sweep: every URL of the project, as every role, against its own and another's objects.

The URL patterns are found by walking the resolver, so a new view is swept
without editing this file. Each pattern's arguments are filled from a world
with two sides: "own" (department ALPHA, client Acme, project ALPHA-1: the
role users' side) and "other" (department BETA, client Globex, BETA-1).

* Positive control: the user's own object answers as :data:`OWN_EXPECTED`
  says (default: 200, or the form's redirect).
* The same URL with the other side's objects, and with the own project's
  code but the other side's object id, answers exactly 404 on GET and on
  POST, and no row of any table changes (:func:`fingerprint`). The one
  allowance: a POST-only view may answer GET with 405 when it does so for
  the own object too (the method is refused before any lookup, so the answer
  says nothing about the object).
* A client contact sees no internal figure on any page it can open: the
  world's money and rates are sentinel figures, searched for with separators
  stripped.

A URL whose arguments the sweep cannot fill fails :func:`test_it_can_fill_every_url`:
teach it in :data:`ARGUMENTS` (which object of a side fills which argument).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db.models import Count, Max
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apm.accounts.models import Role
from apm.outbox.models import OutboundEmail
from projects.models import ContingencyRequest, Expense, StatusUpdate
from projects.portal.services import share_link_create
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("admin", "head", "pm", "member", "client")


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
    "reports:schedule_edit": {"pk": "schedule"},
    "reports:schedule_toggle": {"pk": "schedule"},
    "reports:schedule_send": {"pk": "schedule"},
    "reports:schedule_preview": {"pk": "schedule", "fmt": "html"},
    "reports:outbox_resend": {"pk": "delivery"},
    "projects:expense_receipt": {"pk": "expense"},
    "projects:contingency_decide": {"pk": "contingency"},
    "projects:role_suggestions": {"role_id": "open_role"},
    "projects:role_assign": {"role_id": "open_role"},
    "staffing:person": {"pk": "person"},
    "portal:report_pdf": {"pk": "client_report"},
    "portal:sign_off": {"pk": "deliverable"},
    "portal:decide": {"pk": "change_request"},
    "portal:share_revoke": {"pk": "share_link"},
    "portal:invite": {"pk": "contact"},
    "portal:shared": {"token": "share_token"},
    "portal:shared_report_pdf": {"token": "share_token", "pk": "client_report"},
    "accounts:invitation": {"token": "invitation_token"},
    # Deliverables, quality, changes and RAID (issue 5).
    "projects:deliverable": {"pk": "deliverable"},
    "projects:deliverable_edit": {"pk": "deliverable"},
    "projects:deliverable_move": {"pk": "deliverable"},
    "projects:review_create": {"pk": "deliverable"},
    "projects:evidence": {"pk": "review_check"},
    "projects:nc_action": {"pk": "non_conformance"},
    "projects:change": {"number": "change_number"},
    "projects:change_action": {"number": "change_number"},
    "projects:raid_item": {"pk": "raid_item"},
    "projects:raid_action": {"pk": "raid_item"},
    # Documents, clauses, correspondence and letters (issue 6).
    "projects:document": {"pk": "document"},
    "projects:document_edit": {"pk": "document"},
    "projects:document_status": {"pk": "document"},
    "projects:document_version_add": {"pk": "document"},
    "projects:document_download": {"pk": "document"},
    "projects:version_download": {"pk": "document_version"},
    "projects:clause": {"pk": "clause"},
    "projects:clause_evidence": {"pk": "clause"},
    "projects:clause_propose": {"pk": "clause"},
    "projects:proposal_decide": {"pk": "clause_proposal"},
    "projects:correspondence_entry": {"pk": "correspondence"},
    "projects:correspondence_status": {"pk": "correspondence"},
    "projects:correspondence_attach": {"pk": "correspondence"},
    "projects:correspondence_file": {"pk": "correspondence_file"},
}
#: Defaults for argument names not listed for a URL.
DEFAULT_ARGUMENTS = {"code": "project_code", "dept": "department_code"}

#: The Django admin is for administrators only (apm/admin_site.py): every other role is sent to its
#: login page, whatever the arguments; its ModelAdmins are tested in tests/apm/test_admin.py.
ADMIN_NAMESPACE = "admin"
ADMIN_FILL = {"app_label": "projects", "object_id": "1", "content_type_id": "1", "url": "x"}

#: URLs that change the session itself: GET only (POSTing them would log the sweeping user out).
GET_ONLY = {"logout"}

#: Own-object answers other than 200 or the form's redirect (302), by url and role: the access rule in
#: one table. 404 = the role may not see this page at all; 403 = it sees the object but may not do
#: this. Roles not listed for a URL get 200 or 302. (The timesheet is for people with a TeamMember
#: record; department pages for heads of that department; client decisions for client contacts.)
OWN_EXPECTED: dict[str, dict[str, int]] = {
    "portal:access": {"client": 404, "member": 404},
    "portal:decide": {"admin": 403, "head": 403, "member": 403, "pm": 403},
    "portal:invite": {"client": 404, "member": 404},
    "portal:share_revoke": {"client": 404, "member": 404},
    "portal:sign_off": {"admin": 403, "head": 403, "member": 403, "pm": 403},
    "projects:baseline_add": {"client": 404, "head": 403, "member": 404},
    "projects:budget": {"client": 404, "member": 404},
    "projects:budget_line_add": {"client": 404, "head": 403, "member": 404},
    "projects:budget_settings": {"client": 404, "head": 403, "member": 404},
    "projects:change": {"client": 404},
    "projects:change_action": {"client": 404},
    "projects:change_create": {"client": 404},
    "projects:changes": {"client": 404},
    "projects:contingency_decide": {"client": 404, "member": 404},
    "projects:contingency_request": {"client": 404, "head": 403, "member": 404},
    "projects:create": {"client": 403, "member": 403},
    "projects:deliverable": {"client": 404},
    "projects:deliverable_create": {"client": 404, "member": 404},
    "projects:deliverable_edit": {"client": 404, "member": 404},
    "projects:deliverable_move": {"client": 404},
    "projects:deliverables": {"client": 404},
    "projects:department_budget": {"client": 404, "member": 404, "pm": 404},
    "projects:edit": {"client": 404, "member": 404},
    "projects:evidence": {"client": 404},
    "projects:expense_add": {"client": 404, "head": 403, "member": 404},
    "projects:expense_receipt": {"client": 404, "member": 404},
    "projects:nc_action": {"client": 404},
    "projects:quality": {"client": 404},
    "projects:raid": {"client": 404},
    "projects:raid_action": {"client": 404},
    "projects:raid_create": {"client": 404},
    "projects:raid_item": {"client": 404},
    "projects:review_create": {"client": 404},
    "projects:role_assign": {"client": 404, "member": 404},
    "projects:role_create": {"client": 404, "member": 404},
    "projects:role_suggestions": {"client": 404, "member": 404},
    "projects:schedule_baseline": {"client": 404},
    "projects:team": {"client": 404},
    "projects:timesheet": {"admin": 404, "client": 404, "head": 404, "pm": 404},
    "projects:update": {"client": 404, "member": 404},
    # Documents (issue 6): internal pages; a client downloads only documents shared with the client (the
    # sweep's document is one); writes are for those who manage the project.
    "projects:desk": {"client": 404},
    "projects:department_compliance": {"client": 404, "member": 404, "pm": 404},
    "projects:documents": {"client": 404},
    "projects:document_create": {"client": 404, "member": 404},
    "projects:document": {"client": 404},
    "projects:document_edit": {"client": 404, "member": 404},
    "projects:document_status": {"client": 404, "member": 404},
    "projects:document_version_add": {"client": 404, "member": 404},
    "projects:version_download": {"client": 404},
    "projects:clauses": {"client": 404},
    "projects:clause_create": {"client": 404, "member": 404},
    "projects:clause": {"client": 404},
    "projects:clause_evidence": {"client": 404, "member": 404},
    "projects:clause_propose": {"client": 404, "member": 404},
    "projects:proposal_decide": {"client": 404},
    "projects:compliance": {"client": 404},
    "projects:correspondence": {"client": 404},
    "projects:correspondence_create": {"client": 404, "member": 404},
    "projects:correspondence_entry": {"client": 404},
    "projects:correspondence_status": {"client": 404, "member": 404},
    "projects:correspondence_attach": {"client": 404, "member": 404},
    "projects:correspondence_file": {"client": 404},
    "projects:letter_create": {"client": 404, "member": 404},
    "reports:department": {"client": 404, "member": 404, "pm": 404},
    "reports:department_send": {"client": 404, "member": 404, "pm": 404},
    "reports:outbox": {"client": 404, "member": 404},
    "reports:outbox_resend": {"client": 404, "member": 404},
    "reports:project_send": {"client": 403, "member": 403},
    "reports:schedule_create": {"client": 404, "member": 404},
    "reports:schedule_edit": {"client": 404, "member": 404},
    "reports:schedule_preview": {"client": 404, "member": 404},
    "reports:schedule_send": {"client": 404, "member": 404},
    "reports:schedule_toggle": {"client": 404, "member": 404},
    "reports:schedules": {"client": 404, "member": 404},
    # Health (issue 9): answers every role and anonymous callers alike; the sweep's world has no
    # beat, so the beat check fails and /health/ answers 503 (tests/apm/test_health.py covers 200).
    "health:status": dict.fromkeys(ROLES, 503),
    "staffing:capacity": {"client": 404},
    "staffing:person": {"client": 404},
    "teams:matrix": {"client": 404},
}

#: (url, role) where the other side's object is visible by design, with the reason.
NOT_SCOPED: dict[tuple[str, str], str] = {
    ("staffing:person", "pm"): "PMs search the whole pool of people to staff projects (apm.access.see_member)",
    ("portal:shared", "*"): "a share link opens for anyone who has it: the other side's live link is tested dead below",
    ("portal:shared_report_pdf", "*"): "as portal:shared",
    ("accounts:invitation", "*"): "an invitation link opens for anyone who has it; a used one is the other side",
}

#: Figures no client may ever see (money, rates): every one is put in the world below.
SENTINELS = {
    "bac": Decimal("987654321.00"),
    "budget_period": Decimal("918273645.00"),
    "forecast_period": Decimal("827364519.00"),
    "whole_life_cost": Decimal("736451928.00"),
    "budget_line": Decimal("645192837.00"),
    "expense": Decimal("51928374.00"),
    "contingency": Decimal("41827365.00"),
    "cost_impact": Decimal("31415926.00"),
    "cost_rate": Decimal("8642.97"),
    "bill_rate": Decimal("9753.19"),
}


@dataclass
class Side:
    project: Any
    department: Any
    contact: Any
    objects: dict[str, Any]

    def value(self, key: str) -> str:
        if key in ("html",):
            return key
        if key == "project_code":
            return self.project.code
        if key == "department_code":
            return self.department.code
        obj = self.objects[key]
        return obj if isinstance(obj, str) else str(obj.pk)


def _report(project, *, audience: str):
    report_model = apps.get_model("reports", "Report")
    now = timezone.now()
    report = report_model.objects.create(
        kind="highlight",
        audience=audience,
        scope="project",
        project=project,
        title=f"{project.code} {audience} report",
        scheduled_for=now,
        period_end=dt.date(2025, 3, 31),
        status="rendered",
        queued_at=now,
        rendered_at=now,
        snapshot={"title": "x"},
    )
    report.pdf.save(f"{project.code}-{audience}.pdf", ContentFile(b"%PDF-1.4\n%sweep\n"), save=True)
    return report


def _quality_objects(project, *, reviewer) -> dict[str, Any]:
    """A reviewed deliverable with an evidence file and an open non-conformance, and a RAID item."""
    deliverable = factories.DeliverableFactory(project=project, name=f"{project.code} reviewed", status="in_progress")
    criterion = factories.QualityCriterionFactory()
    review = apps.get_model("projects", "QualityReview").objects.create(
        deliverable=deliverable, reviewer=reviewer, completed_at=timezone.now(), outcome="failed"
    )
    check = apps.get_model("projects", "ReviewCheck").objects.create(
        review=review,
        criterion=criterion,
        result="failed",
        evidence_name="e.pdf",
        evidence_content_type="application/pdf",
    )
    check.evidence_file.save("e.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    non_conformance = apps.get_model("projects", "NonConformance").objects.create(
        deliverable=deliverable, review_check=check, title="Fails criterion", opened_at=timezone.now()
    )
    return {
        "review_check": check,
        "non_conformance": non_conformance,
        "raid_item": factories.RaidItemFactory(project=project),
    }


def _document_objects(project, *, pm) -> dict[str, Any]:
    """A document shared with the client (approved), an obligation with a pending proposal, a logged letter."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.documents import services as document_services

    def pdf() -> SimpleUploadedFile:
        return SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%sweep\n", content_type="application/pdf")

    document = document_services.document_create(
        project=project, user=pm, kind="sow", title=f"{project.code} SOW", upload=pdf(), visibility="client"
    )
    for status in ("under_review", "approved"):
        document_services.document_set_status(document=document, user=pm, status=status)
    clause = document_services.clause_create(
        project=project,
        user=pm,
        number="1.1",
        title="Permits",
        text="Hold the permits.",
        evidence="document",
        evidence_document_kind="permit",
    )
    proposal = document_services.clause_proposal_create(clause=clause, user=pm, text="Hold all permits.", reason="r")
    entry = document_services.correspondence_log(
        project=project,
        user=pm,
        direction="in",
        channel="letter",
        date=dt.date(2025, 3, 3),
        counterpart_kind="authority",
        counterpart_organisation="Council",
        subject="Permit",
        uploads=[pdf()],
    )
    return {
        "document": document,
        "document_version": document.versions.get(),
        "clause": clause,
        "clause_proposal": proposal,
        "correspondence": entry,
        "correspondence_file": entry.attachments.get(),
    }


def _side(world, *, key: str, contact, pm, person) -> Side:
    project = world[f"{key}_project"]
    department = world[key]
    now = timezone.now()
    project.bac = SENTINELS["bac"]
    project.save(update_fields=["bac"])
    StatusUpdate.objects.create(
        project=project,
        as_of=dt.date(2025, 3, 31),
        rag="amber",
        rating_published="Amber",
        percent_complete=Decimal("40"),
        commentary_overall="Going well.",
        budget_period=SENTINELS["budget_period"],
        forecast_period=SENTINELS["forecast_period"],
        whole_life_cost=SENTINELS["whole_life_cost"],
    )
    factories.MilestoneFactory(project=project, name=f"{key} milestone")
    apps.get_model("projects", "BudgetLine").objects.create(
        project=project, category="labour", amount=SENTINELS["budget_line"]
    )
    apps.get_model("teams", "MemberRate").objects.create(
        member=person,
        cost_rate=SENTINELS["cost_rate"],
        bill_rate=SENTINELS["bill_rate"],
        valid_from=dt.date(2024, 1, 1),
    )
    client_report = _report(project, audience="client")
    internal_report = _report(project, audience="internal")
    schedule = factories.ReportScheduleFactory(
        kind="highlight", scope="project", project=project, department=None, audience="internal"
    )
    email = OutboundEmail.objects.create(
        kind="report",
        message_id=f"<{key}@sweep>",
        from_email="a@example.com",
        to=["x@example.com"],
        subject="s",
        body_text="b",
        queued_at=now,
        status="sent",
    )
    delivery = apps.get_model("reports", "Delivery").objects.create(
        report=internal_report, email_address="x@example.com", recipient_kind="extra", email=email
    )
    expense = Expense.objects.create(
        project=project,
        date=dt.date(2025, 3, 3),
        amount=SENTINELS["expense"],
        currency="GBP",
        category="travel",
        supplier="Rail",
        receipt_content_type="application/pdf",
        receipt_name="r.pdf",
    )
    expense.receipt.save("r.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    contingency = ContingencyRequest.objects.create(
        project=project,
        amount=SENTINELS["contingency"],
        category="labour",
        reason="r",
        requested_by=pm,
        requested_at=now,
    )
    deliverable = factories.DeliverableFactory(project=project, status="awaiting_sign_off")
    change_request = apps.get_model("projects", "ChangeRequest").objects.create(
        project=project,
        number=1 if key == "alpha" else 2,
        title=f"{key} change",
        description="d",
        reason="r",
        cost_impact=SENTINELS["cost_impact"],
        approvers="client",
        status="submitted",
        submitted_at=now,
    )
    link = share_link_create(project=project, user=pm, days=7)
    return Side(
        project=project,
        department=department,
        contact=contact,
        objects={
            "client_report": client_report,
            "internal_report": internal_report,
            "schedule": schedule,
            "delivery": delivery,
            "expense": expense,
            "contingency": contingency,
            "open_role": factories.OpenRoleFactory(project=project),
            "person": person,
            "deliverable": deliverable,
            "change_request": change_request,
            "share_link": link.link,
            "share_token": link.token,
            "contact": contact,
            "change_number": str(change_request.number),
            **_quality_objects(project, reviewer=pm),
            **_document_objects(project, pm=pm),
        },
    )


def _invitation_token(user, *, used: bool) -> str:
    from apm.accounts.models import Invitation
    from apm.accounts.services import new_token, token_hash

    token = new_token()
    Invitation.objects.create(
        user=user,
        token_hash=token_hash(token),
        expires_at=timezone.now() + dt.timedelta(days=1),
        used_at=timezone.now() if used else None,
    )
    return token


@pytest.fixture
def sides(world, pm, member, admin_user):
    acme_contact = world["acme"].contacts.get()
    globex_contact = world["globex"].contacts.get()
    own_person = world["alpha_project"].team_members.get()
    other_person = factories.TeamMemberFactory(name="Bea Beta", department=world["beta"])
    own = _side(world, key="alpha", contact=acme_contact, pm=pm, person=own_person)
    other = _side(world, key="beta", contact=globex_contact, pm=admin_user, person=other_person)
    invitee = factories.UserFactory(username="invitee", role=Role.CLIENT_CONTACT)
    own.objects["invitation_token"] = _invitation_token(invitee, used=False)
    other.objects["invitation_token"] = _invitation_token(invitee, used=True)
    # The other side's share link is revoked: a dead link must answer 404 to everyone.
    other.objects["share_link"].revoked_at = timezone.now()
    other.objects["share_link"].save(update_fields=["revoked_at"])
    return own, other


def fill(route: Route, side: Side) -> dict[str, str] | None:
    """The URL kwargs of ``route`` from ``side``, or None when some argument cannot be filled."""
    taught = ARGUMENTS.get(route.name, {})
    kwargs = {}
    for param in route.params:
        key = taught.get(param) or DEFAULT_ARGUMENTS.get(param)
        if key is None:
            return None
        kwargs[param] = side.value(key)
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
            kwargs[param] = own.value(key)
    return kwargs


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
}


def users_by_role(world, admin_user, head, pm, member, client_user):
    return {"admin": admin_user, "head": head, "pm": pm, "member": member, "client": client_user}


def _is_admin(route: Route) -> bool:
    return route.name.startswith(ADMIN_NAMESPACE + ":")


def _not_scoped(route: Route, role: str) -> bool:
    return (route.name, role) in NOT_SCOPED or (route.name, "*") in NOT_SCOPED


# --- The tests ---------------------------------------------------------------


def test_it_finds_the_urls_of_every_app():
    names = {route.name for route in all_routes()}
    for expected in ("projects:detail", "reports:pdf", "portal:project", "portal:shared", "staffing:person"):
        assert expected in names


def test_it_can_fill_every_url(sides):
    own, other = sides
    unfilled = [
        route.pattern
        for route in all_routes()
        if not _is_admin(route) and route.params and (fill(route, own) is None or fill(route, other) is None)
    ]
    assert unfilled == [], f"Teach tests/apm/test_access_sweep.py ARGUMENTS how to fill: {unfilled}"


@pytest.mark.parametrize("role", ROLES)
def test_it_answers_404_for_the_other_sides_objects_and_changes_nothing(
    client, sides, role, world, admin_user, head, pm, member, client_user
):
    own, other = sides
    client.force_login(users_by_role(world, admin_user, head, pm, member, client_user)[role])
    client.raise_request_exception = False  # a 500 is a finding to list, not a crash of the sweep
    # A POST-only view answers GET with 405 before any lookup, for every object alike: that
    # tells nothing, so GET may answer 405 where the own object's GET does too.
    post_only = {
        route.name
        for route in all_routes()
        if route.params
        and not _is_admin(route)
        and fill(route, own) is not None
        and route.name not in ("portal:shared", "portal:shared_report_pdf", "accounts:invitation")
        and client.get(url_for(route, fill(route, own))).status_code == 405
    }
    # Well-formed data naming the user's own side where a form needs another object (a person to book).
    data = POST_DATA | {"member": str(own.objects["person"].pk)}
    before = fingerprint()
    failures = []
    for route in all_routes():
        if _is_admin(route) or not route.params:
            continue
        if role == "admin" and route.name not in ("portal:shared", "portal:shared_report_pdf", "accounts:invitation"):
            continue  # an administrator sees every object: there is no "other" side
        if fill(route, other) is None:
            failures.append(f"cannot fill {route.pattern}: teach ARGUMENTS")
            continue
        variants = [fill(route, other)]
        if not _not_scoped(route, role):
            variants.append(mixed(route, own, other))
        elif route.name not in ("portal:shared", "portal:shared_report_pdf", "accounts:invitation"):
            continue
        for kwargs in filter(None, variants):
            url = url_for(route, kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(url, data if method == "post" else None)
                if method == "get" and route.name in post_only and response.status_code == 405:
                    continue
                if response.status_code != 404:
                    failures.append(f"{method.upper()} {url} as {role}: {response.status_code}")
                after = fingerprint()
                if after != before:
                    changed = sorted(label for label in after if after[label] != before.get(label))
                    failures.append(f"{method.upper()} {url} as {role} changed {changed}")
                    before = after
    assert failures == []


def _own_status(client, url: str, data: dict[str, str]) -> tuple[str, int]:
    response = client.get(url)
    if response.status_code == 405:
        return "post", client.post(url, data).status_code
    return "get", response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_it_answers_the_own_side_as_the_role_allows(
    client, sides, role, world, admin_user, head, pm, member, client_user
):
    own, _other = sides
    client.force_login(users_by_role(world, admin_user, head, pm, member, client_user)[role])
    client.raise_request_exception = False  # a 500 is a finding to list, not a crash of the sweep
    failures = []
    answers = []
    # GET pages first, then the POST-only actions (they change the world).
    routes = [r for r in all_routes() if not _is_admin(r) and r.name not in GET_ONLY]
    for route in routes:
        kwargs = fill(route, own)
        url = url_for(route, kwargs)
        method, status = _own_status(client, url, POST_DATA | {"member": str(own.objects["person"].pk)})
        expected = {OWN_EXPECTED[route.name][role]} if role in OWN_EXPECTED.get(route.name, {}) else {200, 302}
        answers.append(f"{route.name} {role} {method} {status}")
        if status not in expected:
            failures.append(f"{method.upper()} {url} as {role}: {status}, expected {sorted(expected)}")
    assert failures == [], "\n".join(answers)


@pytest.mark.parametrize("role", ["head", "pm", "member", "client"])
def test_it_keeps_the_admin_to_administrators(client, role, world, admin_user, head, pm, member, client_user):
    client.force_login(users_by_role(world, admin_user, head, pm, member, client_user)[role])
    client.raise_request_exception = False  # a 500 is a finding to list, not a crash of the sweep
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


def test_it_lets_administrators_into_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).status_code == 200


def test_it_sends_anonymous_visitors_to_the_login_page(client, sides):
    own, _other = sides
    login_url = reverse("login")
    public = {"login", "portal:shared", "portal:shared_report_pdf", "accounts:invitation", "home"}
    public |= {"health:status", "health:web"}  # for load balancers: no login, no data (tests/apm/test_health.py)
    for route in all_routes():
        if _is_admin(route) or route.name in public or route.name in GET_ONLY:
            continue
        url = url_for(route, fill(route, own))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.url.startswith(login_url), (method, url, response.url)


def _digits(text: str) -> str:
    return re.sub(r"[,\s\u00a0\u202f'\u2019_]", "", text)


def test_it_shows_a_client_no_internal_figure_on_any_page(client, sides, client_user):
    own, _other = sides
    client.force_login(client_user)
    opened = []
    for route in all_routes():
        if _is_admin(route) or route.name in GET_ONLY:
            continue
        url = url_for(route, fill(route, own))
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        opened.append(url)
        page = _digits(response.content.decode())
        for name, figure in SENTINELS.items():
            whole = str(int(figure))
            assert whole not in page, f"{url} shows the {name} figure to a client"
    # The client could open its status page, the share page and its project page: the sweep looked.
    assert reverse("portal:project", args=[own.project.code]) in opened
    assert reverse("portal:shared", args=[own.objects["share_token"]]) in opened
    assert reverse("projects:detail", args=[own.project.code]) in opened
