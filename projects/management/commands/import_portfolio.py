"""``manage.py import_portfolio --format gmpp FILE [FILE ...]``: import a portfolio in a known format.

Thin: the import is ``projects.importers.services.portfolio_import_gmpp`` (the mapping import's GMPP preset;
``import_projects --mapping gmpp`` does the same).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.importers.services import portfolio_import_gmpp
from projects.management.commands._importing import RULE, add_common_arguments, run

FORMATS = ("gmpp",)


class Command(BaseCommand):
    help = (
        "Import portfolio files. --format gmpp: UK Government Major Projects Portfolio annual CSVs "
        f"(e.g. ../shared/data/real/gmpp_uk/uk_20*.csv), in any order. {RULE}"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, help=f"file format, one of: {', '.join(FORMATS)}")
        add_common_arguments(parser)
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] not in FORMATS:
            raise CommandError(f"Unknown --format {options['format']!r}; known: {', '.join(FORMATS)}.")
        paths = [Path(name) for name in options["files"]]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}. Nothing imported.")
        run(
            self,
            options,
            lambda progress: portfolio_import_gmpp(
                paths=paths,
                progress=progress,
                encoding=options["encoding"],
                strict=options["strict"],
                dry_run=options["dry_run"],
            ),
        )
