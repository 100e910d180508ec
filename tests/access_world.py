"""A world of exactly the relationships of the README's table "Who may do what", for the access tests.

One project, ALPHA-1 (client Acme, department ALPHA), and one user per
relationship to it; a second project, GAMMA-1 (client Globex, department
GAMMA), that no one but the administrator stands in any relationship to, so
that its objects are "another's" for every other row. The person of the
member-capabilities is the team member's own person (department ALPHA, on
ALPHA-1's team).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apm.accounts.models import AuditEvent, AuditKind, Invitation, Role
from apm.accounts.services import new_token, token_hash
from projects.budget.evm import money
from projects.documents import services as document_services
from projects.models import (
    BudgetLine,
    ChangeRequest,
    Comment,
    CommentAttachment,
    ContingencyRequest,
    Expense,
    ImportJob,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    NonConformance,
    QualityReview,
    ReviewCheck,
    StatusUpdate,
    Task,
    TimeEntry,
)
from projects.portal.services import share_link_create
from reports.models import Delivery, Report
from reports.services import unsubscribe_token
from teams.models import MemberRate
from tests import factories
from tests.projects.steps import add_clause, log_letter

#: The rows of the README's table, in its order: (key, the words the README uses).
RELATIONSHIPS: tuple[tuple[str, str], ...] = (
    ("admin", "administrator"),
    ("head", "head of the project's department"),
    ("reporting_head", "head of another department, reporting head"),
    ("head_on_team", "head of another department, on the team"),
    ("pm", "the PM"),
    ("pm_on_team", "a PM only on the team"),
    ("member", "team member"),
    ("contact", "the client's contact"),
    ("other_contact", "another client's contact"),
    ("anonymous", "anonymous"),
)

#: Money and rates planted on both projects: no one without ``see_money`` (or the rates capability)
#: may find one of these on any page, fragment, PDF, email or export.
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
    """One project and the objects of it that URLs and capabilities name (by key)."""

    project: Any
    department: Any
    objects: dict[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> str:
        """A URL argument: a project or department code, a token, or an object's id."""
        if key == "html":
            return key
        if key == "project_code":
            return self.project.code
        if key == "department_code":
            return self.department.code
        obj = self.objects[key]
        return obj if isinstance(obj, str) else str(obj.pk)

    def subject(self, key: str) -> Any:
        """The object a capability is asked about: ``project``, ``department``, ``client`` (the project's) or an
        object key."""
        if key == "project":
            return self.project
        if key == "client":
            return self.project.client
        if key == "department":
            return self.department
        return self.objects[key]


@dataclass
class World:
    """The users by relationship key, and the two projects with their departments and clients."""

    users: dict[str, Any]
    project: Any
    department: Any
    person: Any
    other_project: Any
    other_department: Any
    own: Side | None = None
    other: Side | None = None


def build_world() -> World:
    """Create the world in the test database (needs ``db``)."""
    alpha = factories.DepartmentFactory(code="ALPHA", name="Alpha Department")
    beta = factories.DepartmentFactory(code="BETA", name="Beta Department")
    gamma = factories.DepartmentFactory(code="GAMMA", name="Gamma Department")
    acme = factories.ClientFactory(name="Acme")
    globex = factories.ClientFactory(name="Globex")

    def user(username: str, role: str, **extra: Any):
        return factories.UserFactory(username=username, role=role, **extra)

    users: dict[str, Any] = {
        "admin": user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
        "head": user("head", Role.DEPARTMENT_HEAD),
        "reporting_head": user("reporting_head", Role.DEPARTMENT_HEAD),
        "head_on_team": user("head_on_team", Role.DEPARTMENT_HEAD),
        "pm": user("pm", Role.PROJECT_MANAGER),
        "pm_on_team": user("pm_on_team", Role.PROJECT_MANAGER),
        "member": user("member", Role.TEAM_MEMBER),
        "contact": user("client", Role.CLIENT_CONTACT),
        "other_contact": user("other_client", Role.CLIENT_CONTACT),
        "anonymous": AnonymousUser(),
    }
    alpha.heads.add(users["head"])
    beta.heads.add(users["reporting_head"], users["head_on_team"])
    factories.ClientContactFactory(client=acme, name="Ann Client", email="ann@acme.example", user=users["contact"])
    factories.ClientContactFactory(
        client=globex, name="Gil Client", email="gil@globex.example", user=users["other_contact"]
    )
    project = factories.ProjectFactory(
        code="ALPHA-1",
        name="Alpha Project",
        client=acme,
        project_manager=users["pm"],
        departments=[alpha],
        bac=SENTINELS["bac"],
    )
    project.reporting_heads.add(users["reporting_head"])
    person = factories.TeamMemberFactory(name="Mo Member", user=users["member"], department=alpha)
    project.team_members.add(
        person,
        factories.TeamMemberFactory(name="Hal Head", user=users["head_on_team"], department=beta),
        factories.TeamMemberFactory(name="Pat Planner", user=users["pm_on_team"], department=beta),
    )
    other = factories.ProjectFactory(
        code="GAMMA-1", name="Gamma Project", client=globex, departments=[gamma], bac=SENTINELS["bac"]
    )
    return World(
        users=users,
        project=project,
        department=alpha,
        person=person,
        other_project=other,
        other_department=gamma,
    )


def rate_for(person: Any) -> None:
    """Give ``person`` the sentinel cost and bill rates."""
    MemberRate.objects.create(
        member=person,
        cost_rate=SENTINELS["cost_rate"],
        bill_rate=SENTINELS["bill_rate"],
        valid_from=dt.date(2024, 1, 1),
    )


def _report(project: Any, *, audience: str) -> Report:
    report = factories.ReportFactory(
        project=project,
        audience=audience,
        title=f"{project.code} {audience} report",
        rendered_at=timezone.now(),
        snapshot={"title": "x"},
    )
    report.pdf.save(f"{project.code}-{audience}.pdf", ContentFile(b"%PDF-1.4\n%sweep\n"), save=True)
    return report


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%sweep\n", content_type="application/pdf")


def _quality_objects(project: Any, *, reviewer: Any) -> dict[str, Any]:
    """A reviewed deliverable with an evidence file and an open non-conformance, and a RAID item."""
    deliverable = factories.DeliverableFactory(project=project, name=f"{project.code} reviewed", status="in_progress")
    criterion = factories.QualityCriterionFactory()
    review = QualityReview.objects.create(
        deliverable=deliverable, reviewer=reviewer, completed_at=timezone.now(), outcome="failed"
    )
    check = ReviewCheck.objects.create(
        review=review,
        criterion=criterion,
        result="failed",
        evidence_name="e.pdf",
        evidence_content_type="application/pdf",
    )
    check.evidence_file.save("e.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    non_conformance = NonConformance.objects.create(
        deliverable=deliverable, review_check=check, title="Fails criterion", opened_at=timezone.now()
    )
    return {
        "review_check": check,
        "non_conformance": non_conformance,
        "raid_item": factories.RaidItemFactory(project=project),
    }


def _comment_objects(deliverable: Any, *, pm: Any) -> dict[str, Any]:
    """An internal comment and a client-visible one on the deliverable (the client side shows it), the latter
    with a file; written as rows, so that building the world notifies nobody."""
    project = deliverable.project
    internal = Comment.objects.create(
        project=project, deliverable=deliverable, author=pm, body=f"{project.code} internal note", visibility="internal"
    )
    shared = Comment.objects.create(
        project=project, deliverable=deliverable, author=pm, body=f"{project.code} note for you", visibility="client"
    )
    attachment = CommentAttachment(comment=shared, original_name="notes.pdf", content_type="application/pdf", size=5)
    attachment.file.save("notes.pdf", _pdf(), save=True)
    return {
        "internal_comment": internal,
        "client_comment": shared,
        "comment_file": attachment,
        "comment_anchor": "deliverable",
    }


def _document_objects(project: Any, *, pm: Any) -> dict[str, Any]:
    """A document shared with the client (approved), an internal one, an obligation with a pending proposal,
    a logged letter."""
    document = document_services.document_create(
        project=project, user=pm, kind="sow", title=f"{project.code} SOW", upload=_pdf(), visibility="client"
    )
    for status in ("under_review", "approved"):
        document_services.document_set_status(document=document, user=pm, status=status)
    internal = document_services.document_create(
        project=project, user=pm, kind="minutes", title=f"{project.code} minutes", upload=_pdf()
    )
    clause = add_clause(
        project,
        pm,
        number="1.1",
        title="Permits",
        text="Hold the permits.",
        evidence="document",
        evidence_document_kind="permit",
    )
    proposal = document_services.clause_proposal_create(clause=clause, user=pm, text="Hold all permits.", reason="r")
    entry = log_letter(project, pm, counterpart_organisation="Council", subject="Permit", uploads=[_pdf()])
    return {
        "document": document,
        "internal_document": internal,
        "document_version": document.versions.get(),
        "clause": clause,
        "clause_proposal": proposal,
        "correspondence": entry,
        "correspondence_file": entry.attachments.get(),
    }


#: The hours of each side's issued invoice (ALPHA-1's, GAMMA-1's), so that their amounts differ: another client's
#: invoice figure is a leak, one's own is what one is billed.
INVOICED_HOURS = {1: Decimal("2.5"), 2: Decimal("4.25")}
#: The unit price of each side's draft: a figure no client may see (a draft is never shown to the client).
DRAFT_PRICE = Decimal("4817.36")


def _invoice(project: Any, *, number: int | None, hours: Decimal, price: Decimal) -> Invoice:
    """An invoice to the project's client of ``hours`` of time on it at ``price`` an hour, 20 % tax: issued as
    ``INV-2025-<number>`` on 1 Apr 2025 (written directly as issuing leaves it: numbered, the parties copied,
    nothing claimed), or a draft when ``number`` is None."""
    client = project.client
    invoice = Invoice.objects.create(
        client=client,
        currency="GBP",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        rates_on=dt.date(2025, 3, 31),
    )
    net = money(hours * price)
    tax = money(net * Decimal("0.2"))
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind="time",
        project=project,
        description=f"{project.code} {project.name}: time, March 2025",
        quantity=hours,
        unit="hours",
        unit_price=price,
        net=net,
        tax_rate=Decimal("20"),
        tax=tax,
        currency="GBP",
    )
    totals = {"net_total": net, "tax_total": tax, "gross_total": net + tax}
    if number is None:
        Invoice.objects.filter(pk=invoice.pk).update(**totals)
    else:
        InvoiceSequence.objects.update_or_create(
            kind="invoice", year=2025, defaults={"last_number": number, "last_issued_on": dt.date(2025, 4, 1)}
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            state="issued",
            number=f"INV-2025-{number:04d}",
            year=2025,
            sequence=number,
            issue_date=dt.date(2025, 4, 1),
            payment_terms_days=30,
            due_date=dt.date(2025, 5, 1),
            buyer_name=client.name,
            buyer_address="1 Sweep Street\nBristol",
            seller_name="APM Sweep Ltd",
            seller_address="2 Sweep Street\nBristol",
            **totals,
        )
    invoice.refresh_from_db()
    return invoice


def _invitation_token(user: Any, *, used: bool) -> str:
    token = new_token()
    Invitation.objects.create(
        user=user,
        token_hash=token_hash(token),
        expires_at=timezone.now() + dt.timedelta(days=1),
        used_at=timezone.now() if used else None,
    )
    return token


def populate_side(*, project: Any, department: Any, pm: Any, person: Any, contact: Any, number: int) -> Side:
    """The objects of one project the URLs name, with the sentinel money planted on it."""
    now = timezone.now()
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
    factories.MilestoneFactory(project=project, name=f"{project.code} milestone")
    BudgetLine.objects.create(project=project, category="labour", amount=SENTINELS["budget_line"])
    rate_for(person)
    internal_report = _report(project, audience="internal")
    owner = project.project_manager or pm
    internal_schedule = factories.ProjectReportScheduleFactory(project=project, created_by=owner)
    client_schedule = factories.ProjectReportScheduleFactory(
        project=project, audience="client", send_to_client_contacts=True, created_by=owner
    )
    email = factories.OutboundEmailFactory(kind="report", message_id=f"<{project.code}@sweep>", status="sent")
    delivery = Delivery.objects.create(
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
    change_request = ChangeRequest.objects.create(
        project=project,
        number=number,
        title=f"{project.code} change",
        description="d",
        reason="r",
        cost_impact=Decimal("0.00"),
        approvers="client",
        status="submitted",
        submitted_at=now,
    )
    # The cost is set by a later edit, so the change's history holds it as a change (old -> new).
    change_request.cost_impact = SENTINELS["cost_impact"]
    change_request.save(update_fields=["cost_impact"])
    link = share_link_create(project=project, user=pm, days=7)
    audit = AuditEvent.objects.create(kind=AuditKind.LOGIN, username="sweep", target=f"project:{project.code}")
    return Side(
        project=project,
        department=department,
        objects={
            "client_report": _report(project, audience="client"),
            "internal_report": internal_report,
            "schedule": internal_schedule,
            "internal_schedule": internal_schedule,
            "client_schedule": client_schedule,
            "delivery": delivery,
            "expense": expense,
            "contingency": contingency,
            "open_role": factories.OpenRoleFactory(project=project),
            "person": person,
            "deliverable": deliverable,
            "change_request": change_request,
            **_comment_objects(deliverable, pm=pm),
            "share_link": link.link,
            "share_token": link.token,
            "unsubscribe_token": unsubscribe_token(schedule_id=internal_schedule.pk, address="x@example.com"),
            "contact": contact,
            "change_number": str(change_request.number),
            "audit_event": audit,
            # An hour the side's person logged (the own side's is the member's): what change_own_time is about.
            "time_entry": TimeEntry.objects.create(
                member=person,
                project=project,
                date=dt.date(2025, 3, 4),
                hours=Decimal("1"),
                billable=False,
                cost_rate=SENTINELS["cost_rate"],
                cost=SENTINELS["cost_rate"],
                currency=project.currency,
            ),
            **_quality_objects(project, reviewer=pm),
            **_document_objects(project, pm=pm),
            # The client's invoices: one issued, billing the person's time at the planted bill rate (what the
            # client is billed), and a draft (nobody at the client sees it).
            "issued_invoice": _invoice(
                project, number=number, hours=INVOICED_HOURS[number], price=SENTINELS["bill_rate"]
            ),
            "draft_invoice": _invoice(project, number=None, hours=Decimal("1"), price=DRAFT_PRICE),
        },
    )


def populate(world: World) -> World:
    """Fill both projects with the objects the URLs name; the other side's share link and invitation are dead."""
    users = world.users
    world.own = populate_side(
        project=world.project,
        department=world.department,
        pm=users["pm"],
        person=world.person,
        contact=world.project.client.contacts.get(),
        number=1,
    )
    world.other = populate_side(
        project=world.other_project,
        department=world.other_department,
        pm=users["admin"],
        person=factories.TeamMemberFactory(name="Gus Gamma", department=world.other_department),
        contact=world.other_project.client.contacts.get(),
        number=2,
    )
    # Import jobs: the head's (own side) and the reporting head's (other side); presets are not per side.
    for side, owner in ((world.own, users["head"]), (world.other, users["reporting_head"])):
        job = ImportJob(owner=owner, original_name="portfolio.csv", size=31)
        job.file.save("portfolio.csv", ContentFile(b"Project,Department\nSweep,ALPHA\n"), save=True)
        side.objects["import_job"] = job
        side.objects["preset_key"] = "gmpp"
    invitee = factories.UserFactory(username="invitee", role=Role.CLIENT_CONTACT)
    world.own.objects["invitation_token"] = _invitation_token(invitee, used=False)
    world.other.objects["invitation_token"] = _invitation_token(invitee, used=True)
    # The other side's share link is revoked: a dead link must answer 404 to everyone.
    link = world.other.objects["share_link"]
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    return world


def furnish_pages(world: World) -> World:
    """Add what makes every part of the pages show: a risk of score 20 on ALPHA-1 (the heat map), an open
    critical issue (the banner) and two more status updates (the RAG strip)."""
    project = world.project
    factories.RaidItemFactory(project=project, title="Supplier may fold", probability=4, impact=5)
    factories.RaidItemFactory(
        project=project,
        kind="issue",
        title="Site flooded",
        severity="critical",
        probability=None,
        impact=None,
        ack_deadline=timezone.now() + dt.timedelta(hours=4),
    )
    for month in (1, 2):
        factories.StatusUpdateFactory(project=project, as_of=dt.date(2025, month, 28), rag="green")
    # The plan's chart with an arrow and a critical path: two dated tasks, the second after the first.
    brief = Task.objects.create(
        project=project, title="Brief", start_date=dt.date(2025, 3, 3), due_date=dt.date(2025, 3, 5)
    )
    build = Task.objects.create(
        project=project, title="Build", start_date=dt.date(2025, 3, 6), due_date=dt.date(2025, 3, 14)
    )
    build.depends_on.add(brief)
    return world
