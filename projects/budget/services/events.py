"""The budget audit trail: every change to a budget writes one :class:`~projects.models.BudgetEvent`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from projects.models import BudgetEvent, Project

if TYPE_CHECKING:
    from apm.accounts.models import User


def budget_event_record(*, project: Project, actor: User | None, action: str, **detail: Any) -> BudgetEvent:
    """Write one entry of ``project``'s budget audit trail: who (None: the system) did ``action``, with
    ``detail`` (Decimals and dates stored as text)."""
    clean = {k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in detail.items()}
    return BudgetEvent.objects.create(project=project, at=timezone.now(), actor=actor, action=action, detail=clean)
