"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apm.accounts.models import Role, User
from projects.models import Client, ClientContact, Milestone, Project, StatusUpdate
from projects.rag import RAG
from teams.models import Department, TeamMember


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    role = Role.TEAM_MEMBER
    password = factory.django.Password("correct horse battery staple")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.LazyAttribute(lambda d: f"Department {d.code}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    name = factory.Sequence(lambda n: f"Member {n}")
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    department = factory.SubFactory(DepartmentFactory)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Client {n}")


class ClientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientContact

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")
    opted_in_reports = True


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    client = factory.SubFactory(ClientFactory)
    category = "ICT"
    start_date = dt.date(2024, 1, 1)
    end_date = dt.date(2027, 12, 31)
    bac = Decimal("1000000.00")
    currency = "GBP"
    rag = RAG.AMBER

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if create and extracted:
            self.departments.add(*extracted)

    @factory.post_generation
    def reporting_heads(self, create, extracted, **kwargs):
        if create and extracted:
            self.reporting_heads.add(*extracted)


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusUpdate

    project = factory.SubFactory(ProjectFactory)
    as_of = dt.date(2025, 3, 31)
    rating_published = "Amber"
    rag = RAG.AMBER
    commentary_overall = "On track with minor risks."
    budget_period = Decimal("100000.00")
    forecast_period = Decimal("110000.00")
    whole_life_cost = Decimal("1000000.00")
    percent_complete = Decimal("40")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = dt.date(2025, 6, 30)


class ReportScheduleFactory(factory.django.DjangoModelFactory):
    """A weekly Monday 09:00 (Europe/London) internal portfolio schedule for a department.

    Its owner is an administrator (``schedule-owner``), who may send anything: a test about who may
    keep a schedule sets ``created_by`` itself.
    """

    class Meta:
        model = "reports.ReportSchedule"

    name = factory.Sequence(lambda n: f"Schedule {n}")
    kind = "portfolio"
    audience = "internal"
    scope = "department"
    department = factory.SubFactory(DepartmentFactory)
    frequency = "weekly"
    weekdays = factory.LazyFunction(lambda: [1])
    day_of_month = 1
    local_time = dt.time(9, 0)
    time_zone = "Europe/London"
    created_by = factory.SubFactory(UserFactory, username="schedule-owner", role=Role.ADMINISTRATOR, email="")


class ProjectReportScheduleFactory(ReportScheduleFactory):
    """The same, of a project's highlight report (no department)."""

    kind = "highlight"
    scope = "project"
    project = factory.SubFactory(ProjectFactory)
    department = None


class ReportFactory(factory.django.DjangoModelFactory):
    """A rendered internal highlight report of a project for March 2025, scheduled and queued now (no PDF file)."""

    class Meta:
        model = "reports.Report"

    kind = "highlight"
    audience = "internal"
    scope = "project"
    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Report {n}")
    scheduled_for = factory.LazyFunction(timezone.now)
    period_end = dt.date(2025, 3, 31)
    status = "rendered"
    queued_at = factory.LazyFunction(timezone.now)


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    """A queued email to x@example.com, queued now."""

    class Meta:
        model = "outbox.OutboundEmail"

    message_id = factory.Sequence(lambda n: f"<m{n}@test>")
    from_email = "a@example.com"
    to = factory.LazyFunction(lambda: ["x@example.com"])
    subject = "s"
    body_text = "b"
    queued_at = factory.LazyFunction(timezone.now)


class SkillCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "teams.SkillCategory"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    kind = "custom"


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "teams.Skill"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    category = factory.SubFactory(SkillCategoryFactory)


class MemberSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "teams.MemberSkill"

    member = factory.SubFactory(TeamMemberFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class OpenRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.OpenRole"

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Role {n}")
    hours_per_week = Decimal("20")
    start_date = dt.date(2025, 3, 3)
    end_date = dt.date(2025, 4, 27)


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Allocation"

    project = factory.SubFactory(ProjectFactory)
    member = factory.SubFactory(TeamMemberFactory)
    hours_per_week = Decimal("10")
    start_date = dt.date(2025, 3, 3)
    end_date = dt.date(2025, 4, 27)
    status = "confirmed"


# --- Deliverables, quality, change requests and the RAID log ---


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Deliverable"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Deliverable {n}")
    start_date = dt.date(2025, 1, 6)
    due_date = dt.date(2025, 6, 30)
    acceptance_criteria = factory.LazyFunction(lambda: ["Meets the brief"])


class QualityStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.QualityStandard"

    name = factory.Sequence(lambda n: f"Standard {n}")
    version = 1


class QualityCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.QualityCriterion"

    standard = factory.SubFactory(QualityStandardFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Criterion {n}")


class RaidItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.RaidItem"

    project = factory.SubFactory(ProjectFactory)
    kind = "risk"
    title = factory.Sequence(lambda n: f"Risk {n}")
    raised_at = factory.LazyFunction(lambda: dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC))
    probability = 3
    impact = 3


# --- Documents, clauses and correspondence ---


class ClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Clause"

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: f"{n + 1}.1")
    title = factory.Sequence(lambda n: f"Obligation {n}")
    text = "The supplier shall hold the permits the works need."
    kind = "obligation"


class CorrespondenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Correspondence"

    project = factory.SubFactory(ProjectFactory)
    direction = "in"
    channel = "letter"
    date = dt.date(2025, 3, 3)
    counterpart_kind = "authority"
    counterpart_organisation = "Camden Council Planning"
    subject = factory.Sequence(lambda n: f"Planning letter {n}")


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.LetterTemplate"

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Permit application for $project_name"
    body = "Dear $recipient_person,\n\nWe apply for a permit for $project_name ($project_code).\n\nRegards"


# --- Rate cards ---


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "teams.JobRole"

    title = factory.Sequence(lambda n: f"Role {n}")


class BillRateFactory(factory.django.DjangoModelFactory):
    """A role's rate card row (no client, no project) in GBP from 1 Jan 2026, still valid."""

    class Meta:
        model = "projects.BillRate"

    job_role = factory.SubFactory(JobRoleFactory)
    rate = Decimal("100.00")
    currency = "GBP"
    valid_from = dt.date(2026, 1, 1)


# --- Invoices ---


def billed_as_acme(client: Client) -> Client:
    """``client`` with billing details: invoiced in GBP as Acme Trading Ltd of 1 Quay Street, Bristol (tax ID
    GB 123 4567 89) at 30 days."""
    client.legal_name = "Acme Trading Ltd"
    client.billing_address = "1 Quay Street\nBristol BS1 1AA"
    client.tax_id = "GB 123 4567 89"
    client.invoice_currency = "GBP"
    client.payment_terms_days = 30
    client.save()
    return client


def written_invoice(
    client: Client,
    *,
    price: Decimal = Decimal("100.00"),
    lines: int = 1,
    project: Project | None = None,
    number: int | None = None,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    state: str = "issued",
    paid_on: dt.date | None = None,
    credits: Any = None,
) -> Any:
    """An invoice to ``client`` in GBP of ``lines`` lines of 1 x ``price`` at 20 % (on ``project`` when given),
    written directly as the services would leave it (nothing claimed): a draft when ``number`` is None, else
    issued on ``issued_on`` as ``INV-<year>-<number>`` in ``state``, due on ``due_on`` (30 days later by
    default); with ``credits``, the credit note ``CN-<year>-<number>`` of that invoice."""
    from projects.models import Invoice, InvoiceLine

    period_end = issued_on or dt.date(2026, 3, 31)
    invoice = Invoice.objects.create(
        client=client,
        currency="GBP",
        period_start=period_end.replace(day=1),
        period_end=period_end,
        rates_on=period_end,
        buyer_name=client.name,
    )
    tax = (price * Decimal("0.2")).quantize(Decimal("0.01"))
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=n,
            description=f"{project.code}: services {n}" if project else f"Consulting {n}",
            quantity=Decimal("1"),
            unit_price=price,
            net=price,
            tax_rate=Decimal("20"),
            tax=tax,
            currency="GBP",
            project=project,
        )
        for n in range(1, lines + 1)
    )
    # Lines are written while a draft (an issued invoice's refuse it); then issued, as the service leaves it.
    issued: dict[str, Any] = {}
    if number is not None:
        day = issued_on or dt.date(2026, 4, 1)
        issued = {
            "kind": "invoice" if credits is None else "credit_note",
            "credited_invoice": credits,
            "state": state,
            "number": f"{'INV' if credits is None else 'CN'}-{day.year}-{number:04d}",
            "year": day.year,
            "sequence": number,
            "issue_date": day,
            "due_date": due_on or day + dt.timedelta(days=30),
            "payment_terms_days": 30,
            "paid_on": paid_on,
        }
    Invoice.objects.filter(pk=invoice.pk).update(
        net_total=price * lines, tax_total=tax * lines, gross_total=(price + tax) * lines, **issued
    )
    invoice.refresh_from_db()
    return invoice


def issued_invoice(
    project: Project,
    *,
    sequence: int,
    due_date: dt.date,
    net: Decimal = Decimal("1000.00"),
    state: str = "issued",
    paid_on: dt.date | None = None,
    credits: Any = None,
) -> Any:
    """An invoice of ``net`` on ``project`` to its client, issued 30 days before ``due_date`` as
    ``INV-<year>-<sequence>`` (:func:`written_invoice`)."""
    return written_invoice(
        project.client,
        price=net,
        project=project,
        number=sequence,
        issued_on=due_date - dt.timedelta(days=30),
        due_on=due_date,
        state=state,
        paid_on=paid_on,
        credits=credits,
    )


class CommentFactory(factory.django.DjangoModelFactory):
    """An internal comment on a deliverable of a new project (pass ``deliverable`` or another anchor and its
    ``project``)."""

    class Meta:
        model = "projects.Comment"

    deliverable = factory.SubFactory(DeliverableFactory)
    project = factory.LazyAttribute(lambda o: o.deliverable.project)
    author = factory.SubFactory(UserFactory)
    body = "A comment."


class ChatHookFactory(factory.django.DjangoModelFactory):
    """A Slack channel of a new project hearing of every event but the client's comments (a secret path in its
    URL)."""

    class Meta:
        model = "projects.ChatHook"

    project = factory.SubFactory(ProjectFactory)
    service = "slack"
    name = factory.Sequence(lambda n: f"#team-{n}")
    url = factory.Sequence(lambda n: f"https://hooks.slack.com/services/T000/B000/secretpath{n}")
    events = factory.LazyFunction(lambda: ["critical_issue", "escalation", "decision", "budget_alert"])
    active = True
