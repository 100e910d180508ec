"""``manage.py refresh_figures [--all]``: write the projects' kept figures (``projects.budget.figures``).

Without ``--all``, only the projects beat's ``refresh_project_figures`` would
write: those without a row and those whose row waits for a day that has come.
``--all`` writes every project's row again from its time, expenses, budget
lines and status updates, e.g. after rows were changed in the database by hand.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from projects.budget import figures
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Write the projects' kept sums (budget lines, time and expense cost, percent complete, latest RAGs): "
        "by default those missing or whose day has come, with --all every project's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Write every project's figures, not only those due.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            ids = list(Project.objects.values_list("pk", flat=True))
            figures.refresh(ids)
            count = len(ids)
        else:
            count = figures.refresh_due()
        self.stdout.write(f"Figures written for {count} project{'' if count == 1 else 's'}.")
