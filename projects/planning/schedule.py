"""Scheduling over finish-to-start links, pure (no database): loops, the critical path, pushing successors.

A link ``(a, b)`` reads "b depends on a": ``b`` should not start before
``a`` is finished. Nodes are any hashable ids (task primary keys in APM).
Every function here runs in O(V + E) over the nodes and links it is given.

Dates are whole days, both ends included: a task from 3 to 5 June lasts 3
days and its successor may start on 6 June at the earliest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

N = TypeVar("N", bound=Hashable)

ONE_DAY = dt.timedelta(days=1)


def find_loop(edges: Iterable[tuple[N, N]]) -> list[N] | None:
    """A loop among ``edges`` (``(predecessor, successor)`` pairs) as the list of its nodes with the first
    repeated at the end (``[3, 5, 3]``), or None when there is none. Iterative depth-first search, O(V + E);
    a self-link ``(3, 3)`` is the loop ``[3, 3]``."""
    graph: dict[N, list[N]] = defaultdict(list)
    for before, after in edges:
        graph[before].append(after)
        graph.setdefault(after, [])
    white, grey, black = 0, 1, 2
    colour: dict[N, int] = dict.fromkeys(graph, white)
    for root in graph:
        if colour[root] != white:
            continue
        path: list[N] = [root]
        stack = [iter(graph[root])]
        colour[root] = grey
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            if colour[nxt] == grey:
                return [*path[path.index(nxt) :], nxt]
            if colour[nxt] == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(graph[nxt]))
    return None


def loop_words(loop: Iterable[object], *, label: Mapping[object, str] | None = None) -> str:
    """A loop as a person reads it: "T-3 → T-5 → T-3" (each node through ``label``, else as it is)."""
    return " → ".join((label or {}).get(node, str(node)) for node in loop)


@dataclass(frozen=True)
class Timing:
    """One task's place in the schedule, in days from the earliest start of the dated tasks (day 0).

    ``early_start``/``early_finish`` from the forward pass, ``late_start``/``late_finish`` from the
    backward pass (finish: the day after its last day), ``float_days`` = late start - early start;
    ``critical`` when the float is 0.
    """

    duration: int
    early_start: int
    early_finish: int
    late_start: int
    late_finish: int

    @property
    def float_days(self) -> int:
        return self.late_start - self.early_start

    @property
    def critical(self) -> bool:
        return self.float_days == 0


@dataclass(frozen=True)
class CriticalPath:
    """The answer of :func:`critical_path`: each dated task's :class:`Timing`, the critical ones in order of
    their early start, the length of the whole in days, and the tasks left out for want of dates."""

    timings: dict[Hashable, Timing]
    critical: list[Hashable]
    length_days: int
    undated: list[Hashable]


def critical_path(
    dates: Mapping[N, tuple[dt.date | None, dt.date | None]], edges: Iterable[tuple[N, N]]
) -> CriticalPath:
    """The critical path method over ``dates`` (node: (start, due)) and finish-to-start ``edges``.

    A node's duration is due - start + 1 days (a node with only one of the two lasts 1 day, on that date);
    a node with neither is left out (listed in ``undated``) with its links. Each node's early start is the
    later of its own start (its constraint, days from the earliest start of all) and the early finish of its
    predecessors; the late finish of a node without successors is the project's end (the latest early
    finish), others the earliest late start of their successors. Float = late start - early start; critical
    when 0. Raises ``ValueError`` naming the loop when the links make one. O(V + E).
    """
    spans: dict[N, tuple[dt.date, dt.date]] = {}
    undated: list[N] = []
    for node, (start, due) in dates.items():
        first = start if start is not None else due
        last = due if due is not None else start
        if first is None or last is None:
            undated.append(node)
            continue
        spans[node] = (first, max(first, last))
    links = [(a, b) for a, b in edges if a in spans and b in spans]
    if not spans:
        return CriticalPath(timings={}, critical=[], length_days=0, undated=list(undated))
    origin = min(first for first, _ in spans.values())
    successors: dict[N, list[N]] = defaultdict(list)
    predecessors: dict[N, list[N]] = defaultdict(list)
    waiting = dict.fromkeys(spans, 0)
    for a, b in links:
        successors[a].append(b)
        predecessors[b].append(a)
        waiting[b] += 1
    order = _topological(spans, successors, waiting, links)
    duration = {node: (last - first).days + 1 for node, (first, last) in spans.items()}
    early_start: dict[N, int] = {}
    early_finish: dict[N, int] = {}
    for node in order:
        own = (spans[node][0] - origin).days
        early = max([own, *(early_finish[p] for p in predecessors[node])])
        early_start[node] = early
        early_finish[node] = early + duration[node]
    end = max(early_finish.values())
    late_start: dict[N, int] = {}
    late_finish: dict[N, int] = {}
    for node in reversed(order):
        late = min([end, *(late_start[s] for s in successors[node])])
        late_finish[node] = late
        late_start[node] = late - duration[node]
    timings: dict[Hashable, Timing] = {
        node: Timing(
            duration=duration[node],
            early_start=early_start[node],
            early_finish=early_finish[node],
            late_start=late_start[node],
            late_finish=late_finish[node],
        )
        for node in order
    }
    place = {node: index for index, node in enumerate(order)}
    critical = sorted((n for n in order if timings[n].critical), key=lambda n: (early_start[n], place[n]))
    return CriticalPath(timings=timings, critical=list(critical), length_days=end, undated=list(undated))


def _topological(
    nodes: Iterable[N], successors: Mapping[N, list[N]], waiting: dict[N, int], links: list[tuple[N, N]]
) -> list[N]:
    """Kahn's order of ``nodes``; ``ValueError`` naming a loop when some are left."""
    ready = deque(node for node in nodes if waiting[node] == 0)
    order: list[N] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for nxt in successors.get(node, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    if len(order) < len(waiting):
        loop = find_loop(links) or []
        raise ValueError(f"These links make a loop: {loop_words(loop)}.")
    return order


@dataclass(frozen=True)
class Move:
    """A task moved: its id, its dates before and after (either may be None when the task had none)."""

    node: Hashable
    old_start: dt.date | None
    old_due: dt.date | None
    new_start: dt.date | None
    new_due: dt.date | None

    @property
    def days(self) -> int:
        """How many days it moved (by its start, else its due date)."""
        old, new = self.old_start or self.old_due, self.new_start or self.new_due
        return (new - old).days if old and new else 0


def successors_push(
    dates: Mapping[N, tuple[dt.date | None, dt.date | None]],
    edges: Iterable[tuple[N, N]],
    *,
    moved: N,
    start: dt.date | None,
    due: dt.date | None,
) -> list[Move]:
    """``moved`` gets (``start``, ``due``); each successor that would now start on or before the last day of a
    predecessor that moved is pushed later by the same amount as ``moved``'s end moved, keeping its length and
    its distance to what it waits on (transitively, in topological order), as a person dragging a task expects
    the work after it to follow.

    Returns the moves: ``moved``'s first (even when unchanged dates are given), then each pushed successor.
    Nothing is pulled earlier: a task moved earlier (or shortened) pushes nothing. A successor without a start
    is pushed by its due date; one without dates is left alone (and does not carry the push further).
    ``ValueError`` for a loop. O(V + E) over the nodes reachable from ``moved``.
    """
    successors: dict[N, list[N]] = defaultdict(list)
    for a, b in edges:
        successors[a].append(b)
    # The part of the graph reachable from the moved node, in topological order (Kahn over that part).
    reach: set[N] = {moved}
    frontier = [moved]
    links: list[tuple[N, N]] = []
    while frontier:
        node = frontier.pop()
        for nxt in successors.get(node, ()):
            links.append((node, nxt))
            if nxt not in reach:
                reach.add(nxt)
                frontier.append(nxt)
    waiting = dict.fromkeys(reach, 0)
    predecessors: dict[N, list[N]] = defaultdict(list)
    for a, b in links:
        waiting[b] += 1
        predecessors[b].append(a)
    order = _topological(reach, successors, waiting, links)
    current = {node: dates.get(node, (None, None)) for node in reach}
    old = dict(current)
    current[moved] = (start, due)
    was_end, now_end = old[moved][1] or old[moved][0], due or start
    shift = now_end - was_end if was_end and now_end else dt.timedelta(0)
    shifted: set[N] = {moved}
    pushed: list[N] = []
    for node in order:
        if node == moved or shift <= dt.timedelta(0):
            continue
        first, last = current[node]
        begin = first or last
        # Only a predecessor that moved pushes: a link already overlapping before the move is left as it was.
        ends = [end for p in predecessors[node] if p in shifted and (end := current[p][1] or current[p][0])]
        if begin is None or not ends:
            continue
        if begin <= max(ends):
            current[node] = (first + shift if first else None, last + shift if last else None)
            shifted.add(node)
            pushed.append(node)
    return [
        Move(node=n, old_start=old[n][0], old_due=old[n][1], new_start=current[n][0], new_due=current[n][1])
        for n in [moved, *pushed]
    ]
