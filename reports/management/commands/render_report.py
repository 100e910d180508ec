"""Render one report on demand to a PDF file (period ending today).

    python manage.py render_report --kind portfolio --department MOD --audience internal --output mod.pdf
    python manage.py render_report --kind highlight --project ALPHA-1 --audience client --output alpha.pdf

"What changed" compares with the latest rendered report of the same kind,
audience and scope, when there is one. Nothing is stored in the database.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from projects.models import Project
from reports.models import Audience, Report, ReportKind, ReportStatus
from reports.rendering import format_date, report_render_snapshot
from reports.snapshot import report_build_snapshot
from teams.models import Department


class Command(BaseCommand):
    help = "Render a portfolio or highlight report for a department or a project to a PDF file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=ReportKind.values)
        parser.add_argument("--department", metavar="CODE", help="Department code (any case).")
        parser.add_argument("--project", metavar="CODE", help="Project code.")
        parser.add_argument("--audience", default=Audience.INTERNAL, choices=Audience.values)
        parser.add_argument("--output", required=True, metavar="FILE.pdf", type=Path)

    def handle(
        self, *args, kind: str, department: str | None, project: str | None, audience: str, output: Path, **options
    ) -> None:
        if bool(department) == bool(project):
            raise CommandError("Give --department CODE or --project CODE (one of them, not both).")
        output = Path(output)
        if output.suffix.lower() != ".pdf":
            raise CommandError(f"--output must name a .pdf file, not {str(output)!r}.")
        if not output.parent.is_dir():
            raise CommandError(f"Folder {str(output.parent)!r} does not exist.")

        period_end = timezone.localdate()
        if department:
            found = Department.objects.filter(code__iexact=department.strip()).first()
            if found is None:
                raise CommandError(f"No department with code {department!r}.")
            scope_kwargs = {"scope": "department", "department": found}
            subject = found.name or found.code
        else:
            found = Project.objects.filter(code=project.strip()).first()
            if found is None:
                raise CommandError(f"No project with code {project!r}.")
            scope_kwargs = {"scope": "project", "project": found}
            subject = found.name
        label = "portfolio report" if kind == ReportKind.PORTFOLIO else "highlight report"
        title = f"{subject}: {label}, {format_date(period_end)}"

        previous = (
            Report.objects.filter(
                kind=kind, audience=audience, status=ReportStatus.RENDERED, snapshot__isnull=False, **scope_kwargs
            )
            .order_by("-period_end", "-pk")
            .values_list("snapshot", flat=True)
            .first()
        )
        snapshot = report_build_snapshot(
            kind=kind,
            audience=audience,
            period_start=None,
            period_end=period_end,
            title=title,
            previous_snapshot=previous,
            **scope_kwargs,
        )
        rendered = report_render_snapshot(snapshot)
        output.write_bytes(rendered.pdf)
        pages = rendered.page_count
        self.stdout.write(f"{pages} page{'s' if pages != 1 else ''} written to {output}")
