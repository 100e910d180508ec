"""Rates keep their history: a change never rewrites the rate of past dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apm.errors import Refused
from teams.selectors import member_rate_on
from teams.services import member_rate_set
from tests.factories import TeamMemberFactory

pytestmark = pytest.mark.django_db


def test_it_keeps_the_old_rate_for_past_dates():
    member = TeamMemberFactory()
    member_rate_set(member=member, cost_rate=Decimal("50"), bill_rate=Decimal("90"), valid_from=dt.date(2025, 1, 1))
    member_rate_set(member=member, cost_rate=Decimal("60"), bill_rate=Decimal("110"), valid_from=dt.date(2025, 7, 1))

    assert member_rate_on(member_id=member.pk, on=dt.date(2025, 6, 30)).cost_rate == Decimal("50")
    assert member_rate_on(member_id=member.pk, on=dt.date(2025, 7, 1)).cost_rate == Decimal("60")
    assert member_rate_on(member_id=member.pk, on=dt.date(2024, 12, 31)) is None
    assert member.rates.get(valid_from=dt.date(2025, 1, 1)).valid_to == dt.date(2025, 6, 30)


def test_it_refuses_a_rate_that_starts_before_the_latest_one():
    member = TeamMemberFactory()
    member_rate_set(member=member, cost_rate=Decimal("50"), bill_rate=Decimal("90"), valid_from=dt.date(2025, 7, 1))
    with pytest.raises(Refused, match="already has a rate"):
        member_rate_set(member=member, cost_rate=Decimal("40"), bill_rate=Decimal("80"), valid_from=dt.date(2025, 1, 1))
    assert member.rates.count() == 1


def test_it_refuses_negative_rates():
    member = TeamMemberFactory()
    with pytest.raises(Refused, match="negative"):
        member_rate_set(member=member, cost_rate=Decimal("-1"), bill_rate=Decimal("90"), valid_from=dt.date(2025, 1, 1))
    assert member.rates.count() == 0
