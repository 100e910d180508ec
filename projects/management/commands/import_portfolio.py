"""``manage.py import_portfolio --format gmpp FILE [FILE ...]``: import a portfolio.

Thin: the import is ``projects.importers.services.portfolio_import_gmpp``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from projects.importers.services import GmppFormatError, portfolio_import_gmpp

FORMATS = ("gmpp",)


class Command(BaseCommand):
    help = (
        "Import portfolio files. --format gmpp: UK Government Major Projects Portfolio annual CSVs "
        "(e.g. ../shared/data/real/gmpp_uk/uk_20*.csv), in any order. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, help=f"file format, one of: {', '.join(FORMATS)}")
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] not in FORMATS:
            raise CommandError(f"Unknown --format {options['format']!r}; known: {', '.join(FORMATS)}.")
        paths = [Path(name) for name in options["files"]]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}. Nothing imported.")

        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="row", desc="Importing", file=sys.stderr)
            bar.update(1)

        try:
            summary = portfolio_import_gmpp(paths=paths, progress=progress if self.stdout.isatty() else None)
        except GmppFormatError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(str(summary))
        style = self.style.WARNING if summary.skipped else self.style.SUCCESS
        self.stdout.write(style(f"Done: {summary.rows - len(summary.skipped)} of {summary.rows} rows imported."))
