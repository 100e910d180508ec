"""Reading a plain task list (CSV or XLSX) into a :class:`~projects.planning.plan_import.outline.Plan`.

A task list (``apm.tabular.read_table``'s reading: any common encoding and
delimiter, or the first sheet of a workbook): one row a task, the header
matched case-insensitively with the synonyms in :data:`COLUMNS` (what MS
Project's "export to Excel" writes: ID, Name, Start, Finish, Predecessors,
Outline Level, Resource Names, Work, Notes). A task name is required. A
number among the predecessors names a task by its ID (the ID column; without
one, the task's place in the list, 1 for the first row), anything else by its
name; ``3FS+2d``, ``5SS`` and ``7FF-1 day`` are read as ID, type and lag. A
row with a date that is not one (``yyyy-mm-dd``, ``dd/mm/yyyy``,
``dd.mm.yyyy``, ``2 Mar 2026``, a weekday or a time of day before or after
allowed), a finish before its start or an ID seen before is refused, and the
others are imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from apm import tabular
from apm.errors import Refused
from projects.planning.plan_import.outline import EARLIEST, LATEST, LINK_CODES, MAX_TASKS, Entry, Link, Plan, assemble

#: The columns of a task list: each field and the headers that name it (compared without case, spaces or
#: punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "taskid", "uniqueid", "no", "number"),
    "name": ("name", "taskname", "task", "title"),
    "start": ("start", "startdate", "begin", "begins"),
    "finish": ("finish", "finishdate", "end", "enddate", "due", "duedate"),
    "predecessors": ("predecessors", "predecessor", "dependson", "dependencies"),
    "resources": ("resourcenames", "resources", "resource", "assignees", "assignedto"),
    "level": ("outlinelevel", "level"),
    "work": ("work", "estimate", "estimatehours", "hours"),
    "notes": ("notes", "description"),
}


def _header_key(cell: str) -> str:
    return "".join(char for char in cell.casefold() if char.isalnum())


_WEEKDAY = re.compile(r"^[A-Za-z]{2,9}\.?,?\s+(?=\d)")
_TIME = re.compile(r"[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d.%m.%y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y")


def parse_list_date(value: str) -> dt.date | None:
    """A task list's date: ``yyyy-mm-dd``, ``dd/mm/yyyy`` (day first), ``dd.mm.yyyy``, ``2 March 2026``, with an
    optional weekday before and time of day after (``Mon 02/03/26 08:00``); None for a blank cell. Raises
    ValueError for anything else."""
    text = " ".join(value.split())
    if not text:
        return None
    text = _TIME.sub("", _WEEKDAY.sub("", text))
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a plain calendar date)
        except ValueError:
            continue
        if EARLIEST <= day <= LATEST:
            return day
    raise ValueError(value)


_PREDECESSOR = re.compile(r"^(\d{1,9})\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(\S.*))?$", re.IGNORECASE)
_ZERO_LAG = re.compile(r"^0+(?:\.0+)?\s*[a-z%]*\.?$", re.IGNORECASE)
_HOURS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|d|day|days)?$", re.IGNORECASE)


def _list_links(cell: str, *, by_id: bool) -> list[Link]:
    links = []
    for part in re.split(r"[;,]", cell):
        written = " ".join(part.split())
        if not written:
            continue
        match = _PREDECESSOR.match(written)
        if match is None:
            links.append(Link(ref=f"name:{written.casefold()}", written=f"“{written}”"))
            continue
        number, kind, sign, lag = match.groups()
        lag = (lag or "").strip()
        links.append(
            Link(
                ref=f"{'id' if by_id else 'row'}:{int(number)}",
                written=written,
                type=LINK_CODES[(kind or "FS").upper()],
                lag="" if not lag or _ZERO_LAG.match(lag) else f"{'-' if sign == '-' else ''}{lag}",
            )
        )
    return links


def _list_hours(value: str) -> Decimal | None:
    match = _HOURS.match(value.strip())
    if match is None:
        raise ValueError(value)
    amount = Decimal(match.group(1).replace(",", "."))
    if (match.group(2) or "h").lower().startswith("d"):
        amount *= 8
    return amount.quantize(Decimal("0.01")) if amount > 0 else None


def read_task_list(data: bytes, *, name: str) -> Plan:
    """The plan of a task list, CSV or XLSX (see the module docstring). Raises ``Refused``."""
    try:
        if data.startswith(b"PK\x03\x04"):
            table, kind = tabular.read_workbook(data, path=name), "XLSX"
        else:
            text, encoding = tabular.decode(data, path=name)
            table, kind = tabular.parse(text, path=name, encoding=encoding), "CSV"
    except (tabular.TableError, csv.Error) as exc:
        raise Refused(f"The file cannot be read as a task list: {exc}. Nothing was imported.") from exc
    columns: dict[str, int] = {}
    for index, heading in enumerate(table.header):
        key = _header_key(heading)
        for wanted, names in COLUMNS.items():
            if key in names and wanted not in columns:
                columns[wanted] = index
    if "name" not in columns:
        found = ", ".join(f"“{heading}”" for heading in table.header if heading.strip())[:300] or "none"
        raise Refused(
            f"The file “{name}” has no column of task names (Name, Task Name, Task or Title); its columns are: "
            f"{found}. Nothing was imported."
        )
    if len(table.rows) > MAX_TASKS:
        raise Refused(f"The task list “{name}” has {len(table.rows)} rows; at most {MAX_TASKS} are imported at once.")
    by_id = "id" in columns
    entries: list[Entry] = []
    notes: list[str] = []
    seen_ids: set[str] = set()

    def cell(row: tabular.Row, wanted: str) -> str:
        index = columns.get(wanted)
        # A NUL cannot be stored in PostgreSQL's text; no plan means one.
        return row.cells[index].replace("\x00", "").strip() if index is not None and index < len(row.cells) else ""

    for number, row in enumerate(table.rows, start=1):
        written_id = cell(row, "id")
        key = (
            f"id:{int(written_id)}"
            if by_id and written_id.isascii() and written_id.isdigit() and len(written_id) < 10
            else f"row:{number}"
        )
        if by_id and key.startswith("row:"):
            key = f"line:{row.line}"
        entry = Entry(key=key, source=f"line {row.line}", name=" ".join(cell(row, "name").split()))
        entries.append(entry)
        problems = []
        if not entry.name:
            problems.append("it has no task name")
        if key in seen_ids:
            problems.append(f"its ID {written_id} is that of a row above")
        seen_ids.add(key)
        for wanted in ("start", "finish"):
            try:
                setattr(entry, wanted, parse_list_date(cell(row, wanted)))
            except ValueError:
                problems.append(
                    f"its {wanted} “{cell(row, wanted)[:40]}” is not a date (yyyy-mm-dd, dd/mm/yyyy or dd.mm.yyyy)"
                )
        level = cell(row, "level")
        entry.level = int(level) if level.isascii() and level.isdigit() and len(level) < 4 else 1
        entry.links = _list_links(cell(row, "predecessors"), by_id=by_id)
        entry.resources = [" ".join(r.split()) for r in re.split(r"[;,]", cell(row, "resources")) if r.strip()]
        work = cell(row, "work")
        if work:
            try:
                entry.hours = _list_hours(work)
            except (ValueError, InvalidOperation):
                notes.append(f"Line {row.line}: the work “{work[:40]}” is not hours; imported without an estimate.")
        entry.notes = cell(row, "notes")
        entry.problem = "; ".join(problems)
    plan = assemble(entries, source=name, kind=kind)
    plan.notes[:0] = notes
    return plan
