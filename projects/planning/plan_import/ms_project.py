"""Reading an MS Project XML plan into a :class:`~projects.planning.plan_import.outline.Plan`.

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
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeTree

from apm.errors import Refused
from projects.planning.plan_import.outline import EARLIEST, LATEST, LINK_TYPES, MAX_TASKS, Entry, Link, Plan, assemble


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
    if day is None or not EARLIEST <= day <= LATEST:
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
    entries: list[Entry] = []
    for element in elements:
        uid, level = _text(element, "UID"), _text(element, "OutlineLevel")
        if _text(element, "IsNull") == "1" or uid == "0" or level == "0" or not uid:
            continue
        title = " ".join(_text(element, "Name").split())
        shown = f"“{title[:80]}” (ID {_text(element, 'ID') or uid})" if title else f"ID {_text(element, 'ID') or uid}"
        entry = Entry(
            key=f"uid:{uid}",
            source=f"ID {_text(element, 'ID') or uid}",
            name=title,
            start=_xml_date(_text(element, "Start"), what="start", task=shown),
            finish=_xml_date(_text(element, "Finish"), what="finish", task=shown),
            level=int(level) if level.isascii() and level.isdigit() and len(level) < 4 else 1,
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
                    Link(
                        ref=f"uid:{ref}",
                        written=f"UID {ref}",
                        type=kind if kind in LINK_TYPES else "1",
                        lag=_lag_text(_text(link, "LinkLag"), _text(link, "LagFormat")),
                    )
                )
        entries.append(entry)
    return assemble(entries, source=name, kind="MS Project XML")
