"""Load demo data and a demo schedule so that `make run` shows the whole job.

Imports the UK GMPP files from settings.APM_REAL_DATA_DIR/gmpp_uk when they
are there (else the small demo set in projects/demo/), creates a demo login
that heads the department with most projects, and a portfolio schedule for
that department that is due now, so that a PDF reaches var/mail/ within a
couple of minutes of start. Safe to run again: nothing is duplicated, the
schedule is simply made due again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apm.accounts.models import Role, User
from projects.importers.services import portfolio_import_gmpp
from projects.models import ClientContact, Project
from reports.models import Audience, Frequency, ReportKind, ReportSchedule, Scope
from teams.models import Department, TeamMember
from teams.services import member_rate_set

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "apm-demo-2026"  # noqa: S105 - printed on purpose: a local demo login
DEMO_EMAIL = "demo.head@apm.localhost"


def demo_portfolio_files() -> tuple[list[Path], str]:
    """The GMPP files to import and where they come from ("real" or "demo")."""
    real = sorted((Path(settings.APM_REAL_DATA_DIR) / "gmpp_uk").glob("uk_20*.csv"))
    if real:
        return real, "real"
    demo_dir = Path(settings.BASE_DIR) / "projects" / "demo"
    return sorted(demo_dir.glob("*.csv")), "demo"


def _demo_user(username: str, first: str, last: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@apm.localhost", "first_name": first, "last_name": last, "role": role},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _demo_people(department: Department) -> list[str]:
    """A PM, a team member and a client contact on three of ``department``'s projects, so every
    role has something to see. Idempotent. Returns the logins as "username (role)" strings."""
    # Projects still reported on (they carry a GMPP number from 2020 on) rather than long-closed ones.
    candidates = Project.objects.filter(departments=department).select_related("client")
    projects = list(candidates.exclude(reference=None).order_by("code")[:3]) or list(candidates.order_by("code")[:3])
    if not projects:
        return []
    pm = _demo_user("pm", "Paula", "Manning", Role.PROJECT_MANAGER)
    member_user = _demo_user("member", "Tom", "Morgan", Role.TEAM_MEMBER)
    client_user = _demo_user("client", "Carla", "Client", Role.CLIENT_CONTACT)
    member, _ = TeamMember.objects.get_or_create(
        user=member_user, defaults={"name": "Tom Morgan", "email": member_user.email, "department": department}
    )
    if not member.rates.exists():
        member_rate_set(member=member, cost_rate=Decimal("55"), bill_rate=Decimal("95"), valid_from=dt.date(2015, 1, 1))
    for project in projects:
        if project.project_manager_id is None:
            project.project_manager = pm
            project.save(update_fields=["project_manager", "updated_at"])
        project.team_members.add(member)
    client = projects[0].client
    if client is not None:
        ClientContact.objects.get_or_create(
            client=client,
            email=client_user.email,
            defaults={"name": "Carla Client", "user": client_user, "opted_in_reports": True},
        )
    return ["pm (project manager)", "member (team member)", f"client (client contact of {client})"]


class Command(BaseCommand):
    help = "Import the demo portfolio, create the demo login and a demo report schedule that is due now."

    def handle(self, *args: Any, **options: Any) -> None:
        files, origin = demo_portfolio_files()
        self.stdout.write(f"Importing the {origin} portfolio: {len(files)} file(s)")
        summary = portfolio_import_gmpp(paths=files)
        self.stdout.write(str(summary))

        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=DEMO_USERNAME,
                defaults={
                    "email": DEMO_EMAIL,
                    "first_name": "Demo",
                    "last_name": "Administrator",
                    "role": Role.ADMINISTRATOR,
                    "is_staff": True,
                    "is_superuser": True,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            department = Department.objects.annotate(n=Count("projects")).order_by("-n", "code").first()
            if department is None:
                self.stderr.write("No department was imported; no schedule created.")
                return
            department.heads.add(user)
            logins = _demo_people(department)
            now = timezone.now()
            schedule, _ = ReportSchedule.objects.update_or_create(
                name=f"Demo: weekly portfolio report for {department.code}",
                defaults={
                    "kind": ReportKind.PORTFOLIO,
                    "audience": Audience.INTERNAL,
                    "scope": Scope.DEPARTMENT,
                    "department": department,
                    "frequency": Frequency.WEEKLY,
                    "weekdays": [1],
                    "local_time": timezone.localtime(now).time().replace(second=0, microsecond=0),
                    "time_zone": settings.TIME_ZONE,
                    "send_to_reporting_heads": True,
                    "active": True,
                    "paused_reason": "",
                    # Due at start: the dispatcher picks it up on its next pass.
                    "next_run_at": now,
                    "created_by": user,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD} (administrator, heads {department.code}; "
                f"reports go to {user.email}).\n"
                f"Same password for: {', '.join(logins)}.\n"
                f"Schedule {schedule.name!r} is due now; the email with its PDF lands in "
                f"{getattr(settings, 'EMAIL_FILE_PATH', 'the configured mailbox')}."
            )
        )
