"""Reading a supplier's plan, an MS Project XML file or a plain task list (CSV or XLSX), into a :class:`Plan`.

Nothing here touches the database: the plan read is what the preview shows
and what ``projects.planning.plan_import.services.plan_import`` creates.

MS Project XML (the ``http://schemas.microsoft.com/project`` schema of
Project 2007 and later; a file without the namespace is read the same):
``Tasks/Task`` (UID, ID, Name, Start, Finish, Summary, OutlineLevel, Work,
Notes, PredecessorLink with PredecessorUID, Type and LinkLag),
``Resources/Resource`` (UID, Name) and ``Assignments/Assignment`` (TaskUID,
ResourceUID). It is parsed with defusedxml: a file with a DTD, an entity or
an external reference is refused, as is one that is not XML, whose root is not
``Project``, over :data:`MAX_PLAN_BYTES`, with over :data:`MAX_TASKS` tasks, or
with a date that is not one (a machine-written file with a broken date is
broken; nothing of it is imported). The project's own summary task (UID 0,
outline level 0) and empty rows (IsNull) are left out.

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

In both: a summary task (a row followed by a deeper outline level) is a
deliverable; with nested summaries the outermost one is the deliverable and
the tasks of the inner ones go under it. Every link is imported as
finish-to-start; a link of another type or with a lag is listed
(:attr:`Plan.simplified`). A link to a summary task stands for links to each
of its tasks; the links of a summary task are given to each of its tasks. A
loop of links refuses the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeTree

from apm import tabular
from apm.errors import Refused

#: The largest plan file read (an MS Project XML of a thousand tasks is about 2 MB).
MAX_PLAN_BYTES = 5 * 1024 * 1024
#: The most tasks one plan may hold.
MAX_TASKS = 2000
#: The largest estimate a task holds (hours; ``Task.estimate_hours`` has 7 digits, 2 after the point).
MAX_HOURS = Decimal("99999.99")
#: How MS Project numbers a link's type (PredecessorLink/Type).
LINK_TYPES = {"0": "finish-to-finish", "1": "finish-to-start", "2": "start-to-finish", "3": "start-to-start"}
_LINK_CODES = {"FF": "0", "FS": "1", "SF": "2", "SS": "3"}
#: Dates outside these years are not taken as dates of a plan.
_EARLIEST, _LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)

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


@dataclass
class PlanDeliverable:
    """An outermost summary task: ``key`` (the task's, e.g. ``"uid:1"``), its name and dates, the names of the
    summaries nested in it (their tasks go under this deliverable)."""

    key: str
    name: str
    start: dt.date | None
    finish: dt.date | None
    inner: list[str] = field(default_factory=list)


@dataclass
class PlanTask:
    """A task to create: ``key`` (``"uid:5"``, ``"id:5"`` or ``"row:5"``), ``source`` (how the preview names it
    in the file: "ID 5", "line 6"), its deliverable's key (or None), its finish-to-start predecessors' keys, the
    resource names assigned, the planned work in hours (or None) and notes."""

    key: str
    source: str
    name: str
    start: dt.date | None
    finish: dt.date | None
    deliverable: str | None = None
    predecessors: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    hours: Decimal | None = None
    notes: str = ""


@dataclass
class Plan:
    """A plan read: the file's name and kind ("MS Project XML", "CSV", "XLSX"), deliverables and tasks in the
    file's order; ``simplified`` the links imported as finish-to-start though they were not (type, lag),
    ``refused`` the rows left out and why, ``notes`` what else was read differently than written (links to
    and from summaries, left-out links, nested summaries, estimates not read)."""

    source: str
    kind: str
    deliverables: list[PlanDeliverable] = field(default_factory=list)
    tasks: list[PlanTask] = field(default_factory=list)
    simplified: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON values (dates ISO, hours as text), for :meth:`from_dict`."""

        def plain(value: Any) -> Any:
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The plan :meth:`to_dict` wrote. Raises KeyError, TypeError or ValueError for anything else."""

        def day(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        deliverables = [
            PlanDeliverable(
                key=d["key"], name=d["name"], start=day(d["start"]), finish=day(d["finish"]), inner=d["inner"]
            )
            for d in data["deliverables"]
        ]
        tasks = [
            PlanTask(
                key=t["key"],
                source=t["source"],
                name=t["name"],
                start=day(t["start"]),
                finish=day(t["finish"]),
                deliverable=t["deliverable"],
                predecessors=list(t["predecessors"]),
                resources=list(t["resources"]),
                hours=Decimal(t["hours"]) if t["hours"] is not None else None,
                notes=t["notes"],
            )
            for t in data["tasks"]
        ]
        return cls(
            source=data["source"],
            kind=data["kind"],
            deliverables=deliverables,
            tasks=tasks,
            simplified=list(data["simplified"]),
            refused=list(data["refused"]),
            notes=list(data["notes"]),
        )


@dataclass
class _Link:
    ref: str  # the predecessor's key, or a name to look up ("name:<casefolded>")
    written: str  # as the file wrote it, for the messages
    type: str = "1"
    lag: str = ""


@dataclass
class _Entry:
    key: str
    source: str
    name: str
    start: dt.date | None = None
    finish: dt.date | None = None
    level: int = 1
    summary: bool | None = None  # None: told by the next row's level
    links: list[_Link] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    hours: Decimal | None = None
    notes: str = ""
    problem: str = ""


def read_plan(data: bytes, *, name: str) -> Plan:
    """The plan in ``data`` (a file called ``name``): MS Project XML when it starts like XML, an Excel workbook
    by its ZIP signature, else a CSV or tab-separated task list. Raises ``Refused`` with a sentence saying why
    nothing of the file can be imported."""
    if len(data) > MAX_PLAN_BYTES:
        raise Refused(
            f"The file “{name}” is {len(data) / 1048576:.1f} MB; a plan may be {MAX_PLAN_BYTES // 1048576} MB at most. "
            "Nothing was imported."
        )
    if not data.strip():
        raise Refused(f"The file “{name}” is empty. Nothing was imported.")
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return read_ms_project(data, name=name)
    return read_task_list(data, name=name)


# --- MS Project XML -------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, tag: str) -> Element | None:
    for child in element:
        if _local(child.tag) == tag:
            return child
    return None


def _children(element: Element | None, tag: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == tag] if element is not None else []


def _text(element: Element, tag: str) -> str:
    child = _child(element, tag)
    return (child.text or "").strip() if child is not None else ""


def _xml_date(value: str, *, what: str, task: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.datetime.fromisoformat(value).date()
    except ValueError:
        day = None
    if day is None or not _EARLIEST <= day <= _LATEST:
        raise Refused(f"The {what} of the task {task} is not a date: “{value[:40]}”. Nothing was imported.")
    return day


_DURATION = re.compile(
    r"^-?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def _work_hours(value: str) -> Decimal | None:
    """Hours of an MS Project work value (``PT40H0M0S``; a day of 8 hours); None for none or nought."""
    match = _DURATION.match(value)
    if not value or not match or value.startswith("-"):
        return None
    days, hours, minutes, seconds = (Decimal(part or 0) for part in match.groups())
    total = (days * 8 + hours + minutes / 60 + seconds / 3600).quantize(Decimal("0.01"))
    return total if total > 0 else None


def _lag_text(value: str, fmt: str) -> str:
    """MS Project's LinkLag (tenths of a minute) in words, "" for none: "2 days", "-4 hours", "10%"."""
    try:
        tenths = int(value or "0")
    except ValueError:
        return value
    if tenths == 0:
        return ""
    if fmt in ("19", "20"):  # a percentage lag: LinkLag holds the percent times ten
        return f"{tenths / 10:g}%"
    minutes = tenths / 10
    if minutes % 480 == 0:
        days = minutes / 480
        return f"{days:g} day{'s' if abs(days) != 1 else ''}"
    hours = minutes / 60
    return f"{hours:g} hour{'s' if abs(hours) != 1 else ''}"


def read_ms_project(data: bytes, *, name: str) -> Plan:
    """The plan of an MS Project XML file (see the module docstring). Raises ``Refused``."""
    try:
        root = SafeTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise Refused(
            f"The file “{name}” declares a document type or entities, which a plan saved by MS Project does not; "
            "such a file is not read. Nothing was imported."
        ) from exc
    except ParseError as exc:
        raise Refused(f"The file “{name}” is not well-formed XML ({exc}). Nothing was imported.") from exc
    if _local(root.tag) != "Project":
        raise Refused(
            f"The file “{name}” is XML but not an MS Project plan (its root is “{_local(root.tag)[:40]}”, not "
            "“Project”); save it from MS Project as XML. Nothing was imported."
        )
    resources = {
        _text(r, "UID"): _text(r, "Name") for r in _children(_child(root, "Resources"), "Resource") if _text(r, "Name")
    }
    assigned: dict[str, list[str]] = {}
    for assignment in _children(_child(root, "Assignments"), "Assignment"):
        resource = resources.get(_text(assignment, "ResourceUID"))
        if resource:
            names = assigned.setdefault(_text(assignment, "TaskUID"), [])
            if resource not in names:
                names.append(resource)
    elements = _children(_child(root, "Tasks"), "Task")
    if len(elements) > MAX_TASKS + 1:
        raise Refused(f"The plan “{name}” has {len(elements)} tasks; at most {MAX_TASKS} are imported at once.")
    entries: list[_Entry] = []
    for element in elements:
        uid, level = _text(element, "UID"), _text(element, "OutlineLevel")
        if _text(element, "IsNull") == "1" or uid == "0" or level == "0" or not uid:
            continue
        title = " ".join(_text(element, "Name").split())
        shown = f"“{title[:80]}” (ID {_text(element, 'ID') or uid})" if title else f"ID {_text(element, 'ID') or uid}"
        entry = _Entry(
            key=f"uid:{uid}",
            source=f"ID {_text(element, 'ID') or uid}",
            name=title,
            start=_xml_date(_text(element, "Start"), what="start", task=shown),
            finish=_xml_date(_text(element, "Finish"), what="finish", task=shown),
            level=int(level) if level.isdigit() and len(level) < 4 else 1,
            summary=_text(element, "Summary") == "1",
            resources=assigned.get(uid, []),
            hours=_work_hours(_text(element, "Work")),
            notes=_text(element, "Notes"),
        )
        for link in _children(element, "PredecessorLink"):
            ref = _text(link, "PredecessorUID")
            if ref:
                kind = _text(link, "Type") or "1"
                entry.links.append(
                    _Link(
                        ref=f"uid:{ref}",
                        written=f"UID {ref}",
                        type=kind if kind in LINK_TYPES else "1",
                        lag=_lag_text(_text(link, "LinkLag"), _text(link, "LagFormat")),
                    )
                )
        entries.append(entry)
    return _assemble(entries, source=name, kind="MS Project XML")


# --- Task lists (CSV, XLSX) -----------------------------------------------------------------------------------


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
        if _EARLIEST <= day <= _LATEST:
            return day
    raise ValueError(value)


_PREDECESSOR = re.compile(r"^(\d{1,9})\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(\S.*))?$", re.IGNORECASE)
_ZERO_LAG = re.compile(r"^0+(?:\.0+)?\s*[a-z%]*\.?$", re.IGNORECASE)
_HOURS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|d|day|days)?$", re.IGNORECASE)


def _list_links(cell: str, *, by_id: bool) -> list[_Link]:
    links = []
    for part in re.split(r"[;,]", cell):
        written = " ".join(part.split())
        if not written:
            continue
        match = _PREDECESSOR.match(written)
        if match is None:
            links.append(_Link(ref=f"name:{written.casefold()}", written=f"“{written}”"))
            continue
        number, kind, sign, lag = match.groups()
        lag = (lag or "").strip()
        links.append(
            _Link(
                ref=f"{'id' if by_id else 'row'}:{int(number)}",
                written=written,
                type=_LINK_CODES[(kind or "FS").upper()],
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
    entries: list[_Entry] = []
    notes: list[str] = []
    seen_ids: set[str] = set()

    def cell(row: tabular.Row, wanted: str) -> str:
        index = columns.get(wanted)
        return row.cells[index].strip() if index is not None and index < len(row.cells) else ""

    for number, row in enumerate(table.rows, start=1):
        written_id = cell(row, "id")
        key = f"id:{int(written_id)}" if by_id and written_id.isdigit() and len(written_id) < 10 else f"row:{number}"
        if by_id and key.startswith("row:"):
            key = f"line:{row.line}"
        entry = _Entry(key=key, source=f"line {row.line}", name=" ".join(cell(row, "name").split()))
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
        entry.level = int(level) if level.isdigit() and len(level) < 4 else 1
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
    plan = _assemble(entries, source=name, kind=kind)
    plan.notes[:0] = notes
    return plan


# --- From entries to a plan -----------------------------------------------------------------------------------


def _label(entry: _Entry) -> str:
    return f"“{entry.name[:80]}” ({entry.source})" if entry.name else entry.source


def _assemble(entries: list[_Entry], *, source: str, kind: str) -> Plan:
    """Deliverables from the outermost summaries, tasks with their finish-to-start predecessors, and the lists of
    what was simplified, refused and read differently. Raises ``Refused`` for a loop of links or a plan with no
    task."""
    plan = Plan(source=source, kind=kind)
    for index, entry in enumerate(entries):
        if entry.summary is None:
            following = entries[index + 1] if index + 1 < len(entries) else None
            entry.summary = following is not None and following.level > entry.level
    # Each entry's enclosing summaries, outermost first, from the outline levels.
    parents: dict[str, list[_Entry]] = {}
    stack: list[_Entry] = []
    for entry in entries:
        while stack and stack[-1].level >= entry.level:
            stack.pop()
        parents[entry.key] = list(stack)
        if entry.summary:
            stack.append(entry)
    for entry in entries:
        if len(entry.name) > 300:
            entry.problem = "; ".join(filter(None, [entry.problem, "its name is over 300 characters"]))
        if entry.problem:
            plan.refused.append(f"{_label(entry)}: {entry.problem}.")
        elif entry.finish is not None and entry.start is not None and entry.finish < entry.start:
            entry.problem = "finishes before it starts"
            plan.refused.append(
                f"{_label(entry)}: it finishes ({entry.finish:%d %b %Y}) before it starts ({entry.start:%d %b %Y})."
            )
    kept = [entry for entry in entries if not entry.problem]
    tasks = [entry for entry in kept if not entry.summary]
    summaries = {entry.key: entry for entry in kept if entry.summary}
    if not tasks:
        raise Refused(f"The plan “{source}” holds no task that can be imported{_why(plan)}. Nothing was imported.")
    # Deliverables: outermost summaries; a summary without a finish takes its tasks' latest.
    under: dict[str, list[_Entry]] = {key: [] for key in summaries}
    for entry in tasks:
        for parent in parents[entry.key]:
            if parent.key in under:
                under[parent.key].append(entry)
    deliverable_of: dict[str, str] = {}
    for entry in kept:
        if not entry.summary or any(p.key in summaries for p in parents[entry.key]):
            continue
        finish = entry.finish or max((t.finish for t in under[entry.key] if t.finish), default=None)
        if finish is None:
            plan.notes.append(
                f"The summary {_label(entry)} has no finish date: its tasks are imported without a deliverable."
            )
            continue
        inner = [s.name for s in summaries.values() if any(p is entry for p in parents[s.key])]
        plan.deliverables.append(
            PlanDeliverable(key=entry.key, name=entry.name, start=entry.start, finish=finish, inner=inner)
        )
        if inner:
            plan.notes.append(
                f"The summary tasks {', '.join(f'“{n}”' for n in inner)} are inside “{entry.name}”: their tasks go "
                f"under the deliverable “{entry.name}”."
            )
        for task in under[entry.key]:
            deliverable_of[task.key] = entry.key
    # Links: names and summaries resolved to tasks, every one finish-to-start.
    by_key = {entry.key: entry for entry in entries}
    by_name: dict[str, _Entry] = {}
    for entry in kept:
        by_name.setdefault(f"name:{entry.name.casefold()}", entry)
    task_keys = {entry.key for entry in tasks}
    predecessors: dict[str, list[str]] = {entry.key: [] for entry in tasks}
    for entry in kept:
        for link in entry.links:
            target = by_name.get(link.ref) if link.ref.startswith("name:") else by_key.get(link.ref)
            if target is None:
                plan.notes.append(
                    f"{_label(entry)}: its predecessor {link.written} is not a task of the file; left out."
                )
                continue
            if target.problem:
                plan.notes.append(
                    f"{_label(entry)}: its predecessor {_label(target)} was refused; the link is left out."
                )
                continue
            if link.type != "1" or link.lag:
                said = LINK_TYPES[link.type] + (f" with a lag of {link.lag}" if link.lag else "")
                plan.simplified.append(f"{_label(target)} → {_label(entry)}: {said}, imported as finish-to-start.")
            froms = [target.key] if target.key in task_keys else [t.key for t in under.get(target.key, [])]
            tos = [entry.key] if entry.key in task_keys else [t.key for t in under.get(entry.key, [])]
            if target.summary or entry.summary:
                plan.notes.append(
                    f"{_label(target)} → {_label(entry)}: a link of a summary task, imported as links "
                    f"{'from each of its tasks' if target.summary else 'from it'} "
                    f"{'to each task of ' + _label(entry) if entry.summary else 'to ' + _label(entry)}."
                )
            for to in tos:
                for frm in froms:
                    if frm == to:
                        plan.notes.append(f"{_label(by_key[to])} depends on itself; that link is left out.")
                    elif frm not in predecessors[to]:
                        predecessors[to].append(frm)
    loop = find_loop(predecessors)
    if loop:
        names = " → ".join(_label(by_key[key]) for key in reversed(loop))
        raise Refused(f"The plan's links go round in a loop: {names}. Fix the plan; nothing was imported.")
    plan.tasks = [
        PlanTask(
            key=entry.key,
            source=entry.source,
            name=entry.name,
            start=entry.start,
            finish=entry.finish,
            deliverable=deliverable_of.get(entry.key),
            predecessors=predecessors[entry.key],
            resources=entry.resources,
            hours=entry.hours if entry.hours is None or entry.hours <= MAX_HOURS else None,
            notes=entry.notes,
        )
        for entry in tasks
    ]
    return plan


def _why(plan: Plan) -> str:
    return f" (refused: {' '.join(plan.refused[:3])})" if plan.refused else ""


def find_loop(predecessors: dict[str, list[str]]) -> list[str]:
    """A loop in ``predecessors`` (each key's predecessor keys) as the keys along it, the first repeated at the
    end (``[a, b, a]``); ``[]`` when there is none. Iterative depth-first search, so a long chain cannot exhaust
    the stack."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in predecessors:
        if state.get(start):
            continue
        path: list[str] = [start]
        pending: list[list[str]] = [list(predecessors.get(start, []))]
        state[start] = 1
        while path:
            if not pending[-1]:
                state[path.pop()] = 2
                pending.pop()
                continue
            following = pending[-1].pop()
            if state.get(following) == 1:
                return [*path[path.index(following) :], following]
            if not state.get(following):
                state[following] = 1
                path.append(following)
                pending.append(list(predecessors.get(following, [])))
    return []
