"""``manage.py run_due_reports``: one dispatch pass, printing the reports it created."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.services import reports_dispatch_due


class Command(BaseCommand):
    help = "Create the reports of every schedule that is due now and queue their rendering."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        reports = reports_dispatch_due(now=now)
        for report in reports:
            self.stdout.write(
                f"Report {report.pk}: {report.title} (schedule {report.schedule_id}, "
                f"occurrence {report.scheduled_for:%Y-%m-%d %H:%M} UTC, "
                f"period {report.period_start} to {report.period_end})"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} report(s) queued at {now:%Y-%m-%d %H:%M:%S} UTC."))
