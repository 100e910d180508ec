"""``manage.py import_portfolio --format gmpp FILE [FILE ...]``: import a portfolio.

Thin: the import is ``projects.importers.services.portfolio_import_gmpp``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from projects.importers.services import portfolio_import_gmpp

FORMATS = ("gmpp",)


class Command(BaseCommand):
    help = (
        "Import portfolio files. --format gmpp: UK Government Major Projects Portfolio annual CSVs "
        "(e.g. ../shared/data/real/gmpp_uk/uk_20*.csv), in any order. Running it twice changes nothing. "
        "Row by row: each row is imported or refused on its own; a file that cannot be read (encoding, "
        "unterminated quote, missing columns) imports nothing and the other files go on. A summary per file "
        "lists every refused row and file with its line; the exit status is 1 when anything was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, help=f"file format, one of: {', '.join(FORMATS)}")
        parser.add_argument(
            "--encoding",
            help="the files' encoding (e.g. utf-8, cp1252) instead of the detected one; a byte-order mark still wins",
        )
        parser.add_argument(
            "--strict", action="store_true", help="stop at the first refused file or row and write nothing at all"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="read and check everything, write nothing, print the same summary"
        )
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
            summary = portfolio_import_gmpp(
                paths=paths,
                progress=progress if self.stdout.isatty() else None,
                encoding=options["encoding"],
                strict=options["strict"],
                dry_run=options["dry_run"],
            )
        finally:
            if bar is not None:
                bar.close()
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        self.stdout.write(str(summary))
        imported = 0 if summary.stopped else summary.rows - len(summary.skipped)
        style = self.style.WARNING if summary.refused else self.style.SUCCESS
        self.stdout.write(style(f"Done: {imported} of {summary.rows} rows imported."))
        if summary.refused:
            rows, files = len(summary.skipped), len(summary.refused_files)
            raise CommandError(
                f"{rows} row{'s' if rows != 1 else ''} refused, {files} file{'s' if files != 1 else ''} refused"
                + (" (--strict: nothing written)" if summary.stopped else "")
                + "; each is listed above."
            )
