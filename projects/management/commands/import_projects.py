"""``manage.py import_projects --mapping MAPPING FILE [FILE ...]``: import a portfolio file of any layout.

``MAPPING`` is a preset's name (``gmpp``, or one saved on the Import page or with ``--save-as``) or a mapping
JSON file (``--export-mapping NAME`` prints one to start from). Thin: the import is
``projects.importers.services.portfolio_import``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apm import tabular
from projects.importers.mapping import MappingError
from projects.importers.presets import mapping_lookup, preset_get, preset_mapping, preset_names, preset_save
from projects.importers.services import portfolio_import
from projects.management.commands._importing import RULE, add_common_arguments, run


class Command(BaseCommand):
    help = (
        "Import portfolio files (CSV, tab-separated or Excel .xlsx) of any layout through a mapping of their "
        f"columns to APM's fields. A project is matched by its code, else by its name and client or department. {RULE}"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mapping", metavar="MAPPING", help="a preset's name or a mapping JSON file")
        parser.add_argument("--save-as", metavar="NAME", help="also save the --mapping file as the preset NAME")
        parser.add_argument(
            "--export-mapping", metavar="NAME", help="print the preset NAME as a mapping JSON file and stop"
        )
        add_common_arguments(parser)
        parser.add_argument("files", nargs="*", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export_mapping"]:
            preset = preset_get(options["export_mapping"])
            if preset is None:
                raise CommandError(
                    f"No preset called {options['export_mapping']!r}; presets: {', '.join(preset_names())}."
                )
            self.stdout.write(preset.to_json(), ending="")
            return
        paths = [Path(name) for name in options["files"]]
        if not paths:
            raise CommandError("Name the files to import (FILE ...).")
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}. Nothing imported.")
        if not options["mapping"]:
            raise CommandError(self._no_mapping(paths, options["encoding"]))
        try:
            mapping = mapping_lookup(options["mapping"])
            if options["save_as"]:
                mapping = preset_mapping(preset_save(replace(mapping, name=options["save_as"])))
                self.stdout.write(f"Saved the mapping as the preset {mapping.name!r}.")
        except MappingError as exc:
            raise CommandError(f"The mapping cannot be used: {exc}. Nothing imported.") from exc
        run(
            self,
            options,
            lambda progress: portfolio_import(
                paths=paths,
                mapping=mapping,
                progress=progress,
                encoding=options["encoding"],
                strict=options["strict"],
                dry_run=options["dry_run"],
            ),
        )

    @staticmethod
    def _no_mapping(paths: list[Path], encoding: str | None) -> str:
        lines = ["No --mapping given: APM does not guess what a file's columns mean. The files have:"]
        for path in paths:
            try:
                header = tabular.read_table(path, encoding=encoding).header
            except tabular.TableError as exc:
                lines.append(f"  {exc}")
            else:
                lines.append(f"  {path}: {', '.join(name for name in header if name.strip()) or 'no columns'}")
        lines.append(
            f"Map them with --mapping NAME or --mapping FILE.json (presets: {', '.join(preset_names())}); "
            "make one on the Import page, or start from --export-mapping gmpp. Nothing imported."
        )
        return "\n".join(lines)
