"""Load demo data and a demo schedule so that `make run` shows the whole job.

Imports the UK GMPP files from settings.APM_REAL_DATA_DIR/gmpp_uk when they
are there (else the small demo set in projects/demo/), creates a demo login
that heads the department with most projects, and a portfolio schedule for
that department that is due now, so that a PDF reaches var/mail/ within a
couple of minutes of start. Safe to run again: nothing is duplicated, the
schedule is simply made due again.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from projects.services import portfolio_import_gmpp

from apm.accounts.models import Role, User
from reports.models import Audience, Frequency, ReportKind, ReportSchedule, Scope
from teams.models import Department

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


class Command(BaseCommand):
    help = "Import the demo portfolio, create the demo login and a demo report schedule that is due now."

    def handle(self, *args, **options) -> None:
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
                    "last_name": "Head",
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
                    # Due at start: the dispatcher picks it up on its next pass.
                    "next_run_at": now,
                    "created_by": user,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD} (heads {department.code}; "
                f"reports go to {user.email}).\n"
                f"Schedule {schedule.name!r} is due now; the email with its PDF lands in "
                f"{getattr(settings, 'EMAIL_FILE_PATH', 'the configured mailbox')}."
            )
        )
