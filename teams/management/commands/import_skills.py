"""``manage.py import_skills --format onet [DIR]``: load the skill catalogue (thin: see teams.services)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from teams.importers.onet import OnetFormatError
from teams.services import skill_catalogue_import_onet

FORMATS = ("onet",)


class Command(BaseCommand):
    help = (
        "Import the skill catalogue. --format onet: the O*NET 29.2 text files in DIR (default: "
        "APM_REAL_DATA_DIR/onet): 35 skills in 7 groups, technologies by commodity, occupations as roles. "
        "Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, help=f"file format, one of: {', '.join(FORMATS)}")
        parser.add_argument("directory", nargs="?", metavar="DIR")

    def handle(self, *args, **options) -> None:
        if options["format"] not in FORMATS:
            raise CommandError(f"Unknown --format {options['format']!r}; known: {', '.join(FORMATS)}.")
        directory = Path(options["directory"] or Path(settings.APM_REAL_DATA_DIR) / "onet")
        if not directory.is_dir():
            raise CommandError(f"No such folder: {directory}. Nothing imported.")
        try:
            summary = skill_catalogue_import_onet(directory=directory)
        except OnetFormatError as exc:
            raise CommandError(f"{exc} Nothing imported.") from exc
        self.stdout.write(str(summary))
        self.stdout.write(self.style.SUCCESS("Done." if summary.changed else "Done: nothing changed."))
