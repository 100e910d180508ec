"""The workflows of deliverables, non-conformances, change requests and RAID items, as explicit tables.

A small explicit transition table rather than django-fsm-2: the rules read in
one place, each refusal carries a sentence a PM understands, and the state
fields stay plain ``CharField`` s that django-simple-history records like any
other field. The services (``projects.delivery.*services``) are the only
callers of :func:`check_transition` and the only writers of these fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from apm.errors import Refused
from projects.models import ChangeStatus, DeliverableStatus, NonConformanceStatus, RaidStatus

D = DeliverableStatus
DELIVERABLE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    D.NOT_STARTED: frozenset({D.IN_PROGRESS}),
    D.IN_PROGRESS: frozenset({D.NOT_STARTED, D.IN_REVIEW}),
    D.IN_REVIEW: frozenset({D.IN_PROGRESS, D.AWAITING_SIGN_OFF}),
    # Accepted and rejected are reached only through deliverable_sign_off.
    D.AWAITING_SIGN_OFF: frozenset({D.IN_REVIEW, D.ACCEPTED, D.REJECTED}),
    D.REJECTED: frozenset({D.IN_PROGRESS}),
    D.ACCEPTED: frozenset(),
}

N = NonConformanceStatus
NON_CONFORMANCE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    N.OPEN: frozenset({N.ACTION_DONE}),
    N.ACTION_DONE: frozenset({N.CLOSED, N.OPEN}),
    N.CLOSED: frozenset(),
}

C = ChangeStatus
CHANGE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    C.DRAFT: frozenset({C.SUBMITTED}),
    C.SUBMITTED: frozenset({C.DRAFT, C.APPROVED, C.REJECTED}),
    C.APPROVED: frozenset({C.IMPLEMENTED}),
    C.REJECTED: frozenset(),
    C.IMPLEMENTED: frozenset(),
}

R = RaidStatus
RAID_TRANSITIONS: Mapping[str, frozenset[str]] = {
    R.OPEN: frozenset({R.MONITORING, R.CLOSED}),
    R.MONITORING: frozenset({R.OPEN, R.CLOSED}),
    R.CLOSED: frozenset({R.OPEN}),
}


class TransitionError(Refused):
    """A state change the workflow does not allow; the message says what is allowed instead."""


def check_transition(
    *, what: str, table: Mapping[str, frozenset[str]], labels: Mapping[str, str], current: str, target: str
) -> None:
    """Raise :class:`TransitionError` unless ``current`` -> ``target`` is in ``table``.

    ``what`` names the object ("Deliverable D-4"); ``labels`` maps states to
    their words. The message names both states and the allowed next ones.
    """
    if target not in table:
        raise TransitionError(f"Unknown state {target!r}.")
    allowed = table.get(current, frozenset())
    if target in allowed:
        return
    if current == target:
        raise TransitionError(f"{what} is already {labels[current].lower()}.")
    if allowed:
        options = ", ".join(sorted(labels[s].lower() for s in allowed))
        raise TransitionError(
            f"{what} cannot go from {labels[current].lower()} to {labels[target].lower()}; from here it can go to: "
            f"{options}."
        )
    raise TransitionError(f"{what} is {labels[current].lower()}: that is final and cannot change.")
