"""Fixtures of the budget tests: the world's team member with their rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from teams.services import member_rate_set


@pytest.fixture
def mo(world):
    """Mo Member, on ALPHA-1 at a cost rate of 55.00 an hour (bill rate 95.00)."""
    person = world["alpha_project"].team_members.get()
    member_rate_set(
        member=person, cost_rate=Decimal("55.00"), bill_rate=Decimal("95.00"), valid_from=dt.date(2024, 1, 1)
    )
    return person
