"""A plan read from a supplier's file: deliverables, tasks and links, from the rows of an outline.

The readers (``ms_project``, ``task_list``) give one :class:`Entry` per row
of the file, in its order, with its outline level; :func:`assemble` makes the
:class:`Plan` of them. Nothing here touches the database.

In either: a summary task (a row followed by a deeper outline level) is a
deliverable; with nested summaries the outermost one is the deliverable and
the tasks of the inner ones go under it. Every link is imported as
finish-to-start; a link of another type or with a lag is listed
(:attr:`Plan.simplified`). A link to a summary task stands for links to each
of its tasks; the links of a summary task are given to each of its tasks. A
loop of links refuses the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from apm.errors import Refused
from projects.planning.schedule import find_loop, loop_words

#: The most tasks one plan may hold.
MAX_TASKS = 2000
#: The largest estimate a task holds (hours; ``Task.estimate_hours`` has 7 digits, 2 after the point).
MAX_HOURS = Decimal("99999.99")
#: How MS Project numbers a link's type (PredecessorLink/Type).
LINK_TYPES = {"0": "finish-to-finish", "1": "finish-to-start", "2": "start-to-finish", "3": "start-to-start"}
LINK_CODES = {"FF": "0", "FS": "1", "SF": "2", "SS": "3"}
#: Dates outside these years are not taken as dates of a plan.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


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
class Link:
    ref: str  # the predecessor's key, or a name to look up ("name:<casefolded>")
    written: str  # as the file wrote it, for the messages
    type: str = "1"
    lag: str = ""


@dataclass
class Entry:
    key: str
    source: str
    name: str
    start: dt.date | None = None
    finish: dt.date | None = None
    level: int = 1
    summary: bool | None = None  # None: told by the next row's level
    links: list[Link] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    hours: Decimal | None = None
    notes: str = ""
    problem: str = ""


def label(entry: Entry) -> str:
    return f"“{entry.name[:80]}” ({entry.source})" if entry.name else entry.source


def assemble(entries: list[Entry], *, source: str, kind: str) -> Plan:
    """Deliverables from the outermost summaries, tasks with their finish-to-start predecessors, and the lists of
    what was simplified, refused and read differently. Raises ``Refused`` for a loop of links or a plan with no
    task."""
    plan = Plan(source=source, kind=kind)
    for index, entry in enumerate(entries):
        if entry.summary is None:
            following = entries[index + 1] if index + 1 < len(entries) else None
            entry.summary = following is not None and following.level > entry.level
    # Each entry's enclosing summaries, outermost first, from the outline levels.
    parents: dict[str, list[Entry]] = {}
    stack: list[Entry] = []
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
            plan.refused.append(f"{label(entry)}: {entry.problem}.")
        elif entry.finish is not None and entry.start is not None and entry.finish < entry.start:
            entry.problem = "finishes before it starts"
            plan.refused.append(
                f"{label(entry)}: it finishes ({entry.finish:%d %b %Y}) before it starts ({entry.start:%d %b %Y})."
            )
    kept = [entry for entry in entries if not entry.problem]
    tasks = [entry for entry in kept if not entry.summary]
    summaries = {entry.key: entry for entry in kept if entry.summary}
    if not tasks:
        raise Refused(f"The plan “{source}” holds no task that can be imported{_why(plan)}. Nothing was imported.")
    # Deliverables: outermost summaries; a summary without a finish takes its tasks' latest.
    under: dict[str, list[Entry]] = {key: [] for key in summaries}
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
                f"The summary {label(entry)} has no finish date: its tasks are imported without a deliverable."
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
    by_name: dict[str, Entry] = {}
    for entry in kept:
        by_name.setdefault(f"name:{entry.name.casefold()}", entry)
    task_keys = {entry.key for entry in tasks}
    predecessors: dict[str, list[str]] = {entry.key: [] for entry in tasks}
    for entry in kept:
        for link in entry.links:
            target = by_name.get(link.ref) if link.ref.startswith("name:") else by_key.get(link.ref)
            if target is None:
                plan.notes.append(
                    f"{label(entry)}: its predecessor {link.written} is not a task of the file; left out."
                )
                continue
            if target.problem:
                plan.notes.append(f"{label(entry)}: its predecessor {label(target)} was refused; the link is left out.")
                continue
            if link.type != "1" or link.lag:
                said = LINK_TYPES[link.type] + (f" with a lag of {link.lag}" if link.lag else "")
                plan.simplified.append(f"{label(target)} → {label(entry)}: {said}, imported as finish-to-start.")
            froms = [target.key] if target.key in task_keys else [t.key for t in under.get(target.key, [])]
            tos = [entry.key] if entry.key in task_keys else [t.key for t in under.get(entry.key, [])]
            if target.summary or entry.summary:
                plan.notes.append(
                    f"{label(target)} → {label(entry)}: a link of a summary task, imported as links "
                    f"{'from each of its tasks' if target.summary else 'from it'} "
                    f"{'to each task of ' + label(entry) if entry.summary else 'to ' + label(entry)}."
                )
            for to in tos:
                for frm in froms:
                    if frm == to:
                        plan.notes.append(f"{label(by_key[to])} depends on itself; that link is left out.")
                    elif frm not in predecessors[to]:
                        predecessors[to].append(frm)
    found = find_loop((before, after) for after, befores in predecessors.items() for before in befores)
    if found:
        # Told from the loop's task that comes first in the file.
        place = {entry.key: index for index, entry in enumerate(entries)}
        first = min(range(len(found) - 1), key=lambda i: place[found[i]])
        loop = [*found[first:-1], *found[:first], found[first]]
        names = loop_words(loop, label={key: label(by_key[key]) for key in loop})
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
