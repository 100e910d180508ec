"""``manage.py staffing_suggest --project CODE [--role ID] [--limit N] [--json]``: rank candidates
for a project's open roles, as the team page does (thin: see projects.staffing.selectors)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import OpenRole, OpenRoleStatus, Project
from projects.staffing.selectors import staffing_suggestions


class Command(BaseCommand):
    help = "Rank people for a project's open roles by skill fit and free hours (ties: fit, free hours, name, id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, metavar="CODE")
        parser.add_argument("--role", type=int, help="one open role's id (default: every open role)")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with code {options['project']!r}.")
        roles = OpenRole.objects.filter(project=project, status=OpenRoleStatus.OPEN).order_by("start_date", "pk")
        if options["role"]:
            roles = roles.filter(pk=options["role"])
        out: list[dict[str, Any]] = []
        for role in roles:
            suggestions = staffing_suggestions(role=role, limit=max(1, options["limit"]))
            out.append(
                {
                    "role": {
                        "id": role.pk,
                        "title": role.title,
                        "hours_per_week": str(role.hours_per_week),
                        "start": role.start_date.isoformat(),
                        "end": role.end_date.isoformat(),
                    },
                    "candidates": [
                        {
                            "rank": s.rank,
                            "member_id": s.person.id,
                            "name": s.person.name,
                            "score": s.score,
                            "fit": s.fit.percent,
                            "availability": s.availability.percent,
                            "reason": s.reason,
                        }
                        for s in suggestions
                    ],
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps({"project": project.code, "roles": out}, indent=2, ensure_ascii=False))
            return
        if not out:
            self.stdout.write(f"{project.code} has no open roles.")
        for item in out:
            shown = item["role"]
            self.stdout.write(
                f"{shown['title']} ({shown['hours_per_week']} h/week, {shown['start']} to {shown['end']})"
            )
            for c in item["candidates"]:
                self.stdout.write(
                    f"  {c['rank']:>2}. {c['name']} score {c['score']}% fit {c['fit']}% free {c['availability']}%"
                    f" · {c['reason']}"
                )
            if not item["candidates"]:
                self.stdout.write("  nobody holds any of the skills needed")
