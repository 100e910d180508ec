"""Seed the load test's portfolio: 10,000 projects and 500 people, with bulk_create.

    DJANGO_SETTINGS_MODULE=apm.settings DATABASE_URL=... .venv/bin/python bench/load/seed.py [--force]

Run by ``bench/load/run.py`` (``make load``); usable alone against any
migrated PostgreSQL database. A marker table (``apm_load_seed``) records the
version, the counts and when it was seeded: when the marker holds the current
version the database is reused as it is; ``--force`` empties the app's tables
and seeds again.

What it makes (figures for the defaults):

* 12 departments, each with two heads (logins); one administrator;
* 500 people (``TeamMember``): 150 project managers and the 24 heads with
  logins, 326 team members of whom 60 have logins; skills (3-6 each out of
  40), a cost and bill rate each;
* 1,000 clients with 1,500 contacts, 40 of whom have a portal login;
* 10,000 projects (names from the GMPP files in ``APM_REAL_DATA_DIR`` when
  there, numbered to be unique, else generated): 1-2 departments, their heads
  as reporting heads, a PM, 3-5 team members, 6 status updates with six RAG
  ratings and the narrative, 4 milestones, a budget (settings, 3 lines, a
  current baseline), time entries (about 60 on each open project, 8 on a
  closed one), 2 expenses, 3 deliverables, 3 RAID items, allocations for the
  team of open projects;
* report schedules: client highlight reports for 40 projects and one internal
  portfolio report for the smallest department; ``run.py`` makes them due at
  the start of each run.

Every login's password is ``LOAD_PASSWORD`` (hashed once, copied to all).
Prints the counts and the seconds taken. Deterministic (a fixed random seed).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SEED_VERSION = "2"  # 2: with the projects' kept figures
LOAD_PASSWORD = "apm-load-2026"  # noqa: S105 - a bench login on a throw-away database
MARKER_TABLE = "apm_load_seed"

N_PROJECTS = 10_000
N_PEOPLE = 500
N_DEPARTMENTS = 12
N_PMS = 150
N_MEMBER_LOGINS = 60
N_CLIENTS = 1_000
N_PORTAL_CONTACTS = 40
N_HIGHLIGHT_SCHEDULES = 40
BATCH = 5_000

DEPARTMENTS = [
    ("MOD", "Ministry of Defence"),
    ("DFT", "Department for Transport"),
    ("DHSC", "Department of Health and Social Care"),
    ("HO", "Home Office"),
    ("MOJ", "Ministry of Justice"),
    ("DWP", "Department for Work and Pensions"),
    ("HMRC", "HM Revenue and Customs"),
    ("DFE", "Department for Education"),
    ("DEFRA", "Environment, Food and Rural Affairs"),
    ("BEIS", "Business, Energy and Industrial Strategy"),
    ("FCDO", "Foreign, Commonwealth and Development Office"),
    ("CO", "Cabinet Office"),
]
CATEGORIES = ["ICT", "Infrastructure and Construction", "Military Capability", "Transformation", "Marketing"]
WORDS = [
    "Digital", "Network", "Estate", "Platform", "Data", "Border", "Rail", "Fleet", "Payments", "Customer",
    "Records", "Modernisation", "Renewal", "Gateway", "Programme", "Migration", "Hub", "Service", "Campus", "Link",
]  # fmt: skip
FIRST = ["Alex", "Sam", "Jo", "Priya", "Chen", "Fatima", "Oliver", "Amara", "Lukas", "Sofia", "Kwame", "Hana"]
LAST = ["Smith", "Patel", "Okafor", "Nowak", "García", "Müller", "Tanaka", "Jones", "Ahmed", "Kowalski", "Brown"]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def marker() -> dict | None:
    """The marker row (``{"version", "seeded_at", "projects", "people"}``) or None when not seeded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(version text NOT NULL, seeded_at timestamptz NOT NULL, projects integer, people integer)"
        )
        cursor.execute(f"SELECT version, seeded_at, projects, people FROM {MARKER_TABLE} LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    return {"version": row[0], "seeded_at": row[1], "projects": row[2], "people": row[3]}


def _write_marker(projects: int, people: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, now(), %s, %s)",  # noqa: S608
            [SEED_VERSION, projects, people],
        )


def _empty_tables() -> None:
    """TRUNCATE every table of the app (``--force``), keeping django_migrations."""
    from django.apps import apps
    from django.db import connection

    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(sorted(tables & existing))} RESTART IDENTITY CASCADE")


def _gmpp_names() -> list[tuple[str, str]]:
    """(name, description) pairs from the real GMPP files, or [] when they are not there."""
    from django.conf import settings

    pairs: dict[str, str] = {}
    for path in sorted((Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk").glob("uk_20*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.reader(handle, delimiter=";"):
                if len(row) > 5 and row[2] and row[2] != "project_name":
                    pairs.setdefault(row[2].strip()[:200], row[5].strip()[:2000])
    return list(pairs.items())


def seed(*, projects: int = N_PROJECTS, people: int = N_PEOPLE) -> dict[str, int]:
    """Write the portfolio (see the module docstring); returns row counts by model name."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from apm.accounts.models import Role, User
    from projects.budget import figures
    from projects.models import (
        Allocation,
        Baseline,
        BudgetLine,
        Client,
        ClientContact,
        Deliverable,
        Expense,
        Milestone,
        Project,
        ProjectBudget,
        RaidItem,
        StatusUpdate,
        TimeEntry,
    )
    from reports.models import Audience, Frequency, ReportKind, ReportSchedule, Scope
    from teams.models import Department, MemberRate, MemberSkill, Skill, SkillCategory, TeamMember

    rng = random.Random(20260901)
    today = timezone.localdate()
    now = timezone.now()
    password = make_password(LOAD_PASSWORD)
    counts: dict[str, int] = {}

    def bulk(model, rows: list) -> list:
        created = model.objects.bulk_create(rows, batch_size=BATCH)
        counts[model.__name__] = counts.get(model.__name__, 0) + len(rows)
        return created

    def through(field, rows: list[tuple[int, int]], a: str, b: str) -> None:
        model = field.through
        model.objects.bulk_create([model(**{a: x, b: y}) for x, y in rows], batch_size=BATCH)
        counts[model.__name__] = counts.get(model.__name__, 0) + len(rows)

    with transaction.atomic():
        departments = bulk(Department, [Department(code=c, name=n) for c, n in DEPARTMENTS[:N_DEPARTMENTS]])
        admin = User(
            username="load-admin", email="admin@load.example", role=Role.ADMINISTRATOR, is_staff=True, password=password
        )
        heads = [
            User(
                username=f"head{i:02d}",
                email=f"head{i:02d}@load.example",
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                role=Role.DEPARTMENT_HEAD,
                password=password,
            )
            for i in range(2 * len(departments))
        ]
        pms = [
            User(
                username=f"pm{i:03d}",
                email=f"pm{i:03d}@load.example",
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                role=Role.PROJECT_MANAGER,
                password=password,
            )
            for i in range(N_PMS)
        ]
        members_u = [
            User(
                username=f"member{i:03d}",
                email=f"member{i:03d}@load.example",
                role=Role.TEAM_MEMBER,
                password=password,
            )
            for i in range(N_MEMBER_LOGINS)
        ]
        bulk(User, [admin, *heads, *pms, *members_u])
        heads = list(User.objects.filter(role=Role.DEPARTMENT_HEAD).order_by("username"))
        pms = list(User.objects.filter(role=Role.PROJECT_MANAGER).order_by("username"))
        members_u = list(User.objects.filter(role=Role.TEAM_MEMBER).order_by("username"))
        through(
            Department.heads,
            [(d.pk, heads[2 * i + k].pk) for i, d in enumerate(departments) for k in (0, 1)],
            "department_id",
            "user_id",
        )

        # People: logins first (PMs, heads, members with logins), then the rest.
        login_people = [*pms, *heads, *members_u]
        team = []
        for i in range(people):
            user = login_people[i] if i < len(login_people) else None
            name = user.get_full_name() if user and user.first_name else f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
            team.append(
                TeamMember(
                    user=user,
                    name=name,
                    email=user.email if user else f"person{i:03d}@load.example",
                    department=departments[i % len(departments)],
                    job_title=rng.choice(["Analyst", "Engineer", "Designer", "Consultant", "Project manager"]),
                )
            )
        team = bulk(TeamMember, team)
        category = SkillCategory.objects.create(name="Load test skills")
        skills = bulk(Skill, [Skill(name=f"Skill {w} {i}", category=category) for i, w in enumerate(WORDS * 2)])
        bulk(
            MemberSkill,
            [
                MemberSkill(member=m, skill=s, level=rng.randint(1, 5))
                for m in team
                for s in rng.sample(skills, rng.randint(3, 6))
            ],
        )
        bulk(
            MemberRate,
            [
                MemberRate(
                    member=m,
                    cost_rate=Decimal(rng.randrange(35, 95)),
                    bill_rate=Decimal(rng.randrange(95, 180)),
                    valid_from=dt.date(2015, 1, 1),
                )
                for m in team
            ],
        )

        clients = bulk(Client, [Client(name=f"Client {i:04d} {rng.choice(WORDS)} Ltd") for i in range(N_CLIENTS)])
        portal_users = bulk(
            User,
            [
                User(
                    username=f"client{i:02d}",
                    email=f"client{i:02d}@client.example",
                    role=Role.CLIENT_CONTACT,
                    password=password,
                )
                for i in range(N_PORTAL_CONTACTS)
            ],
        )
        portal_users = list(User.objects.filter(role=Role.CLIENT_CONTACT).order_by("username"))
        contacts = []
        for i in range(N_CLIENTS + N_CLIENTS // 2):
            client = clients[i % N_CLIENTS]
            user = portal_users[i] if i < len(portal_users) else None
            contacts.append(
                ClientContact(
                    client=client,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    email=user.email if user else f"contact{i:04d}@client.example",
                    user=user,
                    opted_in_reports=i % 3 == 0,
                )
            )
        contacts = bulk(ClientContact, contacts)

        names = _gmpp_names() or [(f"{a} {b}", "") for a in WORDS for b in WORDS if a != b]
        project_rows = []
        for i in range(projects):
            name, description = names[i % len(names)]
            status = rng.choices(["active", "pipeline", "on_hold", "closed"], weights=[25, 5, 5, 65])[0]
            start = today - dt.timedelta(days=rng.randint(30, 3000))
            project_rows.append(
                Project(
                    code=f"LD-{i:05d}",
                    name=f"{name} ({i // len(names) + 1})" if i >= len(names) else name,
                    reference=f"LOAD_{i:05d}",
                    client=clients[i % N_CLIENTS],
                    project_manager=pms[i % N_PMS],
                    category=rng.choice(CATEGORIES),
                    description=description,
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randint(180, 2500)),
                    bac=Decimal(rng.randrange(50_000, 50_000_000)),
                    status=status,
                    rag=rng.choice(["green", "amber", "red"]),
                )
            )
        projects_db = bulk(Project, project_rows)
        is_open = {p.pk: p.status != "closed" for p in projects_db}

        dept_links, head_links, team_links, allocations = [], [], [], []
        members_by_dept: dict[int, list[TeamMember]] = {}
        for m in team:
            members_by_dept.setdefault(m.department_id, []).append(m)
        smallest = None
        for i, p in enumerate(projects_db):
            depts = [departments[i % len(departments)]]
            if rng.random() < 0.15:
                depts.append(departments[(i * 7 + 3) % len(departments)])
            depts = list({d.pk: d for d in depts}.values())
            for d in depts:
                dept_links.append((p.pk, d.pk))
                head_links.append((p.pk, heads[2 * departments.index(d)].pk))
            chosen = rng.sample(members_by_dept[depts[0].pk], rng.randint(3, 5))
            for m in chosen:
                team_links.append((p.pk, m.pk))
                if is_open[p.pk]:
                    allocations.append(
                        Allocation(
                            project=p,
                            member=m,
                            role_title=m.job_title,
                            hours_per_week=Decimal(rng.choice([4, 8, 12, 16])),
                            start_date=today - dt.timedelta(days=60),
                            end_date=today + dt.timedelta(days=rng.randint(30, 300)),
                        )
                    )
        through(Project.departments, dept_links, "project_id", "department_id")
        through(Project.reporting_heads, head_links, "project_id", "user_id")
        through(Project.team_members, team_links, "project_id", "teammember_id")
        bulk(Allocation, allocations)

        ratings = [
            ("Green", "green"),
            ("Amber/Green", "green"),
            ("Amber", "amber"),
            ("Amber/Red", "red"),
            ("Red", "red"),
        ]
        updates, milestones, budgets, lines, baselines, expenses, deliverables, raid = [], [], [], [], [], [], [], []
        for p in projects_db:
            for k in range(6):
                published, rag = rng.choice(ratings)
                updates.append(
                    StatusUpdate(
                        project=p,
                        as_of=today - dt.timedelta(weeks=k * (1 if is_open[p.pk] else 26) + 1),
                        source="load",
                        rating_published=published,
                        rag=rag,
                        rag_time=rng.choice(["green", "amber", "red"]),
                        rag_cost=rng.choice(["green", "amber", "red"]),
                        rag_scope="green",
                        rag_quality=rng.choice(["green", "amber"]),
                        rag_risk=rng.choice(["green", "amber", "red"]),
                        commentary_overall="Steady progress this period; two risks need the client's attention.",
                        work_done="Finished the discovery workshops.\nSigned off the data mapping.",
                        work_planned="Build the first release and test it with the client's team.",
                        decisions_needed="Approve the release window",
                        risks_issues="Supplier capacity in June",
                        budget_period=Decimal("100000"),
                        forecast_period=Decimal(rng.randrange(90_000, 120_000)),
                        percent_complete=Decimal(min(100, 10 + 15 * (5 - k))),
                        author=p.project_manager,
                    )
                )
            for k in range(4):
                due = p.start_date + dt.timedelta(days=(k + 1) * (p.end_date - p.start_date).days // 4)
                milestones.append(
                    Milestone(
                        project=p,
                        name=f"Stage {k + 1} gate",
                        due_date=due,
                        completed_on=due if due < today else None,
                        weight=Decimal(25),
                    )
                )
            budgets.append(ProjectBudget(project=p, contingency_reserve=p.bac / 10))
            split = [Decimal("0.6"), Decimal("0.3"), Decimal("0.1")]
            for cat, share in zip(["labour", "subcontractors", "materials"], split, strict=True):
                lines.append(BudgetLine(project=p, category=cat, description=f"{cat} budget", amount=p.bac * share))
            baselines.append(
                Baseline(
                    project=p,
                    number=1,
                    reason="Initial baseline",
                    bac=p.bac,
                    contingency_reserve=p.bac / 10,
                    currency="GBP",
                    start_date=p.start_date,
                    end_date=p.end_date,
                )
            )
            for _ in range(2):
                expenses.append(
                    Expense(
                        project=p,
                        date=today - dt.timedelta(days=rng.randint(1, 300)),
                        amount=Decimal(rng.randrange(100, 20_000)),
                        currency="GBP",
                        category=rng.choice(["travel", "materials", "other"]),
                        supplier=f"{rng.choice(WORDS)} Supplies",
                    )
                )
            for k in range(3):
                due = today + dt.timedelta(days=rng.randint(-120, 240))
                deliverables.append(
                    Deliverable(
                        project=p,
                        name=f"{rng.choice(WORDS)} deliverable {k + 1}",
                        owner=p.project_manager,
                        start_date=due - dt.timedelta(days=60),
                        due_date=due,
                        status=rng.choice(["not_started", "in_progress", "in_review", "accepted"]),
                        percent_complete=rng.choice([0, 25, 50, 75, 100]),
                        acceptance_criteria=["Reviewed by the client", "Tested"],
                    )
                )
            for kind in ("risk", "issue", "assumption"):
                raid.append(
                    RaidItem(
                        project=p,
                        kind=kind,
                        title=f"{rng.choice(WORDS)} {kind}",
                        owner=p.project_manager,
                        raised_by=p.project_manager,
                        raised_at=now - dt.timedelta(days=rng.randint(1, 200)),
                        probability=rng.randint(1, 5) if kind == "risk" else None,
                        impact=rng.randint(1, 5) if kind == "risk" else None,
                        severity=rng.choice(["low", "medium", "high"]) if kind == "issue" else "",
                        status=rng.choice(["open", "monitoring", "closed"]),
                    )
                )
        bulk(StatusUpdate, updates)
        bulk(Milestone, milestones)
        bulk(ProjectBudget, budgets)
        bulk(BudgetLine, lines)
        bulk(Baseline, baselines)
        bulk(Expense, expenses)
        bulk(Deliverable, deliverables)
        bulk(RaidItem, raid)
        del updates, milestones, budgets, lines, baselines, expenses, deliverables, raid

        rates = {r.member_id: r.cost_rate for r in MemberRate.objects.all()}
        entries = []
        for p_pk, m_pk in team_links:
            n = 15 if is_open[p_pk] else 2
            for _ in range(n):
                hours = Decimal(rng.choice([2, 4, 6, 7.5]))
                entries.append(
                    TimeEntry(
                        member_id=m_pk,
                        project_id=p_pk,
                        date=today - dt.timedelta(days=rng.randint(1, 180)),
                        hours=hours,
                        cost_rate=rates[m_pk],
                        cost=(hours * rates[m_pk]).quantize(Decimal("0.01")),
                        currency="GBP",
                    )
                )
            if len(entries) >= 50_000:
                bulk(TimeEntry, entries)
                entries = []
        bulk(TimeEntry, entries)

        # Schedules: client highlight reports for open projects whose client has an opted-in contact,
        # and one internal portfolio report for the department with the fewest projects.
        opted = {c.client_id for c in contacts if c.opted_in_reports}
        highlight = [p for p in projects_db if is_open[p.pk] and p.client_id in opted][:N_HIGHLIGHT_SCHEDULES]
        schedules = [
            ReportSchedule(
                name=f"Load: highlight {p.code}",
                kind=ReportKind.HIGHLIGHT,
                audience=Audience.CLIENT,
                scope=Scope.PROJECT,
                project=p,
                frequency=Frequency.WEEKLY,
                weekdays=[1],
                local_time=dt.time(8, 0),
                send_to_reporting_heads=False,
                send_to_client_contacts=True,
                next_run_at=None,
                created_by=p.project_manager,
            )
            for p in highlight
        ]
        smallest = departments[-1]
        schedules.append(
            ReportSchedule(
                name=f"Load: portfolio {smallest.code}",
                kind=ReportKind.PORTFOLIO,
                audience=Audience.INTERNAL,
                scope=Scope.DEPARTMENT,
                department=smallest,
                frequency=Frequency.WEEKLY,
                weekdays=[1],
                local_time=dt.time(8, 0),
                send_to_reporting_heads=True,
                next_run_at=None,
                created_by=admin,
            )
        )
        bulk(ReportSchedule, schedules)
        # bulk_create sends no signals: the projects' kept figures are written here, as the app keeps them.
        figures.refresh(Project.objects.values_list("pk", flat=True))
        _write_marker(projects, people)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="empty the app's tables and seed again")
    parser.add_argument("--projects", type=int, default=N_PROJECTS)
    parser.add_argument("--people", type=int, default=N_PEOPLE)
    args = parser.parse_args()
    _setup_django()
    found = marker()
    if found and found["version"] == SEED_VERSION and not args.force:
        print(
            f"Reusing the seeded database: {found['projects']} projects, {found['people']} people "
            f"(seeded {found['seeded_at']:%Y-%m-%d %H:%M}; --force to seed again)."
        )
        return 0
    if found or args.force:
        _empty_tables()
    started = time.perf_counter()
    counts = seed(projects=args.projects, people=args.people)
    seconds = time.perf_counter() - started
    print(f"Seeded in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
