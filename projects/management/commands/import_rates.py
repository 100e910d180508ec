"""``manage.py import_rates FILE [FILE ...]``: exchange rates from the ECB's reference-rate CSV files.

Thin: reading is ``projects.billing.rates_import.rates_file_read``, writing
``exchange_rates_import``. Every file is read and checked before anything is
written, so a bad file or row (named with its line) writes nothing at all and
exits non-zero; then each file is written in its own transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apm.errors import Refused
from projects.billing.rates_import import exchange_rates_import, rates_file_read


class Command(BaseCommand):
    help = (
        "Import exchange rates against EUR from the European Central Bank's reference-rate files: the daily "
        "eurofxref.csv or the historical eurofxref-hist.csv (N/A where a currency was not quoted). A bad file "
        "or row writes nothing; running a file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="eurofxref.csv or eurofxref-hist.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = [rates_file_read(path=path) for path in options["files"]]
        except Refused as exc:
            raise CommandError(f"{exc} Nothing imported.") from exc
        for rates in files:
            try:
                done = exchange_rates_import(rates=rates)
            except Refused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(str(done))
