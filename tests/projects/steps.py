"""Steps through the project services that tests of several domains take, with the values they do not care about.

A deliverable walked into review and reviewed, a clause added, a letter logged: each as the given user, so the
service's checks run as they do for a real request.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from projects.budget.services import plan
from projects.correspondence import services as correspondence_services
from projects.delivery import services as delivery_services
from projects.documents import services as document_services
from projects.models import DeliverableStatus
from projects.quality import services as quality
from projects.quality.services import CheckInput


def to_review(item, user) -> None:
    """Start ``item`` and put it in review."""
    delivery_services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_PROGRESS, user=user)
    delivery_services.deliverable_transition(deliverable=item, to=DeliverableStatus.IN_REVIEW, user=user)


def review(item, user, standard, *, fail_first: bool):
    """Review ``item`` against the two criteria of ``standard``: the first failed (with a note) or passed."""
    criteria = list(standard.criteria.order_by("order"))
    checks = [
        CheckInput(criteria[0].pk, "failed" if fail_first else "passed", note="Typos on slide 3" if fail_first else ""),
        CheckInput(criteria[1].pk, "passed"),
    ]
    return quality.review_record(deliverable=item, reviewer=user, checks=checks)


def set_contingency_reserve(project, user, amount: Decimal) -> None:
    """Budget settings of ``project``: a contingency reserve of ``amount``, tolerances of 10% on cost and 14 days."""
    plan.budget_settings_update(
        project=project,
        contingency_reserve=amount,
        cost_tolerance_percent=Decimal("10"),
        time_tolerance_days=14,
        etc_bottom_up=None,
        actor=user,
    )


def add_clause(project, user, *, number: str, title: str, text: str = "t", **kwargs: Any):
    """``clause_create`` of an obligation numbered ``number``; ``kwargs`` are its kind, evidence and deadline."""
    return document_services.clause_create(project=project, user=user, number=number, title=title, text=text, **kwargs)


def log_letter(project, user, **kwargs: Any):
    """``correspondence_log`` of a letter in from the council's planners on 3 March 2025; ``kwargs`` replace those."""
    values = {
        "project": project,
        "user": user,
        "direction": "in",
        "channel": "letter",
        "date": dt.date(2025, 3, 3),
        "counterpart_kind": "authority",
        "counterpart_organisation": "Camden Council Planning",
        "counterpart_person": "J. Officer",
        "subject": "Hoarding licence: further information",
        "their_reference": "2025/0412/HL",
    }
    return correspondence_services.correspondence_log(**(values | kwargs))
