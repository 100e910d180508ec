"""``manage.py import RESOURCE FILE``: django-import-export's generic import, for validating resources only.

django-import-export's own ``import`` command builds a resource for any model
label (``projects.Project``) that writes rows without ``full_clean``, so a
blank or invalid row became a blank project; and it exits 0 when rows fail
validation. This command takes its place (``apm`` comes before
``import_export`` in ``INSTALLED_APPS``):

* a resource that does not clean its model instances
  (``Meta.clean_model_instances``) is refused, which refuses every bare model
  label: projects come in through ``import_portfolio``, people, skills and
  levels through ``teams.resources`` (or the admin's import, which uses them);
* a text file (CSV …) is decoded by ``apm.tabular.decode``: a byte-order
  mark is dropped, ``--encoding`` or else the bytes name the encoding, and a
  file that cannot be read or decoded is a command error naming it;
* a file is all or nothing, as in the admin's import: one invalid row and
  nothing is written, every invalid row is listed with its line (the header
  is line 1), and the command fails (exit status 1).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from import_export.command_utils import get_format_class, get_resource_class
from import_export.resources import ModelResource
from import_export.results import RowResult

from apm.tabular import TableError, decode


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file through a django-import-export resource that validates every row "
        "(full_clean), e.g. teams.resources.SkillResource. All or nothing: one invalid row and nothing is "
        "written; every invalid row is listed with its line. Projects: use import_portfolio."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("resource", help="the resource class as a dotted path, e.g. teams.resources.SkillResource")
        parser.add_argument("import_file_name", help='the file to import ("-" for standard input)')
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="do not ask for confirmation"
        )
        parser.add_argument("-n", "--dry-run", action="store_true", help="read and check, write nothing")
        parser.add_argument("--format", help="the data format (CSV, XLSX …); guessed from the file name when absent")
        parser.add_argument("--encoding", help="the character encoding of the data")

    def handle(self, *args: Any, **options: Any) -> None:
        # The stubs say an instance; django-import-export returns the class.
        resource_class = cast("type[ModelResource[Any]]", get_resource_class(options["resource"]))
        if not resource_class._meta.clean_model_instances:
            raise CommandError(
                f"refused: {options['resource']} would be imported without full_clean (a blank or invalid row "
                "would be written). Use a resource that validates its rows (teams.resources), or import_portfolio "
                "for projects."
            )
        if options["interactive"] and input("Are you sure you want to import the data? [yes/no]: ") != "yes":
            raise CommandError("Import cancelled.")
        format_class = get_format_class(options["format"], options["import_file_name"], options["encoding"])
        name = options["import_file_name"]
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
        data: bytes | str = raw
        if not format_class.is_binary():
            # apm.tabular's rules: a byte-order mark wins (and is dropped), else --encoding, else UTF-8, else
            # the encoding the bytes tell; bytes not in the encoding are refused with their line.
            try:
                data, _ = decode(raw, path=name, encoding=options.get("encoding"))
            except TableError as exc:
                raise CommandError(str(exc)) from exc
        result = resource_class().import_data(
            format_class.create_dataset(data),
            dry_run=options["dry_run"],
            raise_errors=False,
            rollback_on_validation_errors=True,
        )
        problems = [f"{name}: {error.error!r}" for error in result.base_errors]
        # Row numbers count data rows from 1; the header is line 1.
        problems += [
            f"{name}, line {number + 1}: {error.error!r}" for number, errors in result.row_errors() for error in errors
        ]
        problems += [
            f"{name}, line {row.number + 1}: "
            + "; ".join(f"{field}: {' '.join(messages)}" for field, messages in row.error_dict.items())
            for row in result.invalid_rows
        ]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s) in {name}; nothing was written.")
        totals = result.totals
        self.stdout.write(
            f"{'Dry run: ' if options['dry_run'] else ''}{totals[RowResult.IMPORT_TYPE_NEW]} new, "
            f"{totals[RowResult.IMPORT_TYPE_UPDATE]} updated, {totals[RowResult.IMPORT_TYPE_SKIP]} unchanged."
        )
