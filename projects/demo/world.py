"""A small agency-like world for the demo (``manage.py setup_demo``), written by the APM team.

Every name here is invented: four clients with their contacts, four departments of 28 people
with skills, levels, rates and time off (and two people of a Dublin studio, paid in euros), and
three projects run by the ``pm`` login with the ``member`` login on the team. Each project holds
deliverables in every state (the prototype's work as tasks of the member login), a quality
standard with reviews and an open non-conformance, change requests waiting for decisions, a RAID
log with an unacknowledged critical issue, documents (a permit expiring within 30 days), clauses
(one due), correspondence with a public authority awaiting a reply, time entries and expenses, a
budget and a status history; one budget breaks its cost tolerance, and its exception plan awaits
a head's decision. A fourth project of the PM, in euros (LAF-FEST), is staffed by the Dublin
studio alone: a budget, time, expenses and a status history. The money loop (job roles and rate
cards, the timesheets' approval, each project's billing, the clients' margin targets, exchange
rates) is ``projects.demo.money``'s.

Objects are written through the services (so they are what the app itself would write) and
found again by natural keys: a second run creates nothing. Dates are relative to the day of the
first run; a later run finds the rows by name and leaves their dates alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from apm.accounts.models import Role, User
from projects.budget import figures
from projects.budget.services import checks, costs, exception_plans, plan, timesheet
from projects.changes import services as change_services
from projects.correspondence import services as correspondence_services
from projects.delivery import services as delivery_services
from projects.demo import money
from projects.demo.conversation import conversation_seed
from projects.documents import services as document_services
from projects.models import (
    Clause,
    Client,
    ClientContact,
    Deliverable,
    DeliverableStatus,
    ExceptionPlan,
    ExceptionState,
    LetterTemplate,
    Milestone,
    OpenRole,
    OpenRoleSkill,
    Project,
    ProjectTemplate,
    QualityStandard,
    StatusUpdate,
    ToleranceException,
)
from projects.planning import services as task_services
from projects.planning.forms import team_of
from projects.project_templates import services as template_services
from projects.quality import services as quality_services
from projects.quality.services import CheckInput
from projects.rag import RAG
from projects.raid import services as raid_services
from projects.staffing.services import allocation_create
from teams.capacity import week_start
from teams.models import (
    Department,
    Level,
    MemberSkill,
    PublicHoliday,
    Skill,
    SkillCategory,
    SkillCategoryKind,
    TeamMember,
    TimeOff,
    TimeOffKind,
)
from teams.selectors import member_rate_on
from teams.services import member_rate_set, skill_catalogue_import_onet

#: The agency's departments (code, name); setup_demo keeps its portfolio schedule off these.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("AGY-CS", "Client Services"),
    ("AGY-STU", "Studio"),
    ("AGY-STR", "Strategy and Insight"),
    ("AGY-TEC", "Technology"),
)
DEPARTMENT_CODES = tuple(code for code, _ in DEPARTMENTS)

#: Our own skills (category "Agency craft"), used when the catalogue lacks them.
CRAFT_SKILLS = (
    "Account management",
    "Art direction",
    "Copywriting",
    "Brand strategy",
    "User research",
    "Interaction design",
    "Front-end development",
    "Back-end development",
    "Media planning",
    "Workshop facilitation",
)

#: The skills each department's people hold (the first at a higher level).
DEPARTMENT_SKILLS = {
    "AGY-CS": ("Account management", "Workshop facilitation", "Media planning"),
    "AGY-STU": ("Art direction", "Copywriting", "Interaction design"),
    "AGY-STR": ("Brand strategy", "User research", "Workshop facilitation"),
    "AGY-TEC": ("Back-end development", "Front-end development", "Interaction design"),
}

DEPARTMENT_TITLES = {
    "AGY-CS": ("Account director", "Account manager", "Account executive"),
    "AGY-STU": ("Creative director", "Designer", "Copywriter"),
    "AGY-STR": ("Head of strategy", "Strategist", "Researcher"),
    "AGY-TEC": ("Technical lead", "Developer", "Junior developer"),
}

#: 27 invented people (with the member login's person, 28).
PEOPLE = (
    "Ada Quill",
    "Bea Rowan",
    "Cai Selby",
    "Dara Thorn",
    "Eli Umber",
    "Fen Vale",
    "Gus Wren",
    "Hana Yarrow",
    "Ivo Zeller",
    "Juno Ashby",
    "Kit Brennan",
    "Lior Castell",
    "Mina Dovey",
    "Nell Everard",
    "Otis Fairley",
    "Pia Gorse",
    "Quin Hollis",
    "Rhea Ingram",
    "Sol Jessop",
    "Tess Kellaway",
    "Uma Lindqvist",
    "Vic Morrow",
    "Wyn Nettles",
    "Xan Oakley",
    "Yves Pardoe",
)

#: The clients' billing details (fictional), so a draft invoice can be issued: legal name, address, VAT number,
#: payment terms in days.
BILLING = {
    "Harbourlight Ferries": (
        "Harbourlight Ferries Ltd",
        "Ferry Terminal\nQuay Road\nPortside PS1 4HF",
        "GB 123 4567 89",
        14,
    ),
    "Meadowfold Dairy Co-operative": ("Meadowfold Dairy Co-operative Ltd", "Meadowfold Farm\nVale VL2 7MD", "", 30),
}

#: Billing contacts (they receive invoices): the second contact of the first client.
BILLING_CONTACTS = ("owen.pike@harbourlight.example",)

CLIENTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Harbourlight Ferries",
        (("Carla Client", "client@apm.localhost"), ("Owen Pike", "owen.pike@harbourlight.example")),
    ),
    ("Meadowfold Dairy Co-operative", (("Ruth Barley", "ruth.barley@meadowfold.example"),)),
    ("Northgate Museum Trust", (("Idris Vane", "idris.vane@northgate.example"),)),
    ("Liffeyside Arts Festival", (("Aoife Byrne", "aoife.byrne@liffeyside.example"),)),
)

#: The Dublin studio (name, department, job title): paid in euros, so it staffs the euro project alone (a
#: person's time is costed in their rate's currency, which must be the project's).
DUBLIN = (
    ("Niamh Fallon", "AGY-STU", "Designer"),
    ("Cian Doherty", "AGY-TEC", "Developer"),
)


@dataclass(frozen=True)
class ProjectSpec:
    code: str
    name: str
    client: str
    departments: tuple[str, ...]
    budget: Decimal  # the labour line; expenses and third parties add to it
    authority: str
    overspend: bool = False  # costs run far ahead of progress: the cost tolerance breaks
    currency: str = "GBP"
    dublin: bool = False  # staffed by the Dublin studio alone: no member login, deliverables, RAID or documents


PROJECTS = (
    ProjectSpec(
        "HLF-WEB",
        "Harbourlight booking site rebuild",
        "Harbourlight Ferries",
        ("AGY-TEC", "AGY-STU"),
        Decimal("60000"),
        "Portside Borough Council Highways",
    ),
    ProjectSpec(
        "MDC-BRAND",
        "Meadowfold rebrand and launch campaign",
        "Meadowfold Dairy Co-operative",
        ("AGY-STU", "AGY-STR", "AGY-CS"),
        Decimal("30000"),
        "Vale District Council Licensing",
        overspend=True,
    ),
    ProjectSpec(
        "NMT-APP",
        "Northgate Museum visitor app",
        "Northgate Museum Trust",
        ("AGY-TEC", "AGY-STR"),
        Decimal("40000"),
        "Northgate City Council Planning",
    ),
    ProjectSpec(
        "LAF-FEST",
        "Liffeyside festival wayfinding and programme site",
        "Liffeyside Arts Festival",
        ("AGY-STU", "AGY-TEC"),
        Decimal("25000"),
        "Dublin City Council",
        currency="EUR",
        dublin=True,
    ),
)

STANDARD_NAME = "Agency delivery standard"
STANDARD_CRITERIA = (
    "Meets every acceptance criterion agreed with the client",
    "Proof-read and checked against the brand guidelines",
    "Accessible: WCAG 2.2 AA checked where it is a screen",
)

LETTER_TEMPLATES = (
    (
        "Demo: permit application",
        "Permit application for $project_name",
        "Dear $recipient_person,\n\nOn behalf of our client we apply for a permit for $project_name "
        "($project_code).\n\nYours sincerely",
    ),
    (
        "Demo: chaser for a reply",
        "Our letter about $project_name: a reply is due",
        "Dear $recipient_person,\n\nWe wrote to you about $project_name ($project_code) and await your "
        "reply.\n\nYours sincerely",
    ),
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Seeded:
    """What one run created, by model name (0 everywhere on a second run)."""

    created: Counter[str]

    def __str__(self) -> str:
        if not self.created:
            return "Agency world: already there, nothing created."
        parts = ", ".join(f"{n} {name}" for name, n in sorted(self.created.items()))
        return f"Agency world: created {parts}."


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _weekdays_back(today: dt.date, count: int) -> list[dt.date]:
    """The ``count`` working days (Monday to Friday) before ``today``, oldest first."""
    days: list[dt.date] = []
    day = today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.isoweekday() <= 5:
            days.append(day)
    return days[::-1]


class _World:
    def __init__(self, *, admin: User, pm: User, member_user: User, today: dt.date) -> None:
        self.admin, self.pm, self.member_user, self.today = admin, pm, member_user, today
        self.created: Counter[str] = Counter()
        self.departments: dict[str, Department] = {}
        self.people: dict[str, TeamMember] = {}
        self.dublin: list[TeamMember] = []
        self.rate_start = today.replace(month=1, day=1) - dt.timedelta(days=365)
        self.skills: dict[str, Skill] = {}
        self.contacts: dict[str, ClientContact] = {}

    def count(self, name: str, n: int = 1) -> None:
        self.created[name] += n

    # --- teams ---------------------------------------------------------------------------

    def catalogue(self) -> None:
        """O*NET from APM_REAL_DATA_DIR/onet when there (else the demo files in teams/demo/onet), plus our own."""
        real = Path(settings.APM_REAL_DATA_DIR) / "onet"
        directory = real if (real / "Occupation Data.txt").is_file() else Path(settings.BASE_DIR) / "teams/demo/onet"
        summary = skill_catalogue_import_onet(directory=directory)
        self.count("Skill (catalogue)", summary.skills_created)
        category, made = SkillCategory.objects.get_or_create(
            name="Agency craft", defaults={"kind": SkillCategoryKind.CUSTOM, "description": "Our own skills."}
        )
        self.count("SkillCategory", int(made))
        for name in CRAFT_SKILLS:
            skill = Skill.objects.filter(name__iexact=name).first()
            if skill is None:
                skill = Skill.objects.create(name=name, category=category)
                self.count("Skill")
            self.skills[name] = skill

    def teams(self) -> None:
        for code, name in DEPARTMENTS:
            department, made = Department.objects.get_or_create(code=code, defaults={"name": name})
            department.heads.add(self.admin)
            self.departments[code] = department
            self.count("Department", int(made))
        rate_start = self.rate_start
        for i, name in enumerate(PEOPLE):
            code = DEPARTMENT_CODES[i % len(DEPARTMENT_CODES)]
            seniority = (i // len(DEPARTMENT_CODES)) % 3  # 0 senior, 1 mid, 2 junior
            email = f"{name.lower().replace(' ', '.')}@agency.example"
            person, made = TeamMember.objects.get_or_create(
                email=email,
                defaults={
                    "name": name,
                    "department": self.departments[code],
                    "job_title": DEPARTMENT_TITLES[code][seniority],
                    # Every seventh person works four days a week.
                    "weekly_capacity_hours": Decimal("30") if i % 7 == 6 else Decimal("37.5"),
                    "working_days": "1234" if i % 7 == 6 else "12345",
                },
            )
            self.people[name] = person
            if not made:
                continue
            self.count("TeamMember")
            cost = Decimal(70 - 15 * seniority)
            member_rate_set(member=person, cost_rate=cost, bill_rate=cost * 2, valid_from=rate_start)
            self.count("MemberRate")
            for j, skill in enumerate(DEPARTMENT_SKILLS[code]):
                level = max(Level.NOVICE, min(Level.EXPERT, 5 - seniority - j + (i % 2)))
                MemberSkill.objects.create(
                    member=person,
                    skill=self.skills[skill],
                    level=level,
                    last_assessed=rate_start,
                    assessed_by=self.admin,
                )
                self.count("MemberSkill")
        # The member login's person (created by setup_demo) joins Technology's skills.
        member = TeamMember.objects.get(user=self.member_user)
        if member.department_id != self.departments["AGY-TEC"].pk:
            member.department = self.departments["AGY-TEC"]
            member.job_title = member.job_title or "Developer"
            member.save(update_fields=["department", "job_title"])
        self.people["member"] = member
        for skill, level in (("Front-end development", Level.PROFICIENT), ("Interaction design", Level.COMPETENT)):
            _, made = MemberSkill.objects.get_or_create(
                member=member, skill=self.skills[skill], defaults={"level": level, "last_assessed": rate_start}
            )
            self.count("MemberSkill", int(made))
        for name, code, title in DUBLIN:
            person, made = TeamMember.objects.get_or_create(
                email=f"{name.lower().replace(' ', '.')}@agency.example",
                defaults={"name": name, "department": self.departments[code], "job_title": title},
            )
            self.dublin.append(person)
            if made:
                self.count("TeamMember")
                member_rate_set(
                    member=person,
                    cost_rate=Decimal("60"),
                    bill_rate=Decimal("120"),
                    valid_from=rate_start,
                    currency="EUR",
                )
                self.count("MemberRate")
        money.roles_assign(
            people=[
                *(
                    (self.people[name], money.DEPARTMENT_ROLES[DEPARTMENT_CODES[i % len(DEPARTMENT_CODES)]])
                    for i, name in enumerate(PEOPLE)
                ),
                (member, money.MEMBER_ROLE),
                *(
                    (person, money.DEPARTMENT_ROLES[code])
                    for person, (_, code, _) in zip(self.dublin, DUBLIN, strict=True)
                ),
            ],
            count=self.count,
        )
        year = self.today.year
        for date, label in (
            (dt.date(year, 12, 25), "Christmas Day"),
            (dt.date(year, 12, 26), "Boxing Day"),
            (dt.date(year + 1, 1, 1), "New Year's Day"),
        ):
            _, made = PublicHoliday.objects.get_or_create(date=date, defaults={"name": label})
            self.count("PublicHoliday", int(made))
        for k, (name, kind, start, days) in enumerate(
            (
                (PEOPLE[1], TimeOffKind.LEAVE, 7, 5),
                (PEOPLE[5], TimeOffKind.TRAINING, 14, 2),
                (PEOPLE[10], TimeOffKind.LEAVE, 21, 10),
                (PEOPLE[3], TimeOffKind.SICK, -3, 2),
            )
        ):
            person = self.people[name]
            if not person.time_off.filter(note=f"Demo time off {k + 1}").exists():
                begin = self.today + dt.timedelta(days=start)
                TimeOff.objects.create(
                    member=person,
                    kind=kind,
                    start=begin,
                    end=begin + dt.timedelta(days=days - 1),
                    note=f"Demo time off {k + 1}",
                )
                self.count("TimeOff")

    # --- clients and standards -----------------------------------------------------------

    def clients(self) -> None:
        client_login = User.objects.get(username="client")
        for name, contacts in CLIENTS:
            client, made = Client.objects.get_or_create(name=name)
            self.count("Client", int(made))
            if name in BILLING and not client.billing_address:
                client.legal_name, client.billing_address, client.tax_id, client.payment_terms_days = BILLING[name]
                client.save(update_fields=["legal_name", "billing_address", "tax_id", "payment_terms_days"])
            for k, (person, email) in enumerate(contacts):
                contact, made = ClientContact.objects.get_or_create(
                    client=client,
                    email=email,
                    defaults={"name": person, "opted_in_reports": True, "billing_contact": email in BILLING_CONTACTS},
                )
                self.count("ClientContact", int(made))
                if k == 0:
                    # The client's decision maker has a login: the demo's ``client`` for the first client,
                    # a login without a password for the others (it signs their deliverables off here).
                    if contact.user_id is None:
                        user = client_login if email == client_login.email else self._contact_user(email, person)
                        ClientContact.objects.filter(user=user).exclude(pk=contact.pk).update(user=None)
                        contact.user = user
                        contact.save(update_fields=["user"])
                    self.contacts[name] = contact

    def _contact_user(self, email: str, person: str) -> User:
        first, _, last = person.partition(" ")
        user, made = User.objects.get_or_create(
            username=email.split("@")[0],
            defaults={"email": email, "first_name": first, "last_name": last, "role": Role.CLIENT_CONTACT},
        )
        if made:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            self.count("User")
        return user

    def standard(self) -> QualityStandard:
        standard = QualityStandard.objects.filter(name=STANDARD_NAME, client=None, is_active=True).first()
        if standard is None:
            standard = quality_services.quality_standard_create(
                name=STANDARD_NAME,
                criteria=STANDARD_CRITERIA,
                user=self.admin,
                description="What every deliverable of the agency is checked against before the client sees it.",
            )
            self.count("QualityStandard")
        return standard

    def letter_templates(self) -> None:
        for name, subject, body in LETTER_TEMPLATES:
            _, made = LetterTemplate.objects.get_or_create(name=name, defaults={"subject": subject, "body": body})
            self.count("LetterTemplate", int(made))

    # --- projects --------------------------------------------------------------------------

    def project(self, spec: ProjectSpec, index: int, standard: QualityStandard) -> Project:
        start = self.today - dt.timedelta(days=70 + 14 * index)
        project, made = Project.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "client": Client.objects.get(name=spec.client),
                "project_manager": self.pm,
                "category": "Agency",
                "description": f"A demo project for {spec.client} (invented).",
                "start_date": start,
                "end_date": start + dt.timedelta(days=200),
                "currency": spec.currency,
            },
        )
        if made:
            self.count("Project")
            project.departments.set([self.departments[code] for code in spec.departments])
            project.reporting_heads.add(self.admin)
        if not spec.dublin:
            project.team_members.add(self.people["member"])
            if not project.quality_standards.filter(pk=standard.pk).exists():
                quality_services.project_standards_set(project=project, standards=[standard], user=self.pm)
        fresh = self.budget(project, spec)
        self.staffing(project, spec, index)
        if not spec.dublin:
            self.delivery(project, spec, standard)
            self.tasks(project)
            self.changes(project)
            self.raid(project, spec)
            self.documents(project, spec)
        money.project_rates_seed(admin=self.admin, project=project, count=self.count)
        self.costs(project, spec)
        self.status_history(project, spec)
        if fresh:
            # The real tolerance once the history is in, so that only a real breach raises an exception.
            self._tolerances(project, spec, Decimal("10"))
            checks.budget_check(project=project)
        self.exception_plan(project)
        return project

    def conversation(self, project: Project) -> None:
        """The first project's comments and its team's channel (``projects.demo.conversation``); its client's
        contact writes the first comment."""
        spec = next(spec for spec in PROJECTS if spec.code == project.code)
        conversation_seed(
            project=project,
            pm=self.pm,
            member_user=self.member_user,
            contact_user=User.objects.get(client_contact=self.contacts[spec.client]),
            count=self.created,
        )

    def money_loop(self, projects: list[Project]) -> None:
        """The timesheets decided when their time was logged now, each project's billing, the clients' margin
        targets and the exchange rates (``projects.demo.money``); then each new project's budget check, which
        raises the margin alert of the one forecast below its client's target."""
        if self.created["TimeEntry"]:
            # Someone of NMT-APP's team other than the member leaves their last week open.
            nmt = next(project for project in projects if project.code == "NMT-APP")
            bookings = nmt.allocations.filter(status="confirmed").exclude(member=self.people["member"])
            money.timesheets_decide(
                pm=self.pm,
                projects=projects,
                member=self.people["member"],
                open_person=bookings.order_by("pk").select_related("member")[0].member,
                today=self.today,
            )
        billed = self.created["ProjectBilling"]
        for project in projects:
            money.billing_seed(project=project, count=self.count)
        money.margin_targets_seed()
        money.exchange_rates_seed(count=self.count, today=self.today)
        money.invoices_seed(admin=self.admin, today=self.today, count=self.count)
        if self.created["ProjectBilling"] > billed:
            for project in projects:
                checks.budget_check(project=project)

    def project_template(self, project: Project) -> None:
        """The company's one template, kept by the administrator: the website rebuild's plan, for ``pm`` to start
        the next website from (Projects, then New project, then a project template)."""
        if ProjectTemplate.objects.filter(name="Website rebuild").exists():
            return
        template_services.template_save_from_project(
            project=project,
            user=self.admin,
            name="Website rebuild",
            description="A booking or shop website rebuilt: discovery, prototype, build and launch, with the usual "
            "risks, the company's quality standard and the contract's clauses.",
        )
        self.count("ProjectTemplate")

    def exception_plan(self, project: Project) -> None:
        """The PM's plan for each open tolerance exception, submitted and awaiting a head's decision."""
        for exception in ToleranceException.objects.filter(project=project, state=ExceptionState.OPEN):
            if ExceptionPlan.objects.filter(exception=exception).exists():
                continue
            eac = Decimal(str(exception.figures.get("eac") or project.bac or 0))
            exception_plans.exception_plan_save(
                exception=exception,
                options=(
                    "1. Carry on as planned and accept the overspend.\n"
                    "2. Cut the second photography shoot and reuse library images: saves a tenth of the overspend.\n"
                    "3. Ask the client for a change request funding the extra design rounds they asked for."
                ),
                recommendation="Option 3, with option 2 as the fallback if the client declines by month end.",
                forecast_eac=(eac * Decimal("0.95")).quantize(Decimal("1")),
                forecast_finish=project.end_date,
                submit=True,
                actor=self.pm,
            )
            self.count("ExceptionPlan")

    def _tolerances(self, project: Project, spec: ProjectSpec, percent: Decimal) -> None:
        plan.budget_settings_update(
            project=project,
            contingency_reserve=spec.budget / 10,
            cost_tolerance_percent=percent,
            time_tolerance_days=14,
            etc_bottom_up=None,
            actor=self.pm,
        )

    def _planned_percent(self, project: Project) -> Decimal:
        """The share of the project's days gone by today: progress on plan."""
        start, end = project.start_date or self.today, project.end_date or self.today
        elapsed = (self.today - start).days + 1
        return Decimal(100 * elapsed // ((end - start).days + 1))

    def budget(self, project: Project, spec: ProjectSpec) -> bool:
        """Budget lines, settings and a baseline; True when created now."""
        if project.budget_lines.exists():
            return False
        for category, amount, description in (
            ("labour", spec.budget, "Team time"),
            ("travel", spec.budget / 20, "Travel to the client and workshops"),
            ("subcontractors", spec.budget / 10, "Photography, licences and hosting"),
        ):
            plan.budget_line_add(
                project=project, category=category, amount=amount, description=description, actor=self.pm
            )
            self.count("BudgetLine")
        # Wide open while the costs are booked one by one (they would breach on the way); see project().
        self._tolerances(project, spec, Decimal("100"))
        plan.baseline_create(project=project, reason="Agreed plan at kick-off", actor=self.pm)
        self.count("Baseline")
        return True

    def staffing(self, project: Project, spec: ProjectSpec, index: int) -> None:
        if project.allocations.exists():
            return
        start = self.today - dt.timedelta(days=self.today.weekday() + 14)
        end = start + dt.timedelta(weeks=12)
        if spec.dublin:
            for k, person in enumerate(self.dublin):
                allocation_create(
                    project=project,
                    member=person,
                    hours_per_week=Decimal("20") if k == 0 else Decimal("15"),
                    start_date=start,
                    end_date=end,
                    role_title=person.job_title,
                    created_by=self.pm,
                )
                self.count("Allocation")
            return
        lead, rest = self.departments[spec.departments[0]].pk, {self.departments[c].pk for c in spec.departments[1:]}
        people = [p for n, p in self.people.items() if n != "member" and p.department_id == lead]
        others = [p for n, p in self.people.items() if n != "member" and p.department_id in rest]
        team = [people[index % len(people)], people[(index + 1) % len(people)], others[index % len(others)]]
        for k, person in enumerate(team):
            allocation_create(
                project=project,
                member=person,
                hours_per_week=Decimal("20") if k == 0 else Decimal("15"),
                start_date=start,
                end_date=end,
                role_title=person.job_title,
                created_by=self.pm,
                allow_over_allocation=True,
            )
            self.count("Allocation")
        # The member login: booked on every project, which over-books them (3 x 16 h > 37.5 h).
        allocation_create(
            project=project,
            member=self.people["member"],
            hours_per_week=Decimal("16"),
            start_date=start,
            end_date=end,
            role_title="Front-end developer",
            created_by=self.pm,
            allow_over_allocation=True,
        )
        self.count("Allocation")
        # A tentative booking from another department.
        allocation_create(
            project=project,
            member=self.people[PEOPLE[(index * 5 + 2) % len(PEOPLE)]],
            hours_per_week=Decimal("8"),
            start_date=start + dt.timedelta(weeks=4),
            end_date=end,
            status="tentative",
            role_title="Reviewer",
            created_by=self.pm,
        )
        self.count("Allocation")
        role = OpenRole.objects.create(
            project=project,
            title="Senior designer" if index % 2 else "Back-end developer",
            hours_per_week=Decimal("24"),
            start_date=start + dt.timedelta(weeks=2),
            end_date=end,
            note="Not yet staffed: see the suggestions.",
        )
        skill = "Art direction" if index % 2 else "Back-end development"
        OpenRoleSkill.objects.create(role=role, skill=self.skills[skill], min_level=Level.PROFICIENT)
        self.count("OpenRole")

    def delivery(self, project: Project, spec: ProjectSpec, standard: QualityStandard) -> None:
        if project.deliverables.exists():
            return
        pm, contact_user = self.pm, User.objects.get(client_contact=self.contacts[spec.client])
        # Discovery is behind them (its milestone completes when the client accepts its report), design is next.
        milestones = [
            Milestone.objects.create(project=project, name=name, due_date=self.today + dt.timedelta(days=days))
            for name, days in (("Discovery signed off", -15), ("Design signed off", 30), ("Launch", 90))
        ]
        self.count("Milestone", len(milestones))
        criteria = list(standard.criteria.order_by("order"))

        def make(name: str, due: int, percent: int = 0) -> Deliverable:
            self.count("Deliverable")
            return delivery_services.deliverable_create(
                project=project,
                user=pm,
                name=name,
                due_date=self.today + dt.timedelta(days=due),
                start_date=self.today - dt.timedelta(days=40),
                owner=self.member_user,
                milestone=milestones[0] if due < -10 else milestones[1] if due <= 30 else milestones[2],
                acceptance_criteria=["Agreed with the client in the kick-off workshop", "Checked by a second person"],
                percent_complete=percent,
            )

        def review(item: Deliverable, *, fail: bool) -> None:
            for to in (DeliverableStatus.IN_PROGRESS, DeliverableStatus.IN_REVIEW):
                delivery_services.deliverable_transition(deliverable=item, to=to, user=pm)
            results = [
                CheckInput(
                    c.pk,
                    "failed" if fail and k == 1 else "passed",
                    note="Logo off-brand on page 4" if fail and k == 1 else "",
                )
                for k, c in enumerate(criteria)
            ]
            quality_services.review_record(deliverable=item, reviewer=pm, checks=results)
            self.count("QualityReview")

        accepted = make("Discovery report", -20, 90)
        review(accepted, fail=False)
        delivery_services.deliverable_transition(deliverable=accepted, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
        delivery_services.deliverable_sign_off(
            deliverable=accepted, user=contact_user, accepted=True, comment="Clear and complete, thank you."
        )
        rejected = make("Moodboards", -5, 70)
        review(rejected, fail=False)
        delivery_services.deliverable_transition(deliverable=rejected, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
        delivery_services.deliverable_sign_off(
            deliverable=rejected,
            user=contact_user,
            accepted=False,
            comment="Too dark for our audience; lighter please.",
        )
        awaiting = make("Design concepts", 5, 95)
        review(awaiting, fail=False)
        delivery_services.deliverable_transition(deliverable=awaiting, to=DeliverableStatus.AWAITING_SIGN_OFF, user=pm)
        in_review = make("Content plan", 10, 60)
        review(in_review, fail=True)  # the failed check opens a non-conformance; it stays in review
        self.count("NonConformance")
        in_progress = make("Prototype", 30, 30)
        delivery_services.deliverable_transition(deliverable=in_progress, to=DeliverableStatus.IN_PROGRESS, user=pm)
        make("Launch pack", 90)

    def tasks(self, project: Project) -> None:
        """The prototype's work as tasks, assigned to the member login (their desk's "My tasks"): one overdue,
        one in progress with a checklist half ticked, one blocked, one done."""
        if project.tasks.exists():
            return
        prototype = project.deliverables.get(name="Prototype")
        member = self.people["member"]
        made = {}
        for title, due, hours, priority, moves in (
            ("Wireframe the booking flow", -3, "12", "high", ("in_progress",)),
            ("Build the clickable prototype", 20, "32", "normal", ("in_progress",)),
            ("Usability test with five customers", 28, "16", "normal", ("blocked",)),
            ("Agree the page inventory", -10, "6", "low", ("in_progress", "in_review", "done")),
        ):
            task = task_services.task_create(
                project=project,
                user=self.pm,
                title=title,
                deliverable=prototype,
                assignees=[member],
                estimate_hours=Decimal(hours),
                start_date=min(self.today, self.today + dt.timedelta(days=due)) - dt.timedelta(days=7),
                due_date=self.today + dt.timedelta(days=due),
                priority=priority,
            )
            for to in moves:
                task_services.task_move(task=task, user=self.pm, to=to)
            made[title] = task
            self.count("Task")
        # Finish-to-start links: the plan (/projects/<code>/plan/) draws their arrows and a critical path.
        for title, after in (
            ("Wireframe the booking flow", "Agree the page inventory"),
            ("Build the clickable prototype", "Wireframe the booking flow"),
            ("Usability test with five customers", "Build the clickable prototype"),
        ):
            task_services.task_update(task=made[title], user=self.pm, depends_on=[made[after]])
        build = made["Build the clickable prototype"]
        for text, done in (("Home and search", True), ("Booking and payment", True), ("My trips", False)):
            item = task_services.checklist_item_add(task=build, user=self.pm, text=text)
            if done:
                task_services.checklist_item_tick(item=item, user=self.pm, done=True)
            self.count("TaskChecklistItem")
        self.monthly_report(project)

    def monthly_report(self, project: Project) -> None:
        """A task repeating on the last day of every month, last month's done: its next occurrence, due at the end
        of this month, was made when it was moved to done (another person's: the member's desk stays as it is)."""
        author = team_of(project).exclude(user__username="member").first()
        last_month_end = self.today.replace(day=1) - dt.timedelta(days=1)
        report = task_services.task_create(
            project=project,
            user=self.pm,
            title="Monthly highlight report",
            description="The month's progress, RAG and next steps, for the client.",
            assignees=[author] if author else [],
            estimate_hours=Decimal("3"),
            start_date=last_month_end - dt.timedelta(days=4),
            due_date=last_month_end,
            recurrence="FREQ=MONTHLY;BYMONTHDAY=-1",
        )
        for text in ("Figures from the budget page", "RAG and commentary", "Sent to the client"):
            item = task_services.checklist_item_add(task=report, user=self.pm, text=text)
            task_services.checklist_item_tick(item=item, user=self.pm, done=True)
            self.count("TaskChecklistItem", 2)  # and its unticked copy on the next occurrence
        for to in ("in_progress", "in_review", "done"):
            task_services.task_move(task=report, user=self.pm, to=to)
        self.count("Task", 2)

    def changes(self, project: Project) -> None:
        if project.change_requests.exists():
            return
        for title, approvers, cost, days, submit in (
            ("Add a Welsh-language version", "client", Decimal("8500"), 10, True),
            ("Extra round of user testing", "head", Decimal("4200"), 5, True),
            ("Swap the photo library supplier", "head", Decimal("0"), 0, False),
        ):
            change = change_services.change_request_create(
                project=project,
                user=self.pm,
                title=title,
                description=f"{title} ({project.name}).",
                reason="Asked for in the fortnightly review.",
                raised_by="client" if approvers == "client" else "team",
                cost_impact=cost,
                schedule_impact_days=days,
                approvers=approvers,
                client_summary=f"{title}: about {days} days more." if days else "",
            )
            self.count("ChangeRequest")
            if submit:
                change_services.change_request_submit(change_request=change, user=self.pm)

    def raid(self, project: Project, spec: ProjectSpec) -> None:
        if project.raid_items.exists():
            return
        member = self.member_user
        raid_services.raid_item_create(
            project=project,
            kind="risk",
            user=self.pm,
            title="Key designer may leave before launch",
            probability=3,
            impact=4,
            mitigation="Pair a second designer on every file.",
            owner=self.pm,
        )
        raid_services.raid_item_create(
            project=project,
            kind="risk",
            user=member,
            title="Client approvals take longer than a week",
            probability=4,
            impact=3,
            mitigation="Agree sign-off dates in the plan.",
        )
        raid_services.raid_item_create(
            project=project,
            kind="assumption",
            user=self.pm,
            title="The client supplies final copy two weeks before launch",
        )
        raid_services.raid_item_create(
            project=project,
            kind="dependency",
            user=self.pm,
            title=f"Permit from {spec.authority}",
            due_date=self.today + dt.timedelta(days=21),
        )
        raid_services.raid_item_create(
            project=project,
            kind="issue",
            user=member,
            title="Staging server down: client review blocked",
            severity="critical",
            affects_client=True,
            description="The hosting provider lost the staging server overnight.",
        )
        self.count("RaidItem", 5)

    def documents(self, project: Project, spec: ProjectSpec) -> None:
        if project.documents.exists():
            return
        pm = self.pm
        contract = document_services.document_create(
            project=project,
            user=pm,
            kind="contract",
            title=f"{project.code} master services agreement",
            upload=_pdf("contract.pdf"),
            signed_on=project.start_date,
            effective_on=project.start_date,
        )
        for status in ("under_review", "approved", "signed"):
            document_services.document_set_status(document=contract, user=pm, status=status)
        sow = document_services.document_create(
            project=project,
            user=pm,
            kind="sow",
            title=f"{project.code} statement of work",
            upload=_pdf("sow.pdf"),
            visibility="client",
        )
        for status in ("under_review", "approved"):
            document_services.document_set_status(document=sow, user=pm, status=status)
        permit = document_services.document_create(
            project=project,
            user=pm,
            kind="permit",
            title=f"Filming and hoarding permit ({spec.authority})",
            upload=_pdf("permit.pdf"),
            effective_on=self.today - dt.timedelta(days=60),
            expires_on=self.today + dt.timedelta(days=18),
        )
        for status in ("under_review", "approved"):
            document_services.document_set_status(document=permit, user=pm, status=status)
        document_services.document_create(
            project=project, user=pm, kind="minutes", title="Kick-off workshop minutes", upload=_pdf("minutes.pdf")
        )
        # What the client reviews before signing off the deliverable awaiting them: shared, approved, linked.
        concepts = document_services.document_create(
            project=project,
            user=pm,
            kind="other",
            title="Design concepts board",
            upload=_pdf("concepts.pdf"),
            visibility="client",
        )
        for status in ("under_review", "approved"):
            document_services.document_set_status(document=concepts, user=pm, status=status)
        for awaiting in project.deliverables.filter(status=DeliverableStatus.AWAITING_SIGN_OFF):
            delivery_services.deliverable_update(
                deliverable=awaiting,
                user=pm,
                review_document=concepts,
                review_link=f"https://staging.{project.code.lower()}.example/concepts",
            )
        self.count("Document", 5)
        # 7.2 repeats every year (a permit renewal): marked met, or its deadline passing, keeps the period and
        # moves the deadline on a year.
        for number, title, kind, deadline, evidence in (
            ("4.1", "Deliver the agreed deliverables", "deliverable", None, ""),
            ("7.2", "Hold the permits the works need", "obligation", self.today + dt.timedelta(days=6), "document"),
            ("9.1", "Monthly progress report to the client", "reporting", self.today + dt.timedelta(days=25), ""),
            ("12.3", "Keep client data confidential", "confidentiality", None, ""),
        ):
            document_services.clause_create(
                project=project,
                user=pm,
                number=number,
                title=title,
                text=f"The agency shall {title[0].lower()}{title[1:]}.",
                kind=kind,
                contract=contract,
                deadline=deadline,
                evidence=evidence,
                evidence_document_kind="permit" if evidence == "document" else "",
                recurrence="FREQ=YEARLY" if number == "7.2" else "",
            )
            self.count("Clause")
        permit_clause = Clause.objects.get(project=project, number="7.2")
        sent = self.today - dt.timedelta(days=12)
        correspondence_services.correspondence_log(
            project=project,
            user=pm,
            direction="out",
            channel="letter",
            date=sent,
            counterpart_kind="authority",
            counterpart_organisation=spec.authority,
            counterpart_person="Licensing officer",
            subject="Application to extend the permit",
            our_reference=f"{project.code}/P/01",
            reply_due_on=self.today + dt.timedelta(days=9),
            documents=[permit],
            clauses=[permit_clause],
        )
        correspondence_services.correspondence_log(
            project=project,
            user=pm,
            direction="in",
            channel="email",
            date=sent + dt.timedelta(days=3),
            counterpart_kind="authority",
            counterpart_organisation=spec.authority,
            subject="Acknowledgement of your application",
            their_reference=f"{self.today.year}/{project.pk:04d}",
        )
        correspondence_services.correspondence_log(
            project=project,
            user=pm,
            direction="in",
            channel="meeting",
            date=sent - dt.timedelta(days=20),
            counterpart_kind="client",
            counterpart_organisation=spec.client,
            subject="Kick-off workshop",
        )
        self.count("Correspondence", 3)

    def status_history(self, project: Project, spec: ProjectSpec) -> None:
        if project.status_updates.exists():
            return
        last_friday = self.today - dt.timedelta(days=(self.today.weekday() - 4) % 7 or 7)
        history = (
            (RAG.GREEN, RAG.GREEN, 10),
            (RAG.GREEN, RAG.GREEN, 20),
            (RAG.AMBER, RAG.AMBER if spec.overspend else RAG.GREEN, 30),
            (RAG.RED if spec.overspend else RAG.AMBER, RAG.RED if spec.overspend else RAG.AMBER, 40),
        )
        planned = self._planned_percent(project)
        for k, (rag, cost_rag, share) in enumerate(history):
            percent = (planned * share / 40).quantize(Decimal("1"))
            StatusUpdate.objects.create(
                project=project,
                as_of=last_friday - dt.timedelta(weeks=len(history) - 1 - k),
                period_label=f"Week {k + 1}",
                source="apm-demo",
                rag=rag,
                rating_published=RAG(rag).label,
                rag_time=RAG.GREEN if k < 2 else RAG.AMBER,
                rag_cost=cost_rag,
                rag_scope=RAG.GREEN,
                rag_quality=RAG.AMBER if k == len(history) - 1 else RAG.GREEN,
                rag_risk=rag,
                percent_complete=percent,
                commentary_overall="Design concepts with the client; the staging outage blocks their review."
                if k == len(history) - 1
                else "On plan.",
                work_done="Discovery report accepted\nMoodboards presented",
                work_planned="Design concepts to sign-off\nPrototype sprint 2",
                decisions_needed="Welsh-language version (CR-1)",
                risks_issues="Staging server down\nClient approvals slow",
                author=self.pm,
            )
            self.count("StatusUpdate")
        project.rag = history[-1][0]
        project.save(update_fields=["rag", "updated_at"])

    def costs(self, project: Project, spec: ProjectSpec) -> None:
        """Time (an entry each working day for four weeks) and expenses, sized so that spend
        matches progress (on plan),
        or runs half as much again ahead of it (``spec.overspend``: the cost tolerance breaks)."""
        if project.time_entries.exists():
            return
        expenses = (
            ("travel", Decimal("412.60"), "Rail travel to client workshop"),
            ("subcontractors", Decimal("2400.00"), "Stock photography licence"),
            ("materials", Decimal("86.40"), "Workshop materials"),
        )
        factor = Decimal("1.5") if spec.overspend else Decimal("1")
        for k, (category, amount, supplier) in enumerate(expenses):
            costs.expense_record(
                project=project,
                date=self.today - dt.timedelta(days=3 + 4 * k),
                amount=amount * factor * factor,
                category=category,
                supplier=supplier,
                actor=self.pm,
            )
            self.count("Expense")
        people = [a.member for a in project.allocations.filter(status="confirmed").select_related("member")]
        days = _weekdays_back(self.today, 20)  # every working day, so no one's day adds up to more than 24 h
        rates = Decimal(0)
        for person in people:
            rate = member_rate_on(member_id=person.pk, on=days[0])
            rates += rate.cost_rate if rate is not None else Decimal(0)
        bac = spec.budget * Decimal("1.15")  # labour, travel (5 %) and subcontractors (10 %)
        spent = sum((amount * factor * factor for _, amount, _ in expenses), Decimal(0))
        labour = bac * self._planned_percent(project) / 100 * factor - spent
        hours = max(Decimal("0.25"), min(Decimal("8"), (labour / len(days) / rates * 4).quantize(Decimal("1")) / 4))
        # A week of a person at a time, as the timesheet grid saves it: the budget is checked once a week, not
        # once an entry (a fifth of the seed's time).
        weeks: dict[dt.date, list[dt.date]] = {}
        for day in days:
            weeks.setdefault(week_start(day), []).append(day)
        for person in people:
            for week in weeks.values():
                saved = timesheet.timesheet_week_save(
                    member=person, cells={(project, day): hours for day in week}, actor=self.pm
                )
                self.count("TimeEntry", saved.added)


def seed_agency_world(*, admin: User, pm: User, member_user: User, today: dt.date | None = None) -> Seeded:
    """Create the agency world (idempotent); ``member_user`` must already have a TeamMember.

    ``admin`` heads the agency's departments and writes the quality standard; ``pm`` manages the
    projects. Returns what was created.
    """
    world = _World(admin=admin, pm=pm, member_user=member_user, today=today or timezone.localdate())
    # The projects' kept figures are written once, at the end, not once a time entry, expense or update.
    with transaction.atomic(), figures.deferred():
        world.catalogue()
        world.teams()
        world.clients()
        money.rate_cards_seed(admin=admin, since=world.rate_start, today=world.today, count=world.count)
        standard = world.standard()
        world.letter_templates()
        projects = [world.project(spec, index, standard) for index, spec in enumerate(PROJECTS)]
        world.money_loop(projects)
        world.project_template(projects[0])
        world.conversation(projects[0])
    return Seeded(created=+world.created)  # unary plus: only what was created
