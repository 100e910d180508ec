"""The workflows of ``projects``, as explicit transition tables, and the one check of a move.

Deliverables, tasks, non-conformances, change requests, RAID items,
documents, clause change proposals and correspondence each have one table: for every
state, the states it may go to next.

A small explicit transition table rather than django-fsm-2: the rules read in
one place, each refusal carries a sentence a PM understands, and the state
fields stay plain ``CharField`` s that django-simple-history records like any
other field. The domains' services are the only callers of
:meth:`Workflow.check` and the only writers of these fields; pages offer
:meth:`Workflow.moves`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models

from apm.errors import Refused
from projects.models import (
    ChangeStatus,
    CorrespondenceStatus,
    DeliverableStatus,
    DocumentStatus,
    NonConformanceStatus,
    ProposalStatus,
    RaidStatus,
    TaskStatus,
)


class TransitionError(Refused):
    """A state change the workflow does not allow; the message says what is allowed instead."""


@dataclass(frozen=True)
class Workflow:
    """The states of one kind of object (``states``, whose labels the messages use) and, in ``table``, for
    every state the states it may go to next."""

    states: type[models.TextChoices]
    table: Mapping[str, frozenset[str]]

    def next_states(self, current: str) -> list[str]:
        """The states ``current`` may go to, sorted."""
        return sorted(self.table[current])

    def moves(self, current: str) -> list[tuple[str, str]]:
        """``(state, label)`` for each state ``current`` may go to, sorted by state: a page's buttons."""
        return [(state, self.states(state).label) for state in self.next_states(current)]

    def check(self, *, what: str, current: str, target: str) -> None:
        """Raise :class:`TransitionError` unless ``current`` -> ``target`` is in the table.

        ``what`` names the object ("Deliverable D-4"). The message names both
        states and the allowed next ones.
        """
        labels = dict(self.states.choices)
        if target not in self.table:
            raise TransitionError(f"Unknown state {target!r}.")
        allowed = self.table.get(current, frozenset())
        if target in allowed:
            return
        if current == target:
            raise TransitionError(f"{what} is already {labels[current].lower()}.")
        if allowed:
            options = ", ".join(sorted(labels[s].lower() for s in allowed))
            raise TransitionError(
                f"{what} cannot go from {labels[current].lower()} to {labels[target].lower()}; from here it can go "
                f"to: {options}."
            )
        raise TransitionError(f"{what} is {labels[current].lower()}: that is final and cannot change.")


DELIVERABLE = Workflow(
    DeliverableStatus,
    {
        DeliverableStatus.NOT_STARTED: frozenset({DeliverableStatus.IN_PROGRESS}),
        DeliverableStatus.IN_PROGRESS: frozenset({DeliverableStatus.NOT_STARTED, DeliverableStatus.IN_REVIEW}),
        DeliverableStatus.IN_REVIEW: frozenset({DeliverableStatus.IN_PROGRESS, DeliverableStatus.AWAITING_SIGN_OFF}),
        # Accepted and rejected are reached only through deliverable_sign_off.
        DeliverableStatus.AWAITING_SIGN_OFF: frozenset(
            {DeliverableStatus.IN_REVIEW, DeliverableStatus.ACCEPTED, DeliverableStatus.REJECTED}
        ),
        DeliverableStatus.REJECTED: frozenset({DeliverableStatus.IN_PROGRESS}),
        DeliverableStatus.ACCEPTED: frozenset(),
    },
)

#: A task is worked, reviewed and done; blocked from any open state, and back to where the work was. Done
#: opens again (to in progress) when the review missed something.
TASK = Workflow(
    TaskStatus,
    {
        TaskStatus.TO_DO: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED}),
        TaskStatus.IN_PROGRESS: frozenset({TaskStatus.TO_DO, TaskStatus.IN_REVIEW, TaskStatus.BLOCKED}),
        TaskStatus.IN_REVIEW: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.BLOCKED}),
        TaskStatus.BLOCKED: frozenset({TaskStatus.TO_DO, TaskStatus.IN_PROGRESS}),
        TaskStatus.DONE: frozenset({TaskStatus.IN_PROGRESS}),
    },
)

NON_CONFORMANCE = Workflow(
    NonConformanceStatus,
    {
        NonConformanceStatus.OPEN: frozenset({NonConformanceStatus.ACTION_DONE}),
        NonConformanceStatus.ACTION_DONE: frozenset({NonConformanceStatus.CLOSED, NonConformanceStatus.OPEN}),
        NonConformanceStatus.CLOSED: frozenset(),
    },
)

CHANGE = Workflow(
    ChangeStatus,
    {
        ChangeStatus.DRAFT: frozenset({ChangeStatus.SUBMITTED}),
        ChangeStatus.SUBMITTED: frozenset({ChangeStatus.DRAFT, ChangeStatus.APPROVED, ChangeStatus.REJECTED}),
        ChangeStatus.APPROVED: frozenset({ChangeStatus.IMPLEMENTED}),
        ChangeStatus.REJECTED: frozenset(),
        ChangeStatus.IMPLEMENTED: frozenset(),
    },
)

RAID = Workflow(
    RaidStatus,
    {
        RaidStatus.OPEN: frozenset({RaidStatus.MONITORING, RaidStatus.CLOSED}),
        RaidStatus.MONITORING: frozenset({RaidStatus.OPEN, RaidStatus.CLOSED}),
        RaidStatus.CLOSED: frozenset({RaidStatus.OPEN}),
    },
)

DOCUMENT = Workflow(
    DocumentStatus,
    {
        DocumentStatus.DRAFT: frozenset({DocumentStatus.UNDER_REVIEW, DocumentStatus.SUPERSEDED}),
        DocumentStatus.UNDER_REVIEW: frozenset({DocumentStatus.DRAFT, DocumentStatus.APPROVED}),
        DocumentStatus.APPROVED: frozenset(
            {DocumentStatus.UNDER_REVIEW, DocumentStatus.SIGNED, DocumentStatus.EXPIRED, DocumentStatus.SUPERSEDED}
        ),
        DocumentStatus.SIGNED: frozenset({DocumentStatus.EXPIRED, DocumentStatus.SUPERSEDED}),
        DocumentStatus.EXPIRED: frozenset({DocumentStatus.SUPERSEDED}),
        DocumentStatus.SUPERSEDED: frozenset(),
    },
)

PROPOSAL = Workflow(
    ProposalStatus,
    {
        ProposalStatus.PENDING: frozenset({ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN}),
        ProposalStatus.APPROVED: frozenset(),
        ProposalStatus.REJECTED: frozenset(),
        ProposalStatus.WITHDRAWN: frozenset(),
    },
)

CORRESPONDENCE = Workflow(
    CorrespondenceStatus,
    {
        CorrespondenceStatus.OPEN: frozenset(
            {CorrespondenceStatus.AWAITING_REPLY, CorrespondenceStatus.REPLIED, CorrespondenceStatus.CLOSED}
        ),
        CorrespondenceStatus.AWAITING_REPLY: frozenset({CorrespondenceStatus.REPLIED, CorrespondenceStatus.CLOSED}),
        CorrespondenceStatus.REPLIED: frozenset({CorrespondenceStatus.CLOSED, CorrespondenceStatus.AWAITING_REPLY}),
        CorrespondenceStatus.CLOSED: frozenset({CorrespondenceStatus.OPEN}),
    },
)
