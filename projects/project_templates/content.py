"""A project template's ``content``: the JSON document, read into a checked plan, and written from a project.

The document (``version`` 1)::

    {"version": 1, "currency": "GBP",
     "deliverables": [{"name", "description", "acceptance_criteria": [str], "start": int | null, "due": int,
                       "depends_on": [deliverable index]}],
     "tasks": [{"title", "description", "estimate_hours": "12.50" | null, "priority", "start": int | null,
                "due": int | null, "deliverable": deliverable index | null, "depends_on": [task index],
                "checklist": [str], "recurrence": RRULE text or ""}],
     "raid": [{"kind": "risk" | "assumption" | "dependency", "title", "description", "due": int | null,
               "probability": 1-5, "impact": 1-5, "mitigation", "contingency_plan", "trigger"}],
     "quality_standards": [{"name", "client_id": int | null, "client": str}],
     "budget_lines": [{"category", "description", "amount": "1000.00"}],
     "clauses": [{"number", "title", "text", "kind", "deadline": int | null, "evidence",
                  "evidence_document_kind", "evidence_report_kind", "evidence_deliverable": index | null}]}

Every date is a whole number of days from the project's start (day 0), so
``start + timedelta(days=n)``. Amounts are money in ``currency`` (strings, two
decimals: JSON numbers would be floats). :func:`plan_of` reads a document
that may have been edited by hand and refuses, with a sentence, anything it
could not build a project from; :func:`content_of` writes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from apm.errors import Refused
from projects.models import ClauseKind, CostCategory, EvidenceKind, RaidKind, TaskPriority

VERSION = 1

#: The RAID kinds a template starts a log with: an issue is something that happened, not a starter.
STARTER_KINDS = (RaidKind.RISK, RaidKind.ASSUMPTION, RaidKind.DEPENDENCY)

#: How far from the start a date may be, in days (about a hundred years either way).
MAX_OFFSET = 36_600


def days(start: int | None, due: int | None) -> str:
    """How a page names a span of days from the start: "day 0–14", "day 14", "by day 14" or "—"."""  # noqa: RUF002
    if start is not None and due is not None:
        return f"day {start}" if start == due else f"day {start}–{due}"  # noqa: RUF001
    if due is not None:
        return f"by day {due}"
    return "—" if start is None else f"from day {start}"


@dataclass(frozen=True)
class PlanDeliverable:
    name: str
    description: str
    acceptance_criteria: tuple[str, ...]
    start: int | None
    due: int
    depends_on: tuple[int, ...]

    @property
    def days(self) -> str:
        return days(self.start, self.due)


@dataclass(frozen=True)
class PlanTask:
    title: str
    description: str
    estimate_hours: Decimal | None
    priority: str
    start: int | None
    due: int | None
    deliverable: int | None
    depends_on: tuple[int, ...]
    checklist: tuple[str, ...]
    recurrence: str = ""  # a repeat rule (projects.planning.recurrence); its checks are task_create's

    @property
    def days(self) -> str:
        return days(self.start, self.due)


@dataclass(frozen=True)
class PlanRaid:
    kind: str
    title: str
    description: str
    due: int | None
    probability: int | None
    impact: int | None
    mitigation: str
    contingency_plan: str
    trigger: str


@dataclass(frozen=True)
class PlanStandard:
    name: str
    client_id: int | None
    client: str


@dataclass(frozen=True)
class PlanBudgetLine:
    category: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class PlanClause:
    number: str
    title: str
    text: str
    kind: str
    deadline: int | None
    evidence: str
    evidence_document_kind: str
    evidence_report_kind: str
    evidence_deliverable: int | None


@dataclass(frozen=True)
class TemplatePlan:
    """A template's content, checked: what a new project from it gets (indexes point into these tuples)."""

    currency: str
    deliverables: tuple[PlanDeliverable, ...]
    tasks: tuple[PlanTask, ...]
    raid: tuple[PlanRaid, ...]
    standards: tuple[PlanStandard, ...]
    budget_lines: tuple[PlanBudgetLine, ...]
    clauses: tuple[PlanClause, ...]

    @property
    def budget_total(self) -> Decimal:
        return sum((line.amount for line in self.budget_lines), Decimal("0.00"))

    @property
    def last_day(self) -> int:
        """The latest day of anything in the plan (0 for an empty plan)."""
        days = [d.due for d in self.deliverables] + [t.due for t in self.tasks if t.due is not None]
        days += [c.deadline for c in self.clauses if c.deadline is not None]
        return max([0, *days])


# --- Reading -----------------------------------------------------------------------------------


class _Reader:
    """Reads one item of a list of the document, refusing with where it is ("task 3: ...")."""

    def __init__(self, where: str, item: Any) -> None:
        if not isinstance(item, dict):
            raise Refused(f"This template cannot be used: {where} is not an object.")
        self.where = where
        self.item = item

    def refuse(self, why: str) -> Refused:
        return Refused(f"This template cannot be used: {self.where} {why}.")

    def text(self, key: str, *, required: bool = False, limit: int | None = None) -> str:
        value = self.item.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.refuse(f"has a {key} that is not text")
        if required and not value.strip():
            raise self.refuse(f"has no {key}")
        if limit is not None and len(value) > limit:
            raise self.refuse(f"has a {key} longer than {limit} characters")
        return value

    def day(self, key: str, *, required: bool = False) -> int | None:
        value = self.item.get(key)
        if value is None:
            if required:
                raise self.refuse(f"has no {key} day")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_OFFSET:
            raise self.refuse(f"has a {key} that is not a whole number of days from the start")
        return value

    def whole(self, key: str, low: int, high: int) -> int | None:
        value = self.item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.refuse(f"has a {key} that is not a whole number from {low} to {high}")
        return value

    def choice(self, key: str, values: Sequence[str], default: str | None = None) -> str:
        value = self.item.get(key, default)
        if value not in values:
            raise self.refuse(f"has an unknown {key} {value!r}")
        return str(value)

    def index(self, key: str, size: int, *, what: str) -> int | None:
        value = self.item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise self.refuse(f"names a {what} that is not in the template")
        return value

    def indexes(self, key: str, size: int, *, own: int, what: str) -> tuple[int, ...]:
        value = self.item.get(key) or []
        if not isinstance(value, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in value):
            raise self.refuse(f"has {key} that is not a list of {what} numbers")
        if any(not 0 <= i < size or i == own for i in value):
            raise self.refuse(f"depends on a {what} that is not in the template, or on itself")
        return tuple(dict.fromkeys(value))

    def texts(self, key: str, *, limit: int) -> tuple[str, ...]:
        value = self.item.get(key) or []
        if not isinstance(value, list) or any(not isinstance(t, str) or len(t) > limit for t in value):
            raise self.refuse(f"has {key} that is not a list of texts of at most {limit} characters")
        return tuple(t.strip() for t in value if t.strip())

    def amount(self, key: str) -> Decimal:
        value = self.item.get(key)
        try:
            amount = Decimal(str(value)) if isinstance(value, str | int) and not isinstance(value, bool) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e16"):
            raise self.refuse(f'has an {key} that is not an amount of money (0 or more, e.g. "1200.00")')
        return amount.quantize(Decimal("0.01"))


def _list(content: dict[str, Any], key: str) -> list[Any]:
    value = content.get(key, [])
    if not isinstance(value, list):
        raise Refused(f"This template cannot be used: its {key.replace('_', ' ')} are not a list.")
    return value


def _acyclic(depends: Sequence[tuple[int, ...]], what: str) -> None:
    """Refuse a loop among ``depends`` (item index -> the indexes it depends on)."""
    state: dict[int, int] = {}  # 1: being visited, 2: done

    def visit(start: int) -> None:
        stack = [(start, iter(depends[start]))]
        state[start] = 1
        while stack:
            node, rest = stack[-1]
            step = next(rest, None)
            if step is None:
                state[node] = 2
                stack.pop()
            elif state.get(step) == 1:
                raise Refused(f"This template cannot be used: its {what} depend on each other in a loop.")
            elif step not in state:
                state[step] = 1
                stack.append((step, iter(depends[step])))

    for index in range(len(depends)):
        if index not in state:
            visit(index)


def _read_items(content: dict[str, Any], key: str, label: str, read: Callable[[_Reader, int], Any]) -> tuple[Any, ...]:
    """Each item of ``content[key]`` read by ``read(reader, index)`` (index from 0; "task 1" in sentences)."""
    return tuple(read(_Reader(f"{label} {n + 1}", item), n) for n, item in enumerate(_list(content, key)))


def plan_of(content: Any) -> TemplatePlan:
    """The checked plan of a template's ``content`` (the document above).

    Raises ``Refused`` ("This template cannot be used: task 3 has no title.")
    for anything a project could not be built from: a document of another
    version, an item that is not an object, missing or mistyped fields, a day
    that is not a whole number within about a hundred years of the start, a
    start after its due day, an unknown kind, priority or category, an index
    that names no item, or dependencies in a loop.
    """
    if not isinstance(content, dict) or content.get("version") != VERSION:
        raise Refused(f"This template cannot be used: its content is not a version {VERSION} template.")
    currency = content.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise Refused("This template cannot be used: its currency is not a three-letter code.")
    size = len(_list(content, "deliverables"))

    def deliverable(r: _Reader, n: int) -> PlanDeliverable:
        item = PlanDeliverable(
            name=r.text("name", required=True, limit=300).strip(),
            description=r.text("description"),
            acceptance_criteria=r.texts("acceptance_criteria", limit=2000),
            start=r.day("start"),
            due=r.day("due", required=True) or 0,
            depends_on=r.indexes("depends_on", size, own=n, what="deliverable"),
        )
        if item.start is not None and item.start > item.due:
            raise r.refuse("starts after it is due")
        return item

    deliverables = _read_items(content, "deliverables", "deliverable", deliverable)
    _acyclic([d.depends_on for d in deliverables], "deliverables")
    task_count = len(_list(content, "tasks"))

    def task(r: _Reader, n: int) -> PlanTask:
        estimate = None if r.item.get("estimate_hours") is None else r.amount("estimate_hours")
        if estimate is not None and estimate >= Decimal("100000"):
            raise r.refuse("has an estimate over 99,999 hours")
        item = PlanTask(
            title=r.text("title", required=True, limit=300).strip(),
            description=r.text("description"),
            estimate_hours=estimate,
            priority=r.choice("priority", TaskPriority.values, TaskPriority.NORMAL),
            start=r.day("start"),
            due=r.day("due"),
            deliverable=r.index("deliverable", size, what="deliverable"),
            depends_on=r.indexes("depends_on", task_count, own=n, what="task"),
            checklist=r.texts("checklist", limit=300),
            recurrence=r.text("recurrence", limit=200).strip(),
        )
        if item.start is not None and item.due is not None and item.start > item.due:
            raise r.refuse("starts after it is due")
        return item

    tasks = _read_items(content, "tasks", "task", task)
    _acyclic([t.depends_on for t in tasks], "tasks")

    def raid(r: _Reader, _n: int) -> PlanRaid:
        kind = r.choice("kind", STARTER_KINDS)
        item = PlanRaid(
            kind=kind,
            title=r.text("title", required=True, limit=300).strip(),
            description=r.text("description"),
            due=r.day("due"),
            probability=r.whole("probability", 1, 5),
            impact=r.whole("impact", 1, 5),
            mitigation=r.text("mitigation"),
            contingency_plan=r.text("contingency_plan"),
            trigger=r.text("trigger"),
        )
        if kind == RaidKind.RISK and (item.probability is None or item.impact is None):
            raise r.refuse("is a risk without a probability and an impact (1-5)")
        return item

    def standard(r: _Reader, _n: int) -> PlanStandard:
        client_id = r.item.get("client_id")
        if client_id is not None and (isinstance(client_id, bool) or not isinstance(client_id, int)):
            raise r.refuse("names its client by something that is not an id")
        return PlanStandard(name=r.text("name", required=True, limit=200), client_id=client_id, client=r.text("client"))

    def budget_line(r: _Reader, _n: int) -> PlanBudgetLine:
        return PlanBudgetLine(
            category=r.choice("category", CostCategory.values),
            description=r.text("description", limit=200),
            amount=r.amount("amount"),
        )

    def clause(r: _Reader, _n: int) -> PlanClause:
        return PlanClause(
            number=r.text("number", required=True, limit=20).strip(),
            title=r.text("title", limit=300),
            text=r.text("text", required=True),
            kind=r.choice("kind", ClauseKind.values, ClauseKind.OBLIGATION),
            deadline=r.day("deadline"),
            evidence=r.choice("evidence", EvidenceKind.values, EvidenceKind.NONE),
            evidence_document_kind=r.text("evidence_document_kind", limit=20),
            evidence_report_kind=r.text("evidence_report_kind", limit=40),
            evidence_deliverable=r.index("evidence_deliverable", size, what="deliverable"),
        )

    clauses = _read_items(content, "clauses", "clause", clause)
    numbers = [c.number for c in clauses]
    if len(set(numbers)) != len(numbers):
        raise Refused("This template cannot be used: two of its clauses have the same number.")
    return TemplatePlan(
        currency=currency,
        deliverables=deliverables,
        tasks=tasks,
        raid=_read_items(content, "raid", "RAID item", raid),
        standards=_read_items(content, "quality_standards", "quality standard", standard),
        budget_lines=_read_items(content, "budget_lines", "budget line", budget_line),
        clauses=clauses,
    )


def predecessors_first(depends: Sequence[tuple[int, ...]]) -> list[int]:
    """The indexes of ``depends`` (item index -> the indexes it depends on, no loop: :func:`plan_of` refused
    those) ordered so that every item comes after those it depends on, else in their own order."""
    done: set[int] = set()
    order: list[int] = []
    for start in range(len(depends)):
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            if expanded:
                done.add(node)
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(depends[node]) if p not in done)
    return order


def counts_of(content: Any) -> dict[str, int]:
    """How many items of each list ``content`` holds (0 for a list that is missing or not a list): for lists,
    without checking the rest."""
    keys = ("deliverables", "tasks", "raid", "quality_standards", "budget_lines", "clauses")
    if not isinstance(content, dict):
        return dict.fromkeys(keys, 0)
    return {key: len(value) if isinstance(value := content.get(key), list) else 0 for key in keys}


def shifted(start: dt.date, offset: int | None) -> dt.date | None:
    """``start`` moved by ``offset`` days (None stays None). Raises ``Refused`` past the calendar's ends."""
    if offset is None:
        return None
    try:
        return start + dt.timedelta(days=offset)
    except OverflowError:
        raise Refused(f"A start on {start:%d %b %Y} puts some of the template's dates past the calendar.") from None


def offset(start: dt.date, date: dt.date | None) -> int | None:
    """Days from ``start`` to ``date`` (None stays None; negative before the start)."""
    return None if date is None else (date - start).days
