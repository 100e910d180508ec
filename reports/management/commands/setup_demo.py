"""Load demo data and a demo schedule so that `make run` shows the whole job.

Imports the UK GMPP files from settings.APM_REAL_DATA_DIR/gmpp_uk when they
are there (else the small demo set in projects/demo/), creates a demo login
that heads the department with most projects, and a portfolio schedule for
that department that is due now, so that a PDF reaches var/mail/ within a
couple of minutes of start. Then it seeds the small invented agency world of
projects/demo/world.py (clients, people, skills, three projects managed by
``pm`` with ``member`` on the team and ``client`` as the client contact of
HLF-WEB, a fourth in euros staffed from Dublin) and its money loop
(projects/demo/money.py: rate cards, approved and rejected time, billing,
margin targets, exchange rates), so every page has something to show. Safe to
run again: nothing is duplicated, the schedule is simply made due again.
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
from projects.demo.world import DEPARTMENT_CODES, seed_agency_world
from projects.importers.services import portfolio_import_gmpp
from projects.models import ClientContact
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


def _demo_people(department: Department) -> tuple[User, User]:
    """A PM, a team member (a person of ``department``) and a client contact login. Idempotent. The agency
    world (projects/demo/world.py) gives them their projects and the client login its contact.
    Returns the PM and the member logins."""
    pm = _demo_user("pm", "Paula", "Manning", Role.PROJECT_MANAGER)
    member_user = _demo_user("member", "Tom", "Morgan", Role.TEAM_MEMBER)
    _demo_user("client", "Carla", "Client", Role.CLIENT_CONTACT)
    member, _ = TeamMember.objects.get_or_create(
        user=member_user, defaults={"name": "Tom Morgan", "email": member_user.email, "department": department}
    )
    if not member.rates.exists():
        member_rate_set(member=member, cost_rate=Decimal("55"), bill_rate=Decimal("95"), valid_from=dt.date(2015, 1, 1))
    return pm, member_user


def _logins() -> list[str]:
    """The other demo logins as "username (role)" strings."""
    contact = ClientContact.objects.filter(user__username="client").select_related("client").first()
    of = f" of {contact.client}" if contact is not None else ""
    return ["pm (project manager)", "member (team member)", f"client (client contact{of})"]


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
            department = (
                Department.objects.exclude(code__in=DEPARTMENT_CODES)
                .annotate(n=Count("projects"))
                .order_by("-n", "code")
                .first()
            )
            if department is None:
                self.stderr.write("No department was imported; no schedule created.")
                return
            department.heads.add(user)
            pm, member_user = _demo_people(department)
            world = seed_agency_world(admin=user, pm=pm, member_user=member_user)
            logins = _logins()
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
        self.stdout.write(str(world))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD} (administrator, heads {department.code}; "
                f"reports go to {user.email}).\n"
                f"Same password for: {', '.join(logins)}.\n"
                f"Schedule {schedule.name!r} is due now; the email with its PDF lands in "
                f"{getattr(settings, 'EMAIL_FILE_PATH', 'the configured mailbox')}."
            )
        )
