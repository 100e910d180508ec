"""Render one report on demand to a PDF file (period ending today), of any kind of the registry.

    python manage.py render_report --kind portfolio --department MOD --audience internal --output mod.pdf
    python manage.py render_report --kind highlight --project ALPHA-1 --audience client --output alpha.pdf
    python manage.py render_report --kind quality --department MOD --output mod-quality.pdf
    python manage.py render_report --kind exception --exception 12 --output alpha-exception.pdf

The kind's module (``reports/kinds/``) says which scopes and audiences it
covers and titles the report; an exception report is about one broken
tolerance (``--exception ID``, a ToleranceException). "What changed"
compares with the latest rendered report of the same kind, audience and
scope, when there is one. Nothing is stored in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from projects.models import Project, ToleranceException
from reports.kinds import KINDS, kind_for
from reports.kinds.exception import subject as exception_subject
from reports.models import Audience, Report, ReportStatus, Scope
from reports.rendering import report_render_snapshot
from reports.snapshot import report_build_snapshot
from teams.models import Department


class Command(BaseCommand):
    help = "Render a report of any kind (portfolio, highlight, quality, exception) to a PDF file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--department", metavar="CODE", help="Department code (any case).")
        parser.add_argument("--project", metavar="CODE", help="Project code.")
        parser.add_argument(
            "--exception", metavar="ID", type=int, help="The tolerance exception an exception report is about."
        )
        parser.add_argument("--audience", default=Audience.INTERNAL, choices=Audience.values)
        parser.add_argument("--output", required=True, metavar="FILE.pdf", type=Path)

    def handle(
        self,
        *args: Any,
        kind: str,
        department: str | None,
        project: str | None,
        exception: int | None,
        audience: str,
        output: Path,
        **options: Any,
    ) -> None:
        spec = kind_for(kind)
        if spec.about_exception:
            if exception is None or department or project:
                raise CommandError(
                    f"An {spec.label.lower()} is about one broken tolerance: give --exception ID "
                    "(and neither --department nor --project)."
                )
        elif exception is not None:
            raise CommandError(f"--exception is for exception reports, not for a {spec.label.lower()}.")
        elif bool(department) == bool(project):
            raise CommandError("Give --department CODE or --project CODE (one of them, not both).")
        output = Path(output)
        if output.suffix.lower() != ".pdf":
            raise CommandError(f"--output must name a .pdf file, not {str(output)!r}.")
        if not output.parent.is_dir():
            raise CommandError(f"Folder {str(output.parent)!r} does not exist.")

        scope_kwargs: dict[str, Any]
        if exception is not None:
            found_exception = ToleranceException.objects.select_related("project").filter(pk=exception).first()
            if found_exception is None:
                raise CommandError(f"No tolerance exception with id {exception}.")
            scope_kwargs = {"scope": Scope.PROJECT, "project": found_exception.project}
            subject = exception_subject(found_exception)
        elif department:
            found_department = Department.objects.filter(code__iexact=department.strip()).first()
            if found_department is None:
                raise CommandError(f"No department with code {department!r}.")
            scope_kwargs = {"scope": Scope.DEPARTMENT, "department": found_department}
            subject = found_department.name or found_department.code
        else:
            found_project = Project.objects.filter(code=(project or "").strip()).first()
            if found_project is None:
                raise CommandError(f"No project with code {project!r}.")
            scope_kwargs = {"scope": Scope.PROJECT, "project": found_project}
            subject = found_project.name
        refusal = spec.refusal(scope=scope_kwargs["scope"], audience=audience)
        if refusal:
            raise CommandError(refusal)

        period_end = timezone.localdate()
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
            title=spec.title(subject=subject, on=period_end),
            previous_snapshot=previous,
            tolerance_exception_id=exception,
            **scope_kwargs,
        )
        rendered = report_render_snapshot(snapshot)
        output.write_bytes(rendered.pdf)
        pages = rendered.page_count
        self.stdout.write(f"{pages} page{'s' if pages != 1 else ''} written to {output}")
