"""The mapping import's engine: a file's columns mapped to APM's fields, one row at a time.

A :class:`Mapping` says which column of a portfolio file holds which field of
a Project, its Client, its Departments, a StatusUpdate or its budget
(:data:`TARGETS`), and how to read the cells: the money unit and currency
(``£m``, ``$M``, thousands), the date format, the rating scale, the as-of
date. It is saved as a named preset (``projects.ImportMapping``) and travels
as a small JSON file (:meth:`Mapping.to_json`, :meth:`Mapping.from_json`).

The UK GMPP layouts are the built-in preset :data:`GMPP`: the same engine
with the GMPP's own rules switched on (withheld text, the IPA and SRO rating
columns, the as-of date of each annual file, one client per department).

Pure functions, no database: :func:`parse_record` turns one row into a
:class:`Record` or raises :class:`~projects.importers.gmpp.RowError` saying
why; the writing is ``projects.importers.services.portfolio_import``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from projects.importers import gmpp
from projects.importers.gmpp import GmppRow, RowError
from projects.models.portfolio import CURRENCY_CHOICES
from projects.rag import RAG, canonical_rating, rating_to_rag


class MappingError(ValueError):
    """A mapping that cannot be used (unknown field, unit, date format or scale; no name column; bad JSON)."""


@dataclass(frozen=True)
class Target:
    """A field a column can be mapped to. ``kind`` says how its cells are read. Several columns may name one
    field (e.g. a column renamed between years): for a ``many`` field (text) their texts are joined, for the
    others the first column the file has is used."""

    key: str
    label: str
    group: str
    kind: str
    many: bool = False


#: Every field a column can be mapped to, in the order the import page lists them.
TARGETS: tuple[Target, ...] = (
    Target("project.code", "Project code or number", "Project", "code"),
    Target("project.name", "Project name", "Project", "name"),
    Target("project.category", "Category", "Project", "line"),
    Target("project.description", "Description", "Project", "text", many=True),
    Target("project.start_date", "Start date", "Project", "date"),
    Target("project.end_date", "End date", "Project", "date"),
    Target("client.name", "Client", "Client", "line"),
    Target("department.codes", "Department code(s) or name", "Department", "departments"),
    Target("status.year", "Year of the figures", "Status update", "year"),
    Target("status.as_of", "As-of date", "Status update", "date"),
    Target("status.rating", "Rating (RAG)", "Status update", "rating"),
    Target("status.rating_second", "Second rating (used when the first is not a rating)", "Status update", "rating"),
    Target("status.commentary_overall", "Overall commentary", "Status update", "text", many=True),
    Target("status.commentary_schedule", "Schedule commentary", "Status update", "text", many=True),
    Target("status.delay_days", "Delay in days (into the schedule commentary)", "Status update", "days"),
    Target("status.percent_complete", "Percent complete", "Status update", "percent"),
    Target("budget.period", "Budget for the period", "Budget", "money"),
    Target("budget.forecast", "Forecast for the period", "Budget", "money"),
    Target("budget.variance", "Cost variance (budget minus forecast; the forecast is worked out)", "Budget", "money"),
    Target("budget.whole_life", "Whole-life cost (budget at completion, BAC)", "Budget", "money"),
    Target("budget.commentary", "Budget commentary", "Budget", "text", many=True),
)
TARGETS_BY_KEY: dict[str, Target] = {target.key: target for target in TARGETS}

#: Money units: key -> (label, multiplier to major units).
UNITS: dict[str, tuple[str, Decimal]] = {
    "units": ("units (e.g. pounds)", Decimal(1)),
    "thousands": ("thousands", gmpp.THOUSAND),
    "millions": ("millions", gmpp.MILLION),
    "billions": ("billions", gmpp.BILLION),
}
CURRENCIES = tuple(code for code, _ in CURRENCY_CHOICES)
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}

#: Date formats: key (as the user sees it) -> strptime format; "auto" reads the GMPP's three.
DATE_FORMATS: dict[str, str] = {
    "auto": "",
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd/mm/yyyy": "%d/%m/%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "dd/mm/yy": "%d/%m/%y",
    "mm/dd/yy": "%m/%d/%y",
    "d mon yyyy": "%d %b %Y",
}

_RAG_WORDS = {
    "red": RAG.RED,
    "r": RAG.RED,
    "amber": RAG.AMBER,
    "a": RAG.AMBER,
    "yellow": RAG.AMBER,
    "y": RAG.AMBER,
    "green": RAG.GREEN,
    "g": RAG.GREEN,
}
_CIO = {"1": RAG.RED, "2": RAG.RED, "3": RAG.AMBER, "4": RAG.GREEN, "5": RAG.GREEN}


def _five_point(text: str) -> tuple[str, RAG] | None:
    published, rag = canonical_rating(text), rating_to_rag(text)
    return (published, rag) if published and rag else None


def _three_colours(text: str) -> tuple[str, RAG] | None:
    rag = _RAG_WORDS.get(" ".join(text.split()).lower())
    return (rag.label, rag) if rag else None


def _cio(text: str) -> tuple[str, RAG] | None:
    key = text.strip().removesuffix(".0")
    rag = _CIO.get(key)
    return (f"CIO {key}", rag) if rag else None


#: Rating scales: key -> (label, reader of a cell: (rating as published, RAG) or None when not a rating).
RAG_SCALES: dict[str, tuple[str, Callable[[str], tuple[str, RAG] | None]]] = {
    "five-point": ("Five-point DCA: Green, Amber/Green, Amber, Amber/Red, Red", _five_point),
    "red-amber-green": ("Red, Amber (or Yellow), Green; R, A, G", _three_colours),
    "cio-1-5": ("CIO 1 to 5: 1 and 2 Red, 3 Amber, 4 and 5 Green", _cio),
}


@dataclass(frozen=True)
class Mapping:
    """How to read one layout of portfolio file. ``columns`` maps a column name (matched case-insensitively,
    whitespace collapsed) to a key of :data:`TARGETS`, or to ``""`` to skip it.

    ``label`` names the source on each status update (``"GMPP 2021"``, source ``gmpp-2021``). ``as_of`` is
    the date of the figures when no column holds it. ``client`` and ``department`` are used for rows
    without one. The GMPP's own rules: ``withheld`` (text published instead of a value is kept, not an
    error), ``as_of_from_year`` (a year's file stands at the date ``gmpp.as_of_for_year`` gives),
    ``client_per_department`` (one client per lead department, ``"UK Government — DFT"``),
    ``rating_sources`` (``("ipa", "sro")``: which body each rating column is), ``match_by_name`` (a
    project without a code is also found by its name and client or department).
    """

    name: str
    columns: dict[str, str]
    label: str = ""
    unit: str = "units"
    currency: str = "GBP"
    date_format: str = "auto"
    rag_scale: str = "red-amber-green"
    rag_values: dict[str, str] = field(default_factory=dict)
    as_of: dt.date | None = None
    client: str = ""
    department: str = ""
    encoding: str = ""
    fallback: str = ""
    withheld: bool = False
    as_of_from_year: bool = False
    client_per_department: str = ""
    rating_sources: tuple[str, str] = ("", "")
    match_by_name: bool = True
    required: tuple[str, ...] = ("project.name",)

    # --- Reading the file's header -----------------------------------------------------------------

    def targets(self, header: list[str]) -> dict[str, str]:
        """Column (as the header writes it) -> target, for the header's columns the mapping maps. For a target
        that is not ``many``, the first column the file has wins."""
        wanted = {_key(name): target for name, target in self.columns.items() if target}
        result: dict[str, str] = {}
        taken: set[str] = set()
        for name in header:
            target = wanted.get(_key(name))
            if target is None:
                continue
            if target in taken and not TARGETS_BY_KEY[target].many:
                continue  # e.g. GMPP's yearly_budget (2018-2020) and total_baseline (2021-2022)
            result[name] = target
            taken.add(target)
        return result

    def ignored(self, header: list[str]) -> list[str]:
        """The header's columns the mapping does not use (unknown, skipped, or a second for one target)."""
        used = self.targets(header)
        return [name for name in header if name not in used]

    def missing(self, header: list[str]) -> list[str]:
        """The required fields no column of ``header`` holds, each named by the mapping's columns for it
        (``"project_name"``, ``"Investment or Title"``)."""
        present = set(self.targets(header).values())
        return [
            " or ".join(name for name, target in self.columns.items() if target == key) or TARGETS_BY_KEY[key].label
            for key in self.required
            if key not in present
        ]

    # --- JSON ----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The mapping as JSON values, the options that differ from a plain mapping's only."""
        plain = Mapping(name=self.name, columns={})
        data: dict[str, Any] = {"format": "apm-import-mapping", "version": 1, "name": self.name}
        data["columns"] = dict(self.columns)
        for name in _OPTIONS:
            value = getattr(self, name)
            if value != getattr(plain, name):
                data[name] = value.isoformat() if isinstance(value, dt.date) else value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: object, *, name: str | None = None) -> Mapping:
        """A mapping from JSON values; raises MappingError saying what is wrong."""
        if not isinstance(data, dict):
            raise MappingError("a mapping is a JSON object with a name and columns")
        unknown = sorted(set(data) - {"format", "version", "name", "columns", *_OPTIONS})
        if unknown:
            raise MappingError(f"unknown key(s) in the mapping: {', '.join(unknown)}")
        columns = data.get("columns")
        if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            raise MappingError('"columns" must map each column name to a field (or "" to skip it)')
        values: dict[str, Any] = {}
        for option in _OPTIONS:
            if option in data:
                values[option] = data[option]
        if "as_of" in values:
            values["as_of"] = _iso_date(values["as_of"])
        if "rating_sources" in values:
            sources = values["rating_sources"]
            if not isinstance(sources, list | tuple) or len(sources) != 2:
                raise MappingError('"rating_sources" is a pair, e.g. ["ipa", "sro"]')
            values["rating_sources"] = tuple(sources)
        if "required" in values:
            values["required"] = tuple(values["required"]) if isinstance(values["required"], list) else ()
        mapping_name = name if name is not None else data.get("name")
        if not isinstance(mapping_name, str):
            raise MappingError('a mapping has a "name"')
        try:
            mapping = cls(name=mapping_name, columns=dict(columns), **values)
        except TypeError as exc:
            raise MappingError(f"the mapping's options are not right: {exc}") from exc
        return mapping.checked()

    @classmethod
    def from_json(cls, text: str, *, name: str | None = None) -> Mapping:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise MappingError(f"not a mapping: the JSON cannot be read ({exc})") from exc
        return cls.from_dict(data, name=name)

    def checked(self) -> Mapping:
        """The mapping itself when every field, unit, date format and scale is known; else MappingError."""
        problems: list[str] = []
        for text_option in ("name", "label", "unit", "currency", "date_format", "rag_scale", "client", "department"):
            if not isinstance(getattr(self, text_option), str):
                raise MappingError(f"{text_option!r} must be text")
        for text_option in ("encoding", "fallback", "client_per_department"):
            if not isinstance(getattr(self, text_option), str):
                raise MappingError(f"{text_option!r} must be text")
        for flag in ("withheld", "as_of_from_year", "match_by_name"):
            if not isinstance(getattr(self, flag), bool):
                raise MappingError(f"{flag!r} must be true or false")
        if not all(isinstance(key, str) for key in self.required) or not all(
            isinstance(source, str) for source in self.rating_sources
        ):
            raise MappingError('"required" and "rating_sources" hold text')
        problems.extend(f"unknown required field {key!r}" for key in self.required if key not in TARGETS_BY_KEY)
        for codec in (self.encoding, self.fallback):
            if codec:
                try:
                    codecs.lookup(codec)
                except LookupError:
                    problems.append(f"unknown encoding {codec!r}")
        name = " ".join(self.name.split())
        if not name or len(name) > 100:
            problems.append("a mapping needs a name of 1 to 100 characters")
        for column, target in self.columns.items():
            if not column.strip():
                problems.append("a column without a name")
            if target and target not in TARGETS_BY_KEY:
                problems.append(f"column {column!r}: unknown field {target!r}")
        mapped = set(self.columns.values())
        if "project.name" not in mapped:
            problems.append("map a column to the project name")
        if self.unit not in UNITS:
            problems.append(f"unknown money unit {self.unit!r} (one of: {', '.join(UNITS)})")
        if self.currency not in CURRENCIES:
            problems.append(f"unknown currency {self.currency!r} (one of: {', '.join(CURRENCIES)})")
        if self.date_format not in DATE_FORMATS:
            problems.append(f"unknown date format {self.date_format!r} (one of: {', '.join(DATE_FORMATS)})")
        if self.rag_scale != "custom" and self.rag_scale not in RAG_SCALES:
            problems.append(f"unknown rating scale {self.rag_scale!r} (one of: {', '.join(RAG_SCALES)}, custom)")
        if not isinstance(self.rag_values, dict) or any(
            not isinstance(v, str) or v.lower() not in {r.value for r in RAG} for v in self.rag_values.values()
        ):
            problems.append('"rag_values" maps a rating to red, amber or green')
        if self.rag_scale == "custom" and not self.rag_values:
            problems.append("a custom rating scale needs its values (rag_values)")
        if not any(key in mapped for key in ("client.name", "department.codes")) and not (
            self.client or self.department or self.client_per_department
        ):
            problems.append("map a client or department column, or choose a client or department for every row")
        if any(key.startswith(("status.", "budget.")) and key != "status.year" for key in mapped) and not (
            "status.as_of" in mapped or self.as_of or self.as_of_from_year
        ):
            problems.append("the figures need a date: map the as-of date column or choose the date they stand at")
        if problems:
            raise MappingError("; ".join(problems))
        return replace(self, name=name)

    # --- Reading cells -------------------------------------------------------------------------------

    @property
    def multiplier(self) -> Decimal:
        return UNITS[self.unit][1]

    @property
    def money_label(self) -> str:
        """How amounts are written to the user: ``£m``, ``$ thousands``, ``€``."""
        symbol = _SYMBOLS.get(self.currency, self.currency + " ")
        suffixes = {"units": "", "thousands": "k", "millions": "m", "billions": "bn"}
        return f"{symbol}{suffixes[self.unit]}".strip()

    def read_money(self, text: str) -> Decimal | None:
        return gmpp.parse_money(text, unit=self.multiplier, label=self.money_label)

    def read_date(self, text: str) -> dt.date | None:
        fmt = DATE_FORMATS[self.date_format]
        if not fmt:
            return gmpp.parse_date(text)
        raw = " ".join((text or "").split())
        if not raw:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", raw):
            # A workbook's date cell (apm.tabular writes it ISO) in any layout.
            return dt.date.fromisoformat(raw[:10])
        try:
            return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError as exc:
            raise ValueError(f"not a date ({self.date_format}): {raw[:60]!r}") from exc

    def read_rating(self, text: str) -> tuple[str, RAG] | None:
        cleaned = gmpp.clean_text(text)
        if not cleaned:
            return None
        if self.rag_scale == "custom":
            wanted = {_key(k): v.lower() for k, v in self.rag_values.items()}
            value = wanted.get(_key(cleaned))
            return (cleaned, RAG(value)) if value else None
        return RAG_SCALES[self.rag_scale][1](cleaned)


_OPTIONS = (
    "label",
    "unit",
    "currency",
    "date_format",
    "rag_scale",
    "rag_values",
    "as_of",
    "client",
    "department",
    "encoding",
    "fallback",
    "withheld",
    "as_of_from_year",
    "client_per_department",
    "rating_sources",
    "match_by_name",
    "required",
)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _iso_date(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise MappingError(f'"as_of" must be a date yyyy-mm-dd, not {value!r}') from exc


#: The UK Government Major Projects Portfolio annual files, 2018-2022 and later years of the same layout.
GMPP = Mapping(
    name="GMPP",
    label="GMPP",
    columns={
        "year": "status.year",
        "project_number": "project.code",
        "project_name": "project.name",
        "department": "department.codes",
        "report_category": "project.category",
        "description_aims": "project.description",
        "colour_rating": "status.rating",
        "colour_rating_2": "status.rating_second",
        "rating_comment": "status.commentary_overall",
        "start_date": "project.start_date",
        "end_date": "project.end_date",
        "schedule_comment": "status.commentary_schedule",
        "yearly_budget": "budget.period",
        "total_baseline": "budget.period",
        "yearly_forecast": "budget.forecast",
        "forecast_incl_ngc": "budget.forecast",
        "wlc_baseline_incl_ncg": "budget.whole_life",
        "variance_comment": "budget.commentary",
        "budget_comment": "budget.commentary",
    },
    unit="millions",
    currency="GBP",
    fallback=gmpp.ENCODING,
    rag_scale="five-point",
    withheld=True,
    as_of_from_year=True,
    client_per_department="UK Government — ",  # "UK Government — DFT"
    rating_sources=("ipa", "sro"),
    match_by_name=False,
    required=("project.name", "department.codes"),
)

#: Presets built in (not stored, not editable): name (case-insensitive) -> mapping.
BUILT_IN: dict[str, Mapping] = {"gmpp": GMPP}


@dataclass
class Record:
    """One row in APM's terms. Money in the mapping's currency (major units), None when blank or withheld.

    ``withheld`` maps a field name (``start_date``, ``end_date``, ``budget_period``, ``forecast_period``,
    ``whole_life_cost``) to the text published instead of its value. ``as_of`` is the date the figures stand
    at (None: the row has no figures, only the project).
    """

    year: int | None
    reference: str | None
    name: str
    departments: list[str]
    client: str = ""
    category: str = ""
    description: str = ""
    rating_published: str = ""
    rag: str = ""
    rating_source: str = ""
    rating_note: str = ""
    commentary_overall: str = ""
    commentary_schedule: str = ""
    commentary_budget: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget_period: Decimal | None = None
    forecast_period: Decimal | None = None
    whole_life_cost: Decimal | None = None
    percent_complete: Decimal | None = None
    withheld: dict[str, str] = field(default_factory=dict)
    as_of: dt.date | None = None


def _value_or_withheld(
    raw: str, name: str, parse: Callable[[str], Any], withheld: dict[str, str] | None, label: str
) -> Any:
    if withheld is not None:
        note = gmpp.withheld_text(raw)
        if note is not None:
            withheld[name] = note
            return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise RowError(f"{label}: {exc}") from exc


def _percent(text: str) -> Decimal | None:
    raw = "".join((text or "").split()).removesuffix("%")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"not a percentage: {text.strip()[:30]!r}") from exc
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"not a percentage from 0 to 100: {text.strip()[:30]!r}")
    return value.quantize(Decimal("0.01"))


def _days(text: str) -> int | None:
    raw = "".join((text or "").split()).removesuffix("days").removesuffix("day")
    if not raw:
        return None
    if not re.fullmatch(r"[-+]?\d{1,5}(\.0+)?", raw):
        raise ValueError(f"not a number of days: {text.strip()[:30]!r}")
    return int(Decimal(raw))


def delay_text(days: int) -> str:
    """``45`` -> ``"45 days behind schedule"``, ``-3`` -> ``"3 days ahead of schedule"``, ``0`` -> ``"On schedule"``."""
    if days == 0:
        return "On schedule"
    count = abs(days)
    return f"{count} day{'s' if count != 1 else ''} {'behind' if days > 0 else 'ahead of'} schedule"


def parse_record(
    row: MappingType[str | None, Any] | GmppRow,
    *,
    columns: list[str],
    mapping: Mapping,
    default_year: int | None = None,
) -> Record:
    """One row of a file whose header is ``columns``, read by ``mapping``. Raises RowError saying why when bad.

    Bad: a ragged row (cell count differs from the header), a NUL character, no project name, no department
    or client when the mapping needs one, a year, date, amount, percentage or number of days that is not one
    (nor, under ``mapping.withheld``, text published instead of it), no date for the figures. A rating cell
    never makes a row bad: text that is not a rating becomes ``rating_note``.
    """
    width = len(columns)
    if None in row:
        extra = len(row[None] or ())
        raise RowError(f"the row has {width + extra} cells; the header has {width}")
    missing = [name for name, value in row.items() if value is None]
    if missing:
        raise RowError(f"the row has {width - len(missing)} cells; the header has {width}")
    if any("\x00" in value for value in row.values() if isinstance(value, str)):
        raise RowError("the row contains NUL characters (not text)")
    targets = mapping.targets(columns)

    def cells(target: str) -> list[str]:
        return [value for name, key in targets.items() if key == target and isinstance(value := row.get(name), str)]

    def cell(target: str) -> str:
        found = cells(target)
        return found[0] if found else ""

    def joined(target: str) -> str:
        return "\n\n".join(text for text in (gmpp.clean_text(value) for value in cells(target)) if text)

    name = " ".join(cell("project.name").split())
    if not name:
        raise RowError("no project name")
    departments = gmpp.parse_departments(cell("department.codes"))
    if not departments and mapping.department:
        departments = gmpp.parse_departments(mapping.department)
    client = " ".join(cell("client.name").split()) or mapping.client
    if mapping.client_per_department and departments:
        client = client or f"{mapping.client_per_department}{departments[0]}"
    if "department.codes" in mapping.required and not departments:
        raise RowError("no department")
    if not departments and not client:
        raise RowError("no client and no department")

    year_text = cell("status.year").strip().removesuffix(".0")
    year: int | None
    if year_text:
        if not re.fullmatch(r"(19|20)\d{2}", year_text):
            raise RowError(f"year: not a year: {year_text[:20]!r}")
        year = int(year_text)
    else:
        year = default_year
    withheld: dict[str, str] | None = {} if mapping.withheld else None
    as_of = _value_or_withheld(cell("status.as_of"), "as_of", mapping.read_date, None, "as-of date")
    if as_of is None:
        as_of = mapping.as_of
    if as_of is None and mapping.as_of_from_year:
        if year is None:
            raise RowError("no year: the row has no year and the file name has none")
        as_of = gmpp.as_of_for_year(year)
    figures = mapping.as_of_from_year or any(
        key.startswith(("status.", "budget.")) and key != "status.year" for key in targets.values()
    )
    if figures and as_of is None:
        raise RowError("no as-of date for the figures")

    start_date = _value_or_withheld(cell("project.start_date"), "start_date", mapping.read_date, withheld, "start_date")
    end_date = _value_or_withheld(cell("project.end_date"), "end_date", mapping.read_date, withheld, "end_date")
    money = mapping.read_money
    budget = _value_or_withheld(cell("budget.period"), "budget_period", money, withheld, "budget_period")
    forecast = _value_or_withheld(cell("budget.forecast"), "forecast_period", money, withheld, "forecast_period")
    wlc = _value_or_withheld(cell("budget.whole_life"), "whole_life_cost", money, withheld, "whole_life_cost")
    variance = _value_or_withheld(cell("budget.variance"), "cost_variance", money, None, "cost variance")
    if variance is not None:
        if budget is None:
            raise RowError("cost variance: the forecast is the budget minus the variance, and the budget is blank")
        if forecast is None:
            forecast = budget - variance
    percent = _value_or_withheld(cell("status.percent_complete"), "percent_complete", _percent, None, "percent")
    days = _value_or_withheld(cell("status.delay_days"), "delay_days", _days, None, "delay in days")

    rating, rag, source, note = _rating(mapping, cell("status.rating"), cell("status.rating_second"))
    schedule = [joined("status.commentary_schedule")]
    if days is not None:
        schedule.insert(0, delay_text(days) + ".")
    return Record(
        year=year,
        reference=gmpp.normalise_reference(cell("project.code")),
        name=name,
        departments=departments,
        client=client,
        category=" ".join(cell("project.category").split()),
        description=joined("project.description"),
        rating_published=rating,
        rag=rag.value if rag else "",
        rating_source=source,
        rating_note=note,
        commentary_overall=joined("status.commentary_overall"),
        commentary_schedule="\n\n".join(text for text in schedule if text),
        commentary_budget=joined("budget.commentary"),
        start_date=start_date,
        end_date=end_date,
        budget_period=budget,
        forecast_period=forecast,
        whole_life_cost=wlc,
        percent_complete=percent,
        withheld=withheld or {},
        as_of=as_of if figures else None,
    )


def _rating(mapping: Mapping, first_text: str, second_text: str) -> tuple[str, RAG | None, str, str]:
    """(rating as published, RAG, source, note) from the rating cells: the first when it is a rating, else the
    second; text that is not a rating becomes the note."""
    first, second = gmpp.clean_text(first_text), gmpp.clean_text(second_text)
    first_source, second_source = mapping.rating_sources
    read = mapping.read_rating(first)
    if read:
        return read[0], read[1], first_source, ""
    read = mapping.read_rating(second)
    if read:
        return read[0], read[1], second_source, first
    notes: list[str] = []
    for text in (first, second):
        if text and text not in notes:
            notes.append(text)
    return "", None, "", "\n\n".join(notes)


# --- A first guess at a file's mapping ---------------------------------------------------------------

#: Words in a column's name -> the field it most likely holds, first match wins (lower case, whole words
#: or phrases).
_GUESSES: tuple[tuple[str, str], ...] = (
    (r"as of|as at|date of (the )?(data|report)|report(ing)? date|snapshot", "status.as_of"),
    (r"schedule variance|delay|days (late|behind)", "status.delay_days"),
    (r"cost variance|variance", "budget.variance"),
    (r"whole[- ]life|lifecycle|life cycle|total cost|\bbac\b|budget at completion", "budget.whole_life"),
    (r"forecast|projected|estimate at completion|\beac\b", "budget.forecast"),
    (r"budget|planned cost|baseline", "budget.period"),
    (r"% complete|percent|progress", "status.percent_complete"),
    (r"\brag\b|rating|colou?r|health|status", "status.rating"),
    (r"start", "project.start_date"),
    (r"\bend\b|finish|completion|due", "project.end_date"),
    (r"\bcode\b|\bid\b|number|reference|\bref\b|\bno\b", "project.code"),
    (r"client|customer|account|sponsor", "client.name"),
    (r"department|agency|\bdept\b|division|ministry|business unit", "department.codes"),
    (r"description|aims|scope", "project.description"),
    (r"categor|type|sector|programme", "project.category"),
    (r"schedule comment", "status.commentary_schedule"),
    (r"budget comment|cost comment", "budget.commentary"),
    (r"comment|notes?\b|narrative|summary", "status.commentary_overall"),
    (r"\byear\b|\bfy\b", "status.year"),
    (r"name|title|project|investment|initiative", "project.name"),
)


def guess(header: list[str], *, name: str = "") -> Mapping:
    """A first mapping for ``header`` from its columns' names (each field taken once, the rest skipped), its
    money unit and currency from names like ``Planned Cost ($M)`` or ``Budget £k``. Not checked: the user
    corrects it on the Import page."""
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        words = " ".join(column.replace("_", " ").split()).casefold()
        target = ""
        for pattern, key in _GUESSES:
            if re.search(pattern, words) and (key not in taken or TARGETS_BY_KEY[key].many):
                target = key
                break
        if column.strip():
            columns[column] = target
            if target:
                taken.add(target)
    joined = " ".join(header)
    currency = next((code for code, symbol in _SYMBOLS.items() if symbol in joined), "GBP")
    unit = "units"
    for pattern, key in ((r"[£$€]\s?m\b|\(m\)|million", "millions"), (r"[£$€]\s?k\b|thousand|000s", "thousands")):
        if re.search(pattern, joined, re.IGNORECASE):
            unit = key
            break
    return Mapping(name=name or "New mapping", columns=columns, unit=unit, currency=currency)
