"""The workflows of documents, clause change proposals and correspondence, as explicit tables.

Same approach as ``projects.delivery.workflow`` (whose :func:`check_transition`
these reuse): one table per object, read in one place; the services are the
only writers of the state fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from projects.delivery.workflow import TransitionError, check_transition
from projects.models import CorrespondenceStatus, DocumentStatus, ProposalStatus

__all__ = [
    "CORRESPONDENCE_TRANSITIONS",
    "DOCUMENT_TRANSITIONS",
    "PROPOSAL_TRANSITIONS",
    "TransitionError",
    "check_transition",
]

D = DocumentStatus
DOCUMENT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    D.DRAFT: frozenset({D.UNDER_REVIEW, D.SUPERSEDED}),
    D.UNDER_REVIEW: frozenset({D.DRAFT, D.APPROVED}),
    D.APPROVED: frozenset({D.UNDER_REVIEW, D.SIGNED, D.EXPIRED, D.SUPERSEDED}),
    D.SIGNED: frozenset({D.EXPIRED, D.SUPERSEDED}),
    D.EXPIRED: frozenset({D.SUPERSEDED}),
    D.SUPERSEDED: frozenset(),
}

P = ProposalStatus
PROPOSAL_TRANSITIONS: Mapping[str, frozenset[str]] = {
    P.PENDING: frozenset({P.APPROVED, P.REJECTED, P.WITHDRAWN}),
    P.APPROVED: frozenset(),
    P.REJECTED: frozenset(),
    P.WITHDRAWN: frozenset(),
}

C = CorrespondenceStatus
CORRESPONDENCE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    C.OPEN: frozenset({C.AWAITING_REPLY, C.REPLIED, C.CLOSED}),
    C.AWAITING_REPLY: frozenset({C.REPLIED, C.CLOSED}),
    C.REPLIED: frozenset({C.CLOSED, C.AWAITING_REPLY}),
    C.CLOSED: frozenset({C.OPEN}),
}
