"""What the portfolio import commands share: the progress bar, the summary and the exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from projects.importers.services import ImportSummary, Progress

RULE = (
    "Row by row: each row is imported or refused on its own; a file that cannot be read (encoding, "
    "unterminated quote, missing columns) imports nothing and the other files go on. A summary per file "
    "lists every refused row and file with its line; the exit status is 1 when anything was refused. "
    "Running it twice changes nothing."
)


def add_common_arguments(parser: Any) -> None:
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


def run(command: BaseCommand, options: dict[str, Any], do_import: Callable[[Progress | None], ImportSummary]) -> None:
    """Run ``do_import`` with a progress bar on a terminal, print its summary, exit 1 when anything was refused."""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="row", desc="Importing", file=sys.stderr)
        bar.update(1)

    try:
        summary = do_import(progress if command.stdout.isatty() else None)
    finally:
        if bar is not None:
            bar.close()
    if options["dry_run"]:
        command.stdout.write("Dry run: nothing was written.")
    command.stdout.write(str(summary))
    imported = 0 if summary.stopped else summary.rows - len(summary.skipped)
    style = command.style.WARNING if summary.refused else command.style.SUCCESS
    command.stdout.write(style(f"Done: {imported} of {summary.rows} rows imported."))
    if summary.refused:
        rows, files = len(summary.skipped), len(summary.refused_files)
        raise CommandError(
            f"{rows} row{'s' if rows != 1 else ''} refused, {files} file{'s' if files != 1 else ''} refused"
            + (" (--strict: nothing written)" if summary.stopped else "")
            + "; each is listed above."
        )
