"""``manage.py project_metrics --project CODE [--as-of YYYY-MM-DD] [--json]``: a project's earned value figures."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apm.formatting import format_date
from projects.budget.selectors import project_metrics, today
from projects.models import Project

ROWS = (
    ("bac", "Budget at completion (BAC)", "money"),
    ("pv", "Planned value (PV)", "money"),
    ("ev", "Earned value (EV)", "money"),
    ("ac", "Actual cost (AC)", "money"),
    ("cv", "Cost variance (CV = EV - AC)", "money"),
    ("sv", "Schedule variance (SV = EV - PV)", "money"),
    ("cpi", "CPI (EV / AC)", "index"),
    ("spi", "SPI (EV / PV)", "index"),
    ("eac_typical", "EAC, BAC / CPI", "money"),
    ("eac_atypical", "EAC, AC + (BAC - EV)", "money"),
    ("eac_bottom_up", "EAC, AC + bottom-up ETC", "money"),
    ("eac", "EAC used", "money"),
    ("etc", "ETC (EAC - AC)", "money"),
    ("vac", "VAC (BAC - EAC)", "money"),
    ("tcpi_bac", "TCPI to BAC", "index"),
    ("tcpi_eac", "TCPI to EAC", "index"),
    ("percent_complete", "Percent complete", "percent"),
    ("planned_percent", "Percent planned", "percent"),
    ("burn_rate_per_week", "Burn rate per week", "money"),
    ("planned_finish", "Planned finish", "date"),
    ("forecast_finish", "Forecast finish (planned duration / SPI)", "date"),
)


class Command(BaseCommand):
    help = "Print a project's earned value figures (PV, EV, AC, CPI, SPI, EAC, ETC, VAC, TCPI, burn rate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project code, e.g. ALPHA-1.")
        parser.add_argument("--as-of", dest="as_of", help="Date YYYY-MM-DD (default: today).")
        parser.add_argument("--json", action="store_true", help="Print JSON (money and indices as strings).")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with code {options['project']!r}.")
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else today()
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date like 2025-03-31, not {options['as_of']!r}.") from exc
        metrics = project_metrics(project=project, as_of=as_of)
        data = metrics.as_json()
        if options["json"]:
            self.stdout.write(json.dumps({"project": project.code, "currency": project.currency, **data}, indent=2))
            return
        heading = f"{project.code} {project.name}: earned value as of {format_date(as_of)}"
        self.stdout.write(f"{heading} ({project.currency})")
        for key, label, kind in ROWS:
            value = data[key]
            if value is None:
                text = "—"
            elif kind == "money":
                text = f"{Decimal(value):,.2f}"
            elif kind == "percent":
                text = f"{value}%"
            elif kind == "date":
                text = format_date(value)
            else:
                text = value
            self.stdout.write(f"  {label:<44} {text:>18}")
        self.stdout.write(f"  EAC method: {metrics.eac_method}")
